"""`hurong agency`: issuing agencies — registering them (by a province admin, or by a parent agency for a child),
suspending and reinstating them, granting and revoking certificate types, and listing them.

Each command acts on the chain as a keystore account (`--keystore DIR --account 0x…`) or through the service
(`--api URL --api-key KEY`); see `ledger.cli.accounts`.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ledger.cli.accounts import (
    DEFAULT_KEYSTORE,
    Access,
    AccountOption,
    ApiKeyOption,
    ApiOption,
    KeystoreOption,
    PassphraseFileOption,
    actor,
)
from ledger.cli.common import (
    DEFAULT_RPC,
    DeploymentsOption,
    JsonOption,
    RpcOption,
    answered,
    emit_rows,
    emit_written,
    mined,
    parse_address,
    parse_certificate_type,
    parse_province,
    parse_region,
    refusals,
)
from ledger.errors import LedgerValueError

app = typer.Typer(
    help="发证机构 Issuing agencies: register, suspend, reinstate, grant types, list.", no_args_is_help=True
)

AgencyArgument = Annotated[str, typer.Argument(help="The agency's chain account (0x…)")]
TypeArgument = Annotated[str, typer.Argument(help="Certificate type code (e.g. business_licence)")]


@app.command("register")
@refusals
def register_cmd(
    agency: AgencyArgument,
    name: Annotated[str, typer.Option(help="The agency's name (e.g. 上海市浦东新区市场监督管理局)")],
    region: Annotated[str, typer.Option(help="The region it serves, GB/T 2260 (e.g. 310115)")],
    province: Annotated[str | None, typer.Option(help="Its province (default: the region's)")] = None,
    parent: Annotated[str | None, typer.Option(help="Parent agency (register a child as its parent may)")] = None,
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = None,
    keystore: KeystoreOption = DEFAULT_KEYSTORE,
    account: AccountOption = None,
    passphrase_file: PassphraseFileOption = None,
    api: ApiOption = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register an agency under a province (as its admin) or under a parent agency (as the parent or an admin)."""
    address = parse_address(agency, "agency")
    code = parse_province(province if province is not None else region.strip()[:2] + "0000")
    region_code = parse_region(region, code)
    parent_address = parse_address(parent, "parent") if parent is not None else None
    if not name.strip() or len(name.encode()) > 256:
        raise LedgerValueError("an agency's name is a non-empty string of at most 256 bytes")
    acting = actor(Access(rpc, deployments, keystore, account, passphrase_file, api, api_key), write=True)
    details = {"agency": address, "province": str(code), "region": str(region_code), "parent": parent_address}
    if acting.api is not None:
        body = {"address": address, "name": name, "province": str(code), "region": str(region_code)}
        written = _api_written(acting.api.post("/agencies", body | ({"parent": parent_address} if parent else {})))
    else:
        authorities = acting.client.authorities
        receipt = authorities.register_agency(address, code, parent_address, region_code, name).wait()
        written = mined(receipt, **details, depth=authorities.agency(address).depth)
    emit_written(f"已登记机构 agency registered: {name} {address}", written, as_json)


@app.command("suspend")
@refusals
def suspend_cmd(
    agency: AgencyArgument,
    reason: Annotated[str, typer.Option(help="Reason, a number or a name (e.g. under_investigation)")] = "unspecified",
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = None,
    keystore: KeystoreOption = DEFAULT_KEYSTORE,
    account: AccountOption = None,
    passphrase_file: PassphraseFileOption = None,
    api: ApiOption = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Suspend an agency, and with it every agency below it."""
    from ledger.certificates.reasons import parse_reason

    address = parse_address(agency, "agency")
    why = parse_reason(reason)
    acting = actor(Access(rpc, deployments, keystore, account, passphrase_file, api, api_key), write=True)
    if acting.api is not None:
        written = _api_written(acting.api.post(f"/agencies/{address}/suspend", {"reason": int(why)}))
        written["reason"] = why.name.lower()
    else:
        authorities = acting.client.authorities
        receipt = authorities.suspend_agency(address, int(why)).wait()
        written = mined(receipt, agency=address, reason=why.name.lower(), status=_status(authorities, address))
    emit_written(f"已暂停机构 agency suspended: {address}", written, as_json)


@app.command("reinstate")
@refusals
def reinstate_cmd(
    agency: AgencyArgument,
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = None,
    keystore: KeystoreOption = DEFAULT_KEYSTORE,
    account: AccountOption = None,
    passphrase_file: PassphraseFileOption = None,
    api: ApiOption = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Reinstate a suspended agency."""
    address = parse_address(agency, "agency")
    acting = actor(Access(rpc, deployments, keystore, account, passphrase_file, api, api_key), write=True)
    if acting.api is not None:
        written = _api_written(acting.api.post(f"/agencies/{address}/reinstate"))
    else:
        authorities = acting.client.authorities
        receipt = authorities.reinstate_agency(address).wait()
        written = mined(receipt, agency=address, status=_status(authorities, address))
    emit_written(f"已恢复机构 agency reinstated: {address}", written, as_json)


@app.command("grant")
@refusals
def grant_cmd(
    agency: AgencyArgument,
    certificate_type: TypeArgument,
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = None,
    keystore: KeystoreOption = DEFAULT_KEYSTORE,
    account: AccountOption = None,
    passphrase_file: PassphraseFileOption = None,
    api: ApiOption = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Grant an agency a certificate type it may issue from now on."""
    address = parse_address(agency, "agency")
    code = parse_certificate_type(certificate_type)
    acting = actor(Access(rpc, deployments, keystore, account, passphrase_file, api, api_key), write=True)
    if acting.api is not None:
        written = _api_written(acting.api.post(f"/agencies/{address}/certificate-types/{code}"))
    else:
        authorities = acting.client.authorities
        receipt = authorities.grant_certificate_type(address, code).wait()
        types = list(authorities.agency(address).certificate_types)
        written = mined(receipt, agency=address, certificateType=code, certificateTypes=types)
    emit_written(f"已授予证照类型 type granted: {code} → {address}", written, as_json)


@app.command("revoke-type")
@refusals
def revoke_type_cmd(
    agency: AgencyArgument,
    certificate_type: TypeArgument,
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = None,
    keystore: KeystoreOption = DEFAULT_KEYSTORE,
    account: AccountOption = None,
    passphrase_file: PassphraseFileOption = None,
    api: ApiOption = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Withdraw a certificate type from an agency (certificates anchored before stay valid)."""
    from ledger.chain.codes import encode_code

    address = parse_address(agency, "agency")
    encode_code(certificate_type, what="certificate type")  # any granted code, known to the catalogue or not
    acting = actor(Access(rpc, deployments, keystore, account, passphrase_file, api, api_key), write=True)
    if acting.api is not None:
        written = _api_written(acting.api.delete(f"/agencies/{address}/certificate-types/{certificate_type}"))
    else:
        authorities = acting.client.authorities
        receipt = authorities.revoke_certificate_type(address, certificate_type).wait()
        types = list(authorities.agency(address).certificate_types)
        written = mined(receipt, agency=address, certificateType=certificate_type, certificateTypes=types)
    emit_written(f"已撤销证照类型 type revoked: {certificate_type} ← {address}", written, as_json)


@app.command("list")
@refusals
def list_cmd(
    province: Annotated[str | None, typer.Option(help="Only agencies of this province")] = None,
    certificate_type: Annotated[str | None, typer.Option("--type", help="Only agencies granted this type")] = None,
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = None,
    api: ApiOption = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the agencies with their province, region, parent, status and certificate types."""
    from ledger.chain.codes import encode_code

    code = parse_province(province) if province is not None else None
    if certificate_type is not None:
        encode_code(certificate_type, what="certificate type")
    acting = actor(Access(rpc, deployments, DEFAULT_KEYSTORE, None, None, api, api_key), write=False)
    if acting.api is not None:
        params = {"province": str(code)} if code else {}
        params |= {"certificateType": certificate_type} if certificate_type else {}
        rows = [_api_agency(row) for row in acting.api.rows("/agencies", params)]
    else:
        rows = [
            {"account": a.account, "name": a.name, "province": str(a.province), "region": str(a.region),
             "parent": a.parent, "depth": a.depth, "status": a.status.name.lower(),
             "effectivelyActive": a.effectively_active, "certificateTypes": list(a.certificate_types),
             "children": list(a.children)}
            for a in acting.client.authorities.agencies()
            if (code is None or a.province == code)
            and (certificate_type is None or certificate_type in a.certificate_types)
        ]  # fmt: skip
    columns = [("account", "账户 account"), ("name", "名称 name"), ("region", "区划 region"),
               ("status", "状态 status"), ("effectivelyActive", "可发证 active"),
               ("certificateTypes", "证照类型 types")]  # fmt: skip
    emit_rows(rows, columns, "发证机构 agencies", as_json)


def _api_written(answer: Any) -> dict[str, Any]:
    """An agency write as the service answered it (`transactionHash`, `blockNumber`, `agency`, `transactions`),
    in the shape the chain's writes print: the agency's account, then what it is now."""
    written = answered(answer)
    agency = written.pop("agency", None)
    shown = _api_agency(agency) if isinstance(agency, dict) else {}
    head = {"txHash": written.pop("txHash"), "block": written.pop("block"), "agency": shown.pop("account", None)}
    return head | {k: v for k, v in shown.items() if k != "children"} | written


def _api_agency(row: dict[str, Any]) -> dict[str, Any]:
    """An agency as the service lists it, in the shape `list` prints."""
    return {
        "account": row.get("account") or row.get("address"), "name": row.get("name"),
        "province": str(row.get("province")), "region": str(row.get("region")), "parent": row.get("parent"),
        "depth": row.get("depth"), "status": row.get("status"), "effectivelyActive": row.get("effectivelyActive"),
        "certificateTypes": row.get("certificateTypes", []), "children": row.get("children", []),
    }  # fmt: skip


def _status(authorities: Any, address: str) -> str:
    return str(authorities.agency_status(address).name.lower())

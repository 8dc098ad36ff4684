"""`hurong rule`: recognition rules — by which an accepting province recognises certificates of a type from an
issuing province (or any), for a service item (or any), in a window of time; setting, revoking and listing them.

Each command acts on the chain as a keystore account (`--keystore DIR --account 0x…`) or through the service
(`--api URL --api-key KEY`); see `ledger.cli.accounts`.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from ledger.chain.models import NO_END, RecognitionRule
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
    format_time,
    mined,
    parse_certificate_type,
    parse_province,
    parse_time,
    refusals,
)
from ledger.errors import LedgerValueError

app = typer.Typer(help="互认规则 Recognition rules: set, revoke, list.", no_args_is_help=True)

ANY = ("*", "any")
RuleArgument = Annotated[int, typer.Argument(min=1, help="Rule id")]


@app.command("set")
@refusals
def set_cmd(
    accepting: Annotated[str, typer.Option(help="Accepting province, GB/T 2260 (e.g. 330000)")],
    issuing: Annotated[str, typer.Option(help="Issuing province, GB/T 2260, or * for any")],
    certificate_type: Annotated[str, typer.Option("--type", help="Certificate type (e.g. business_licence)")],
    service_item: Annotated[str | None, typer.Option(help="Only for this service item code (default: any)")] = None,
    effective_from: Annotated[str | None, typer.Option("--from", help="In force from this ISO 8601 time")] = None,
    effective_until: Annotated[str | None, typer.Option("--until", help="In force until this ISO 8601 time")] = None,
    legal_basis: Annotated[str, typer.Option(help="The agreement or regulation it rests on")] = "",
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = None,
    keystore: KeystoreOption = DEFAULT_KEYSTORE,
    account: AccountOption = None,
    passphrase_file: PassphraseFileOption = None,
    api: ApiOption = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Set a rule of the account's province: which certificates it recognises from where, and when."""
    from ledger.chain.codes import encode_optional_code

    accepting_code = parse_province(accepting, "accepting province")
    issuing_code = None if issuing.strip() in ANY else parse_province(issuing, "issuing province")
    code = parse_certificate_type(certificate_type)
    item = None if service_item is None or service_item in ANY else service_item
    encode_optional_code(item, what="service item")
    start = parse_time(effective_from, "--from") if effective_from is not None else 0
    end = parse_time(effective_until, "--until") if effective_until is not None else 0
    if start and end and end <= start:
        raise LedgerValueError("--until must be after --from")
    if len(legal_basis.encode()) > 1024:
        raise LedgerValueError("a legal basis is at most 1024 bytes")
    acting = actor(Access(rpc, deployments, keystore, account, passphrase_file, api, api_key), write=True)
    if acting.api is not None:
        # absent: any issuing province, every service item, from now, no end, no legal basis
        body = {
            "acceptingProvince": str(accepting_code), "issuingProvince": _code(issuing_code), "certificateType": code,
            "serviceItem": item, "effectiveFrom": start or None, "effectiveUntil": end or None,
            "legalBasis": legal_basis or None,
        }  # fmt: skip
        written = _api_written(acting.api.post("/recognition-rules", {k: v for k, v in body.items() if v is not None}))
    else:
        recognition = acting.client.recognition
        receipt = recognition.set_rule(accepting_code, issuing_code, code, item, start, end, legal_basis).wait()
        rule_id = int(receipt.event("RecognitionRuleSet").args["ruleId"])
        now = int(acting.client.w3.eth.get_block("latest")["timestamp"])
        written = mined(receipt, **_rule_row(recognition.rule(rule_id), now))
    source = "任何省份 any province" if issuing_code is None else str(issuing_code)
    emit_written(f"已设置互认规则 rule set: {accepting_code} 认可 recognises {code} ← {source}", written, as_json)


@app.command("revoke")
@refusals
def revoke_cmd(
    rule: RuleArgument,
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = None,
    keystore: KeystoreOption = DEFAULT_KEYSTORE,
    account: AccountOption = None,
    passphrase_file: PassphraseFileOption = None,
    api: ApiOption = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Revoke a rule from now on (what it recognised before stays recognised)."""
    acting = actor(Access(rpc, deployments, keystore, account, passphrase_file, api, api_key), write=True)
    if acting.api is not None:
        written = _api_written(acting.api.delete(f"/recognition-rules/{rule}"))
    else:
        recognition = acting.client.recognition
        receipt = recognition.revoke_rule(rule).wait()
        now = int(acting.client.w3.eth.get_block("latest")["timestamp"])
        written = mined(receipt, **_rule_row(recognition.rule(rule), now))
    emit_written(f"已撤销互认规则 rule revoked: {rule}", written, as_json)


@app.command("list")
@refusals
def list_cmd(
    accepting: Annotated[str | None, typer.Option(help="Only rules of this accepting province")] = None,
    issuing: Annotated[str | None, typer.Option(help="Only rules for this issuing province (or any)")] = None,
    certificate_type: Annotated[str | None, typer.Option("--type", help="Only rules for this type")] = None,
    in_force: Annotated[bool, typer.Option(help="Only rules in force now")] = False,
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = None,
    api: ApiOption = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the recognition rules with their windows and whether each is in force now."""
    from ledger.chain.codes import encode_code

    accepting_code = parse_province(accepting, "accepting province") if accepting is not None else None
    issuing_code = parse_province(issuing, "issuing province") if issuing is not None else None
    if certificate_type is not None:
        encode_code(certificate_type, what="certificate type")
    acting = actor(Access(rpc, deployments, DEFAULT_KEYSTORE, None, None, api, api_key), write=False)
    if acting.api is not None:
        params = {"accepting": _code(accepting_code), "issuing": _code(issuing_code),
                  "certificateType": certificate_type, "inForce": "true" if in_force else None}  # fmt: skip
        now = int(time.time())
        fetched = acting.api.rows("/recognition-rules", {k: v for k, v in params.items() if v is not None})
        rows = [_api_rule(row, now) for row in fetched]
    else:
        now = int(acting.client.w3.eth.get_block("latest")["timestamp"])
        rows = [
            _rule_row(r, now)
            for r in acting.client.recognition.rules()
            if (accepting_code is None or r.accepting_province == accepting_code)
            and (issuing_code is None or r.issuing_province in (None, issuing_code))
            and (certificate_type is None or r.certificate_type == certificate_type)
            and (not in_force or r.in_force_at(now))
        ]
    columns = [("id", "编号 id"), ("acceptingProvince", "认可省份 accepting"), ("issuingProvince", "发证省份 issuing"),
               ("certificateType", "证照类型 type"), ("effectiveFrom", "生效 from"), ("effectiveUntil", "失效 until"),
               ("inForce", "有效 in force")]  # fmt: skip
    emit_rows(rows, columns, "互认规则 recognition rules", as_json)


def _rule_row(rule: RecognitionRule, now: int) -> dict[str, Any]:
    return {
        "id": rule.id, "acceptingProvince": str(rule.accepting_province),
        "issuingProvince": _code(rule.issuing_province) or "*", "certificateType": rule.certificate_type,
        "serviceItem": rule.service_item or "*", "effectiveFrom": format_time(rule.effective_from),
        "effectiveUntil": format_time(rule.effective_until), "revokedAt": format_time(rule.revoked_at),
        "legalBasis": rule.legal_basis, "inForce": rule.in_force_at(now),
    }  # fmt: skip


def _api_rule(row: dict[str, Any], now: int) -> dict[str, Any]:
    """A rule as the service lists it, in the shape `list` prints (in force judged by this machine's clock)."""
    start, end, revoked = row.get("effectiveFrom"), row.get("effectiveUntil"), row.get("revokedAt")
    in_force = row.get("inForce")
    if in_force is None and isinstance(start, int) and isinstance(end, int):
        in_force = start <= now < (end or NO_END) and (not isinstance(revoked, int) or now < revoked)
    return {
        "id": row.get("id"), "acceptingProvince": _code(row.get("acceptingProvince")),
        "issuingProvince": _code(row.get("issuingProvince")) or "*", "certificateType": row.get("certificateType"),
        "serviceItem": row.get("serviceItem") or "*", "effectiveFrom": _time(start), "effectiveUntil": _time(end),
        "revokedAt": _time(revoked), "legalBasis": row.get("legalBasis"), "inForce": in_force,
    }  # fmt: skip


def _api_written(answer: Any) -> dict[str, Any]:
    """A rule write as the service answered it (`transactionHash`, `blockNumber`, `rule`, `transactions`), in the
    shape the chain's writes print (in force judged by this machine's clock)."""
    written = answered(answer)
    rule = written.pop("rule", None)
    shown = _api_rule(rule, int(time.time())) if isinstance(rule, dict) else {}
    return {"txHash": written.pop("txHash"), "block": written.pop("block")} | shown | written


def _code(value: Any) -> str | None:
    return None if value is None else str(value)


def _time(value: Any) -> Any:
    return format_time(value) if isinstance(value, int) else value

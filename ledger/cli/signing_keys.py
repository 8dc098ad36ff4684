"""`hurong signing-key`: agencies' detached signing keys (Ed25519, SM2) — created in the encrypted keystore and
registered with their proof of possession, registered from a given public key and proof, revoked, and listed with
their validity windows.

A key created on the chain is kept in `--keystore` as `signing-<keyId>.json`, encrypted under the keystore's
passphrase; `hurong issue --signing-key FILE` signs with it. Each command acts on the chain as a keystore account
(`--keystore DIR --account 0x…`) or through the service (`--api URL --api-key KEY`); see `ledger.cli.accounts`.
"""

from __future__ import annotations

import contextlib
import re
import time
from enum import StrEnum
from typing import Annotated, Any

import typer

from ledger.chain.models import KeyAlgorithm
from ledger.cli.accounts import (
    DEFAULT_KEYSTORE,
    Access,
    AccountOption,
    Actor,
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
    parse_address,
    parse_time,
    refusals,
)
from ledger.errors import LedgerError, LedgerValueError

app = typer.Typer(help="签名密钥 Signing keys of agencies: create, register, revoke, list.", no_args_is_help=True)


class Algorithm(StrEnum):
    """The signing algorithms an agency may register."""

    ED25519 = "ed25519"
    SM2 = "sm2"

    @property
    def key_algorithm(self) -> KeyAlgorithm:
        return KeyAlgorithm.ED25519 if self is Algorithm.ED25519 else KeyAlgorithm.SM2

    @property
    def label(self) -> str:
        """The algorithm's name as key files and the service spell it."""
        return "Ed25519" if self is Algorithm.ED25519 else "SM2"


AgencyOption = Annotated[
    str | None, typer.Option("--agency", help="The agency (default on the chain: the account itself)")
]
AlgorithmOption = Annotated[Algorithm, typer.Option(help="Signing algorithm", case_sensitive=False)]
ValidFromOption = Annotated[str | None, typer.Option(help="Valid from this ISO 8601 time (default: now)")]
ValidUntilOption = Annotated[str | None, typer.Option(help="Valid until this ISO 8601 time (default: no end)")]


@app.command("create")
@refusals
def create_cmd(
    agency: AgencyOption = None,
    algorithm: AlgorithmOption = Algorithm.ED25519,
    valid_from: ValidFromOption = None,
    valid_until: ValidUntilOption = None,
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = None,
    keystore: KeystoreOption = DEFAULT_KEYSTORE,
    account: AccountOption = None,
    passphrase_file: PassphraseFileOption = None,
    api: ApiOption = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Generate a signing key, keep its private half in the encrypted keystore and register it for the agency."""
    from ledger.keys.keystore import save_key
    from ledger.keys.pairs import generate

    window = _window(valid_from, valid_until)
    acting = actor(Access(rpc, deployments, keystore, account, passphrase_file, api, api_key), write=True)
    owner = _agency(agency, acting)
    if acting.api is not None:
        body = {"algorithm": algorithm.label, **_window_body(window)}
        written = _api_written(acting.api.post(f"/agencies/{owner}/signing-keys", body))
    else:
        assert acting.keystore is not None and acting.passphrase is not None
        pair = generate(algorithm.key_algorithm)
        key_id = pair.key_id_for(owner)
        path = save_key(acting.keystore / f"signing-0x{key_id.hex()}.json", pair, acting.passphrase)
        try:
            pending = acting.client.authorities.add_signing_key(owner, pair, *window)
        except LedgerError:  # refused before anything was sent: keep no file of a key never registered
            with contextlib.suppress(OSError):
                path.unlink()
            raise
        written = mined(pending.wait(), **_key_row(acting, key_id), keyFile=str(path))
    emit_written(f"已创建并登记签名密钥 signing key created and registered for {owner}", written, as_json)


@app.command("register")
@refusals
def register_cmd(
    public_key: Annotated[str, typer.Option(help="The public key, hex (Ed25519 32 bytes, SM2 64 x || y)")],
    proof: Annotated[str, typer.Option(help="Its holder's proof of possession for this agency and registry, hex")],
    agency: AgencyOption = None,
    algorithm: AlgorithmOption = Algorithm.ED25519,
    valid_from: ValidFromOption = None,
    valid_until: ValidUntilOption = None,
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = None,
    keystore: KeystoreOption = DEFAULT_KEYSTORE,
    account: AccountOption = None,
    passphrase_file: PassphraseFileOption = None,
    api: ApiOption = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register a public key held elsewhere, with the proof of possession its holder signed."""
    from ledger.keys.pairs import compute_key_id

    key = _hex(public_key, "public key")
    if algorithm is Algorithm.SM2 and len(key) == 65 and key[0] == 0x04:
        key = key[1:]
    expected = 32 if algorithm is Algorithm.ED25519 else 64
    if len(key) != expected:
        raise LedgerValueError(f"a {algorithm.label} public key is {expected} bytes, got {len(key)}")
    signature = _hex(proof, "proof of possession")
    window = _window(valid_from, valid_until)
    acting = actor(Access(rpc, deployments, keystore, account, passphrase_file, api, api_key), write=True)
    owner = _agency(agency, acting)
    if acting.api is not None:
        body = {"algorithm": algorithm.label, "publicKey": "0x" + key.hex()}
        body["proofOfPossession"] = "0x" + signature.hex()
        written = _api_written(acting.api.post(f"/agencies/{owner}/signing-keys", body | _window_body(window)))
    else:
        authorities = acting.client.authorities
        pending = authorities.add_signing_key_with_proof(owner, algorithm.key_algorithm, key, signature, *window)
        key_id = compute_key_id(algorithm.key_algorithm, key, agency=owner)
        written = mined(pending.wait(), **_key_row(acting, key_id))
    emit_written(f"已登记签名密钥 signing key registered for {owner}", written, as_json)


@app.command("revoke")
@refusals
def revoke_cmd(
    key_id: Annotated[str, typer.Argument(help="The key's id in the registry (0x + 64 hex digits)")],
    agency: AgencyOption = None,
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = None,
    keystore: KeystoreOption = DEFAULT_KEYSTORE,
    account: AccountOption = None,
    passphrase_file: PassphraseFileOption = None,
    api: ApiOption = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Revoke a signing key: its validity ends now (signatures made inside its window stay valid)."""
    from ledger.chain.codes import parse_bytes32

    kid = "0x" + parse_bytes32(key_id.strip(), what="key id").hex()
    acting = actor(Access(rpc, deployments, keystore, account, passphrase_file, api, api_key), write=True)
    if acting.api is not None:
        if agency is None:
            raise LedgerValueError("revoking through the service needs --agency 0x…")
        owner = parse_address(agency, "agency")
        written = _api_written(acting.api.delete(f"/agencies/{owner}/signing-keys/{kid}"))
    else:
        authorities = acting.client.authorities
        holder = authorities.signing_key(kid).agency
        if agency is not None and parse_address(agency, "agency") != holder:
            raise LedgerValueError(f"key {kid} belongs to {holder}, not {agency}")
        written = mined(authorities.revoke_signing_key(kid).wait(), **_key_row(acting, bytes.fromhex(kid[2:])))
    emit_written(f"已撤销签名密钥 signing key revoked: {kid}", written, as_json)


@app.command("list")
@refusals
def list_cmd(
    agency: Annotated[str, typer.Option("--agency", help="The agency whose keys to list")],
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = None,
    api: ApiOption = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """List an agency's signing keys with their validity windows and state now."""
    owner = parse_address(agency, "agency")
    acting = actor(Access(rpc, deployments, DEFAULT_KEYSTORE, None, None, api, api_key), write=False)
    if acting.api is not None:
        rows = [_api_key(row) for row in acting.api.rows(f"/agencies/{owner}/signing-keys")]
    else:
        rows = [_key_row(acting, kid) for kid in acting.client.authorities.signing_keys_of(owner)]
    columns = [("keyId", "密钥 key id"), ("algorithm", "算法 algorithm"), ("validFrom", "生效 valid from"),
               ("validUntil", "失效 valid until"), ("state", "状态 state")]  # fmt: skip
    emit_rows(rows, columns, f"签名密钥 signing keys of {owner}", as_json)


def _key_row(acting: Actor, key_id: bytes) -> dict[str, Any]:
    """A registered key as the commands print it, with its state at the chain's latest block."""
    authorities = acting.client.authorities
    key = authorities.signing_key(key_id)
    revoked_at = authorities.signing_key_revoked_at(key_id)
    now = int(acting.client.w3.eth.get_block("latest")["timestamp"])
    state = (
        "revoked" if revoked_at is not None else "not_yet_valid" if now < key.valid_from
        else "expired" if now >= key.valid_until else "valid"
    )  # fmt: skip
    return {
        "keyId": "0x" + key_id.hex(), "agency": key.agency, "algorithm": Algorithm[key.algorithm.name].label,
        "publicKey": "0x" + key.public_key.hex(), "validFrom": format_time(key.valid_from),
        "validUntil": format_time(key.valid_until), "revokedAt": format_time(revoked_at), "state": state,
    }  # fmt: skip


def _api_key(row: dict[str, Any]) -> dict[str, Any]:
    """A key as the service lists it, in the shape `list` prints; its state from the service's `validNow` (judged
    at the chain's latest block) and `revokedAt`, and whether it is not yet valid by this machine's clock."""
    shown = {name: row.get(name) for name in ("keyId", "agency", "algorithm", "publicKey")}
    for name in ("validFrom", "validUntil", "revokedAt"):
        value = row.get(name)
        shown[name] = format_time(value) if isinstance(value, int) else value
    state, start = row.get("state"), row.get("validFrom")
    if state is None and "validNow" in row:
        state = (
            "revoked" if row.get("revokedAt") is not None else "valid" if row["validNow"]
            else "not_yet_valid" if isinstance(start, int) and start > time.time() else "expired"
        )  # fmt: skip
    return shown | {"state": state}


def _api_written(answer: Any) -> dict[str, Any]:
    """A signing-key write as the service answered it (`transactionHash`, `blockNumber`, `signingKey`,
    `transactions`), in the shape the chain's writes print, with whether the service holds the private key."""
    written = answered(answer)
    key = written.pop("signingKey", None)
    shown = _api_key(key) | {"heldByService": key.get("heldByService")} if isinstance(key, dict) else {}
    return {"txHash": written.pop("txHash"), "block": written.pop("block")} | shown | written


def _agency(agency: str | None, acting: Actor) -> str:
    if agency is not None:
        return parse_address(agency, "agency")
    if acting.api is not None:
        raise LedgerValueError("acting through the service needs --agency 0x…")
    return acting.address


def _window(valid_from: str | None, valid_until: str | None) -> tuple[int, int]:
    """(valid from, valid until) in seconds, 0 for now and for no end, as `addSigningKey` takes them."""
    start = parse_time(valid_from, "--valid-from") if valid_from is not None else 0
    end = parse_time(valid_until, "--valid-until") if valid_until is not None else 0
    if end and start and end <= start:
        raise LedgerValueError("--valid-until must be after --valid-from")
    return start, end


def _window_body(window: tuple[int, int]) -> dict[str, int]:
    """The window as the service takes it: `validFrom` / `validUntil` in Unix seconds, left out for now / no end."""
    return {name: seconds for name, seconds in zip(("validFrom", "validUntil"), window, strict=True) if seconds}


def _hex(value: str, what: str) -> bytes:
    text = value.strip()
    if not re.fullmatch(r"(0x)?([0-9a-fA-F]{2})+", text):
        raise LedgerValueError(f"{what} must be hex bytes (0x optional)")
    return bytes.fromhex(text.removeprefix("0x"))

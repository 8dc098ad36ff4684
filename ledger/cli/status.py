"""`hurong status` and the status changes `hurong revoke`, `suspend`, `reinstate` and `supersede`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from ledger.chain.client import HurongClient
from ledger.cli.common import (
    DEFAULT_RPC,
    CertificateArgument,
    DeploymentsOption,
    KeyFileOption,
    RpcOption,
    account_key,
    connect,
    console,
    read_json,
)
from ledger.errors import LedgerValueError

#: The status changes, each a command of its own name.
ACTIONS = ("revoke", "suspend", "reinstate", "supersede")


def status_cmd(
    file: CertificateArgument,
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = None,
) -> None:
    """Show a certificate's on-chain status record."""
    client = connect(rpc, deployments)
    agency, root, digest, _ = locate(read_json(file))
    from ledger.certificates.reasons import reason_name

    record = client.certificates.certificate_status(agency, root, digest)
    successor = "0x" + record.successor.hex() if record.successor else "-"
    console.print(f"status {record.status.name.lower()}  reason {reason_name(record.reason)} ({record.reason})"
                  f"  updated {record.updated_at}  successor {successor}")  # fmt: skip


def change_cmd(action: str) -> Callable[..., None]:
    """The command that applies the status change `action` (one of `ACTIONS`)."""

    def change(
        file: CertificateArgument,
        reason: Annotated[str, typer.Option(help="Reason code (number or name, e.g. fraud)")] = "unspecified",
        successor: Annotated[str | None, typer.Option(help="Digest of the replacement (supersede)")] = None,
        rpc: RpcOption = DEFAULT_RPC,
        deployments: DeploymentsOption = None,
        key_file: KeyFileOption = None,
    ) -> None:
        client = connect(rpc, deployments, account_key(key_file))
        change_status(client, action, read_json(file), reason=reason, successor=successor)

    change.__name__ = f"{action}_cmd"
    change.__doc__ = f"{action.capitalize()} a certificate (as its agency or its province admin)."
    return change


def change_status(client: HurongClient, action: str, document: Any, *, reason: str, successor: str | None) -> None:
    """Apply `action` to a wrapped certificate as the account of `client`, and say in which block it was."""
    from ledger.certificates.reasons import parse_reason

    agency, root, digest, path = locate(document)
    code = int(parse_reason(reason))
    certs = client.certificates
    if action == "supersede":
        if successor is None:
            raise LedgerValueError("supersede needs --successor DIGEST")
        pending = certs.supersede(agency, root, digest, path, successor, code)
    elif successor is not None:
        raise LedgerValueError("--successor is only for supersede")
    else:
        pending = getattr(certs, action)(agency, root, digest, path, code)
    receipt = pending.wait()
    console.print(f"[green]{action} done[/] ({parse_reason(code).name.lower()}, {code}) in block "
                  f"{receipt.block_number} (tx {receipt.tx_hash})")  # fmt: skip


def locate(document: Any) -> tuple[str, str, str, list[str]]:
    """(agency, Merkle root, digest, Merkle path) of a wrapped certificate."""
    from ledger.certificates.did import parse_agency_did

    try:
        proof = document["proof"]
        _, agency = parse_agency_did(document["issuer"]["id"])
        return agency, proof["merkleRoot"], proof["digest"], list(proof["merklePath"])
    except (TypeError, KeyError) as exc:
        raise LedgerValueError(f"not a wrapped Hurong certificate (missing {exc})") from None

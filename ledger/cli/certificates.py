"""`hurong` subcommands for certificates: issue, verify, status changes, redaction, QR codes.

Each command is a module-level function in the module of its concern: `ledger.cli.issue` (`issue`),
`ledger.cli.verify` (`verify`), `ledger.cli.documents` (`redact`, `qr`) and `ledger.cli.status` (`status`,
`revoke`, `suspend`, `reinstate`, `supersede`), with what they share in `ledger.cli.common`; `register` adds
them to the `hurong` app.
"""

from __future__ import annotations

import typer

from ledger.cli.common import (
    DEFAULT_RPC,
    DeploymentsOption,
    KeyFileOption,
    RpcOption,
    account_key,
    connect,
    console,
    deployments_folder,
    read_json,
)
from ledger.cli.documents import qr_cmd, redact_cmd
from ledger.cli.issue import issue_cmd, read_inputs
from ledger.cli.status import ACTIONS, change_cmd, status_cmd
from ledger.cli.verify import verify_cmd


def register(app: typer.Typer) -> None:
    """Add the certificate commands to `app`, in the order `hurong --help` lists them."""
    app.command("issue")(issue_cmd)
    app.command("verify")(verify_cmd)
    app.command("redact")(redact_cmd)
    app.command("qr")(qr_cmd)
    app.command("status")(status_cmd)
    for action in ACTIONS:
        app.command(action)(change_cmd(action))


__all__ = [
    "DEFAULT_RPC",
    "DeploymentsOption",
    "KeyFileOption",
    "RpcOption",
    "account_key",
    "connect",
    "console",
    "deployments_folder",
    "read_inputs",
    "read_json",
    "register",
]

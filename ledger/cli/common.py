"""What the certificate commands of `hurong` share: their options, the console, connecting to the chain, the
agency's chain key, and reading documents."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from ledger.chain.client import HurongClient, chain_id_of, make_web3
from ledger.chain.deployment import Deployment
from ledger.errors import LedgerValueError

console = Console(soft_wrap=True)

RpcOption = Annotated[str, typer.Option("--rpc", help="JSON-RPC endpoint", envvar="HURONG_RPC_URL")]
DeploymentsOption = Annotated[
    Path | None, typer.Option("--deployments", help="Folder of deployment records", envvar="HURONG_DEPLOYMENTS")
]
KeyFileOption = Annotated[
    Path | None,
    typer.Option("--key-file", help="Encrypted key file of the agency's chain account (else $HURONG_PRIVATE_KEY)"),
]
CertificateArgument = Annotated[Path, typer.Argument(help="Wrapped certificate")]
DEFAULT_RPC = "http://127.0.0.1:8545"


def deployments_folder(value: Path | None) -> Path:
    if value is not None:
        return value
    local = Path(".hurong") / "deployments"
    return local if local.is_dir() else Path("deployments")


def connect(rpc: str, deployments: Path | None, private_key: str | None = None) -> HurongClient:
    w3 = make_web3(rpc)
    chain_id = chain_id_of(w3)
    deployment = Deployment.for_chain(deployments_folder(deployments), chain_id)
    return HurongClient.connect(w3, deployment, private_key)


def account_key(key_file: Path | None) -> str:
    if key_file is not None:
        from ledger.keys.keystore import load_account_key, passphrase_from_env_or_prompt

        return load_account_key(key_file, passphrase_from_env_or_prompt())
    key = os.environ.get("HURONG_PRIVATE_KEY")
    if not key:
        raise LedgerValueError("give the agency's account with --key-file FILE or $HURONG_PRIVATE_KEY")
    return key


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LedgerValueError(f"cannot read {path}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LedgerValueError(f"{path} is not valid UTF-8 JSON: {exc}") from None


def write_json(path: Path, document: Any) -> None:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

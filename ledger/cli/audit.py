"""`hurong audit`: the tamper-evident usage log. `prove RECORD_ID` prints a usage record's inclusion proof (JSON),
`verify PROOF` checks one against the chain, `check` compares every anchored period of a usage database with the
chain, `deploy` adds the `UsageLog` contract to a deployment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import create_engine

from ledger.audit import AuditLog, UsageLogClient, deploy_usage_log
from ledger.audit.log import USAGE_FILE
from ledger.chain.client import chain_id_of, make_web3
from ledger.chain.deployment import Deployment
from ledger.cli.common import (
    DEFAULT_RPC,
    DeploymentsOption,
    KeyFileOption,
    RpcOption,
    account_key,
    console,
    deployments_folder,
    read_json,
)
from ledger.errors import LedgerValueError

app = typer.Typer(help="The tamper-evident usage log (用证记录存证): proofs of usage records against the chain",
                  no_args_is_help=True)  # fmt: skip
HomeOption = Annotated[Path, typer.Option("--home", help="The service's home (its usage.sqlite)", envvar="HURONG_HOME")]


def _log(home: Path) -> AuditLog:
    path = home / USAGE_FILE
    if not path.is_file():
        raise LedgerValueError(f"no usage database at {path}: give the service's home with --home")
    return AuditLog(create_engine(f"sqlite:///{path}"))


def _client(rpc: str, deployments: Path | None) -> tuple[UsageLogClient, int]:
    w3 = make_web3(rpc)
    chain_id = chain_id_of(w3)
    deployment = Deployment.for_chain(deployments_folder(deployments), chain_id)
    return UsageLogClient.of(w3, deployment), chain_id


@app.command("prove")
def prove(
    record_id: Annotated[str, typer.Argument(help="The usage record's id (the `usageId` of a verification)")],
    home: HomeOption = Path(".hurong"),
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = None,
) -> None:
    """Print the inclusion proof (JSON) of a usage record in the root anchored for its province and period, after
    checking that the period's records still give that root."""
    client, chain_id = _client(rpc, deployments)
    proof = _log(home).prove(record_id, client, chain_id)
    typer.echo(json.dumps(proof, ensure_ascii=False, indent=1))


@app.command("verify")
def verify(
    proof: Annotated[Path, typer.Argument(help="A proof printed by `hurong audit prove`")],
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = None,
) -> None:
    """Check a usage record's proof against the chain: exit 0 when it holds, 1 with the reason when not."""
    from ledger.audit import verify_proof

    client, chain_id = _client(rpc, deployments)
    checked = verify_proof(read_json(proof), client, chain_id)
    console.print(f"[green]proof holds[/]: record {checked['record']} is in the root {checked['root']} anchored "
                  f"for province {checked['province']}, period {checked['period']}")  # fmt: skip


@app.command("check")
def check(
    home: HomeOption = Path(".hurong"),
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = None,
) -> None:
    """Recompute the root of every anchored period of a usage database and compare it with the chain: exit 1
    listing the periods whose records were deleted, changed or added after anchoring."""
    client, _ = _client(rpc, deployments)
    broken = _log(home).check(client)
    for period in broken:
        console.print(f"[red]province {period['province']} period {period['period']}:[/] anchored "
                      f"{period['anchoredCount']} records, {period['foundCount']} found, root differs")  # fmt: skip
    if broken:
        raise LedgerValueError(f"{len(broken)} anchored periods no longer match the chain")
    console.print("every anchored period matches the chain")


@app.command("deploy")
def deploy(
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Deploy the `UsageLog` contract beside the consortium's contracts and record its address in the deployment
    record (a no-op when it has one)."""
    w3 = make_web3(rpc)
    folder = deployments_folder(deployments)
    deployment = Deployment.for_chain(folder, chain_id_of(w3))
    from ledger.audit import UsageLogRecord

    existing = UsageLogRecord.of(deployment)
    if existing is not None and len(w3.eth.get_code(existing.address)):  # type: ignore[arg-type]
        console.print(f"UsageLog already deployed at {existing.address}")
        return
    deployment, receipt = deploy_usage_log(w3, account_key(key_file), deployment)
    deployment.save(folder)
    console.print(f"UsageLog deployed at {deployment.extra['usageLog']['address']} (gas {receipt.gas_used:,})")

"""The `hurong` command line."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ledger.cli import agencies, audit, governance, rules, signing_keys
from ledger.cli import certificates as cli_certificates
from ledger.cli import ipfs as cli_ipfs
from ledger.cli import network as cli_network
from ledger.cli import pdf as cli_pdf
from ledger.cli import status_list as cli_status_list
from ledger.cli import trust_bundle as cli_trust_bundle
from ledger.cli.common import err_console
from ledger.errors import LedgerError

app = typer.Typer(
    name="hurong",
    help="Hurong (互认): cross-province mutual recognition of electronic certificates on a permissioned ledger.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()

DEFAULT_RPC = "http://127.0.0.1:8545"


@app.command("compile")
def compile_cmd(
    root: Annotated[Path | None, typer.Option(help="Project folder (with contracts/ and node_modules/)")] = None,
) -> None:
    """Compile the contracts with solc-js; write build/contracts/ and the packaged artifacts."""
    from ledger.toolchain.compiler import build

    started = time.perf_counter()
    with console.status("Compiling with solc-js…"):
        artifacts = build(root)
    table = Table("contract", "bytecode bytes", "ABI SHA-256", title="Compiled")
    for a in artifacts.values():
        table.add_row(a.name, f"{(len(a.bytecode) - 2) // 2:,}", a.abi_hash[:16] + "…")
    console.print(table)
    version = next(iter(artifacts.values())).compiler_version
    console.print(f"[green]compiled in {time.perf_counter() - started:.1f}s[/] (solc {version})")


@app.command("chain")
def chain_cmd(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port on 127.0.0.1")] = 8545,
    state: Annotated[Path | None, typer.Option(help="Persist chain state to this file")] = None,
    block_time: Annotated[float | None, typer.Option(min=0.01, help="Seconds per block (default: automine)")] = None,
    accounts: Annotated[int, typer.Option(min=1, max=1000, help="Dev accounts")] = 20,
) -> None:
    """Run a local anvil chain on 127.0.0.1 until Ctrl-C."""
    from ledger.chain.node import Anvil

    chain = Anvil(port=port, state=state, block_time=block_time, accounts=accounts)
    chain.start()
    console.print(f"[green]anvil listening on {chain.url}[/] (chain id {chain.chain_id}); Ctrl-C stops it")
    stop = False

    def _stop(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        while not stop and chain.process is not None and chain.process.poll() is None:
            time.sleep(0.2)
    finally:
        chain.stop()
        console.print("anvil stopped")


@app.command("deploy")
def deploy_cmd(
    config: Annotated[Path, typer.Option(help="Consortium description (YAML or JSON)", exists=False)],
    rpc: Annotated[str, typer.Option(help="JSON-RPC endpoint", envvar="HURONG_RPC_URL")] = DEFAULT_RPC,
    out: Annotated[Path, typer.Option(help="Folder of deployment records")] = Path("deployments"),
) -> None:
    """Deploy the contracts and bootstrap the consortium a description sets out."""
    from ledger.chain.bootstrap import bootstrap, load_description

    spec = load_description(config)
    result = bootstrap(spec, rpc, progress=lambda msg: console.print(f"  {msg}"))
    path = result.deployment.save(out)
    console.print(f"[green]deployment record written to {path}[/]")
    table = Table("contract", "address", title=f"Chain {result.deployment.chain_id}")
    for name, rec in result.deployment.contracts.items():
        table.add_row(name, rec.address)
    console.print(table)


@app.command("local")
def local_cmd(
    config: Annotated[Path, typer.Option(help="Consortium description")] = Path("examples/consortium.yaml"),
    home: Annotated[Path, typer.Option(help="Folder for chain state and records")] = Path(".hurong"),
    port: Annotated[int, typer.Option(min=1, max=65535, help="Chain port on 127.0.0.1")] = 8545,
    once: Annotated[bool, typer.Option(help="Set up, print the summary and stop (no waiting)")] = False,
) -> None:
    """Run a local consortium: anvil with persisted state, contracts deployed and bootstrapped once."""
    from ledger.chain.local import LocalConsortium

    os.umask(0o077)  # the chain's state, its log and the records are their owner's only

    consortium = LocalConsortium(config=config, home=home, port=port, log=console.print)
    with consortium:
        consortium.print_summary(console)
        if once:
            return
        console.print("[bold]Ctrl-C stops the consortium[/] (state is kept in " + str(home) + ")")
        consortium.wait()


cli_certificates.register(app)
cli_pdf.register(app)
app.add_typer(governance.app, name="gov")
app.add_typer(agencies.app, name="agency")
app.add_typer(signing_keys.app, name="signing-key")
app.add_typer(rules.app, name="rule")
app.add_typer(cli_network.app, name="network")
app.add_typer(cli_ipfs.app, name="ipfs")
app.command("fetch")(cli_ipfs.fetch_cmd)
app.add_typer(audit.app, name="audit")
app.add_typer(cli_status_list.app, name="status-list")
app.add_typer(cli_trust_bundle.app, name="trust-bundle")


def _register_plugins() -> None:
    """Add the command groups of the layers above the core (the service, the benchmarks), declared as
    `hurong.commands` entry points: one `hurong` command offers everything, and the core imports none of them."""
    from importlib.metadata import entry_points

    for entry in sorted(entry_points(group="hurong.commands"), key=lambda e: e.name):
        try:
            register = entry.load()
        except ImportError:  # that layer's dependencies are not installed
            continue
        register(app)


_register_plugins()


def main() -> None:
    try:
        app()
    except LedgerError as exc:
        err_console.print(f"[red]error:[/] {exc}")
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()

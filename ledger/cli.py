"""The `hurong` command line."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from . import cli_certificates
from .errors import LedgerError

app = typer.Typer(
    name="hurong",
    help="Hurong (互认): cross-province mutual recognition of electronic certificates on a permissioned ledger.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)

DEFAULT_RPC = "http://127.0.0.1:8545"


@app.command("compile")
def compile_cmd(
    root: Annotated[Path | None, typer.Option(help="Project folder (with contracts/ and node_modules/)")] = None,
) -> None:
    """Compile the contracts with solc-js; write build/contracts/ and the packaged artifacts."""
    from .compiler import build

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
    from .chain import Anvil

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
    from .deploy import bootstrap, load_description

    spec = load_description(config)
    result = bootstrap(spec, rpc, progress=lambda msg: console.print(f"  {msg}"))
    path = result.deployment.save(out)
    console.print(f"[green]deployment record written to {path}[/]")
    table = Table("contract", "address", title=f"Chain {result.deployment.chain_id}")
    for name, rec in result.deployment.contracts.items():
        table.add_row(name, rec.address)
    console.print(table)


@app.command("gas-report")
def gas_report_cmd(
    markdown: Annotated[Path | None, typer.Option(help="Also write the table as Markdown here")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the figures as JSON here")] = None,
) -> None:
    """Measure the gas of every mutating contract function on a fresh local chain."""
    from .gasreport import measure, to_markdown

    with console.status("Deploying and calling every function on a fresh anvil…"):
        entries = measure()
    table = Table("contract", "function", "case", "gas", title="Gas per call (from receipts)")
    for e in entries:
        table.add_row(e.contract, e.function, e.case, f"{e.gas:,}")
    console.print(table)
    if markdown:
        markdown.write_text(to_markdown(entries), encoding="utf-8")
    if json_out:
        json_out.write_text(json.dumps([e.__dict__ for e in entries], indent=1, ensure_ascii=False), encoding="utf-8")


@app.command("local")
def local_cmd(
    config: Annotated[Path, typer.Option(help="Consortium description")] = Path("examples/consortium.yaml"),
    home: Annotated[Path, typer.Option(help="Folder for chain state and records")] = Path(".hurong"),
    port: Annotated[int, typer.Option(min=1, max=65535, help="Chain port on 127.0.0.1")] = 8545,
    once: Annotated[bool, typer.Option(help="Set up, print the summary and stop (no waiting)")] = False,
) -> None:
    """Run a local consortium: anvil with persisted state, contracts deployed and bootstrapped once."""
    from .local import LocalConsortium

    os.umask(0o077)  # the chain's state, its log and the records are their owner's only

    consortium = LocalConsortium(config=config, home=home, port=port, log=lambda m: console.print(m))
    with consortium:
        consortium.print_summary(console)
        if once:
            return
        console.print("[bold]Ctrl-C stops the consortium[/] (state is kept in " + str(home) + ")")
        consortium.wait()


cli_certificates.register(app)


bench_app = typer.Typer(help="Library-level benchmarks on a fresh local chain (figures for BENCHMARKS.md).")
app.add_typer(bench_app, name="bench")


@bench_app.command("issue")
def bench_issue_cmd(
    count: Annotated[int, typer.Option(min=1, max=1_000_000, help="Certificates to issue")] = 20_000,
    batch: Annotated[int, typer.Option(min=1, max=100_000, help="Certificates per anchored root")] = 10_000,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the figures as JSON here")] = None,
) -> None:
    """Batch issuance end to end (certificates/s) and gas per certificate at batch 1, 100, 1,000, 10,000."""
    from .bench import bench_issue

    figures = bench_issue(count, batch, report=console.print)
    if json_out:
        json_out.write_text(json.dumps(figures, indent=1), encoding="utf-8")


@bench_app.command("verify")
def bench_verify_cmd(
    count: Annotated[int, typer.Option(min=1, max=1_000_000, help="Certificates to verify in bulk")] = 10_000,
    single: Annotated[int, typer.Option(min=1, max=100_000, help="Certificates to verify one by one")] = 500,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the figures as JSON here")] = None,
) -> None:
    """Bulk and single verification (verifications/s)."""
    from .bench import bench_verify

    figures = bench_verify(count, single, report=console.print)
    if json_out:
        json_out.write_text(json.dumps(figures, indent=1), encoding="utf-8")


@bench_app.command("api")
def bench_api_cmd(
    workers: Annotated[int, typer.Option(min=1, max=64, help="uvicorn workers")] = 2,
    certificates: Annotated[int, typer.Option(min=1, max=10_000, help="Certificates issued first")] = 2_000,
    seconds: Annotated[int, typer.Option(min=1, max=600, help="Seconds of load on /verify")] = 10,
    connections: Annotated[int, typer.Option(min=1, max=1024, help="wrk connections")] = 64,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the figures as JSON here")] = None,
) -> None:
    """The service under load: /verify requests/s and p50/p99 with wrk, /verify/bulk certificates/s."""
    from api.bench import bench_api

    figures = bench_api(workers=workers, certificates=certificates, seconds=seconds, connections=connections,
                        report=console.print)  # fmt: skip
    if json_out:
        json_out.write_text(json.dumps(figures, indent=1), encoding="utf-8")


@bench_app.command("peer", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench_peer_cmd(ctx: typer.Context) -> None:
    """Hurong side by side with OpenAttestation on one anvil (options of `python -m bench.compare`)."""
    import sys

    from .compiler import find_project_root

    sys.path.insert(0, str(find_project_root()))  # bench/ lives in the checkout, not in the installed package
    try:
        from bench.compare import main as compare_main
    except ImportError:
        raise LedgerError("run from a checkout of the project: the bench/ folder is missing") from None
    raise typer.Exit(compare_main(list(ctx.args)))


def _register_service_commands() -> None:
    try:
        from api import cli as api_cli
    except ImportError:  # the service's dependencies are not installed
        return
    api_cli.register(app)


_register_service_commands()


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

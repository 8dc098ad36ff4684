"""`hurong bench …` and `hurong gas-report`: the benchmarks' commands, plugged into `hurong` through the
`hurong.commands` entry point (the core never imports `bench`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bench.common import write_json

console = Console()


def register(app: typer.Typer) -> None:
    app.command("gas-report")(gas_report_cmd)
    app.add_typer(bench_app, name="bench")


def gas_report_cmd(
    markdown: Annotated[Path | None, typer.Option(help="Also write the table as Markdown here")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the figures as JSON here")] = None,
) -> None:
    """Measure the gas of every mutating contract function on a fresh local chain."""
    from bench.gasreport import measure, to_markdown

    with console.status("Deploying and calling every function on a fresh anvil…"):
        entries = measure()
    table = Table("contract", "function", "case", "gas", title="Gas per call (from receipts)")
    for e in entries:
        table.add_row(e.contract, e.function, e.case, f"{e.gas:,}")
    console.print(table)
    if markdown:
        markdown.write_text(to_markdown(entries), encoding="utf-8")
    if json_out:
        write_json(json_out, [e.__dict__ for e in entries], indent=1)


bench_app = typer.Typer(help="Benchmarks on fresh local chains (figures for BENCHMARKS.md).", no_args_is_help=True)


@bench_app.command("issue")
def bench_issue_cmd(
    count: Annotated[int, typer.Option(min=1, max=1_000_000, help="Certificates to issue")] = 20_000,
    batch: Annotated[int, typer.Option(min=1, max=100_000, help="Certificates per anchored root")] = 10_000,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the figures as JSON here")] = None,
) -> None:
    """Batch issuance end to end (certificates/s) and gas per certificate at batch 1, 100, 1,000, 10,000."""
    from bench.library import bench_issue

    figures = bench_issue(count, batch, report=console.print)
    if json_out:
        write_json(json_out, figures, indent=1)


@bench_app.command("verify")
def bench_verify_cmd(
    count: Annotated[int, typer.Option(min=1, max=1_000_000, help="Certificates to verify in bulk")] = 10_000,
    single: Annotated[int, typer.Option(min=1, max=100_000, help="Certificates to verify one by one")] = 500,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the figures as JSON here")] = None,
) -> None:
    """Bulk and single verification (verifications/s)."""
    from bench.library import bench_verify

    figures = bench_verify(count, single, report=console.print)
    if json_out:
        write_json(json_out, figures, indent=1)


@bench_app.command("scale")
def bench_scale_cmd(
    max_certificates: Annotated[
        int, typer.Option("--max", min=1, max=10_000_000, help="Certificates to issue in all (figures at each 10^k)")
    ] = 1_000_000,
    batch: Annotated[int, typer.Option(min=1, max=100_000, help="Certificates per anchored root")] = 10_000,
    provinces: Annotated[int, typer.Option(min=1, max=31, help="Provinces of the consortium")] = 31,
    agencies: Annotated[int, typer.Option(min=1, max=50, help="Agencies per province")] = 10,
    seconds: Annotated[int, typer.Option(min=1, max=600, help="Seconds of wrk load on /verify per decade")] = 10,
    connections: Annotated[int, typer.Option(min=1, max=1024, help="wrk connections")] = 64,
    workers: Annotated[int, typer.Option(min=1, max=64, help="uvicorn workers of the service")] = 2,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the figures as JSON here")] = None,
) -> None:
    """Cost growth on one chain: issuance rate, /verify p99 and index bytes per certificate at each decade."""
    from bench.scale import bench_scale

    if max_certificates < batch:
        console.print("[red]--max must be at least one batch[/]")
        raise typer.Exit(2)
    figures = bench_scale(maximum=max_certificates, batch=batch, provinces=provinces,
                          agencies_per_province=agencies, seconds=seconds, connections=connections,
                          workers=workers, report=console.print)  # fmt: skip
    if json_out:
        write_json(json_out, figures, indent=1)


@bench_app.command("api")
def bench_api_cmd(
    workers: Annotated[int, typer.Option(min=1, max=64, help="uvicorn workers")] = 2,
    certificates: Annotated[int, typer.Option(min=1, max=10_000, help="Certificates issued first")] = 2_000,
    seconds: Annotated[int, typer.Option(min=1, max=600, help="Seconds of load on /verify")] = 10,
    connections: Annotated[int, typer.Option(min=1, max=1024, help="wrk connections")] = 64,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the figures as JSON here")] = None,
) -> None:
    """The service under load: /verify requests/s and p50/p99 with wrk, /verify/bulk certificates/s."""
    from bench.service import bench_api

    figures = bench_api(workers=workers, certificates=certificates, seconds=seconds, connections=connections,
                        report=console.print)  # fmt: skip
    if json_out:
        write_json(json_out, figures, indent=1)


@bench_app.command("peer", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench_peer_cmd(ctx: typer.Context) -> None:
    """Hurong side by side with OpenAttestation on one anvil (options of `python -m bench.compare`)."""
    from bench.compare import main as compare_main

    raise typer.Exit(compare_main(list(ctx.args)))

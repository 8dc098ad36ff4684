"""`hurong verify`: wrapped certificates or QR images verified against the chain, now or as of a past block or
time."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ledger.cli.common import DEFAULT_RPC, DeploymentsOption, RpcOption, connect, console, read_json
from ledger.errors import LedgerValueError

_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp")


def verify_cmd(
    files: Annotated[list[Path], typer.Argument(help="Wrapped certificates (.json) or QR images (.png, .jpg)")],
    province: Annotated[int | None, typer.Option(help="Accepting province (GB/T 2260 code)")] = None,
    service_item: Annotated[str | None, typer.Option(help="Service item code")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON")] = False,
    resolve: Annotated[
        Path | None,
        typer.Option(help="Folder resolving QR references: <digest>.json, else any certificate file in it"),
    ] = None,
    block: Annotated[
        int | None, typer.Option(min=0, help="Verify as of this block: its state, and validity at its time")
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            help="Verify as of this RFC 3339 time (e.g. 2025-06-01T08:00:00+08:00): the chain at the last "
            "block at or before it, validity and recognition at that time"
        ),
    ] = None,
    status_lists: Annotated[
        bool,
        typer.Option(
            "--status-lists",
            help="Also read the Bitstring Status Lists a certificate's entries point to (over HTTP) and warn where "
            "they disagree with the chain (status_list_disagrees) or cannot be read (status_list_unreadable)",
        ),
    ] = False,
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = None,
) -> None:
    """Verify certificates; exit status 0 only when every one is VALID (the chain decides the status; what the
    status lists say only warns)."""
    from ledger.verification.status_lists import http_fetch
    from ledger.verification.verifier import VALID, VerificationContext, Verifier, parse_time

    if block is not None and at is not None:
        raise LedgerValueError("give --block or --at, not both")
    when = parse_time(at) if at is not None else None  # refuse a malformed time before reading any file
    context = VerificationContext(province, service_item) if province or service_item else None
    documents = [_read_document(path, resolve) for path in files]
    verifier = Verifier(connect(rpc, deployments), status_lists=http_fetch() if status_lists else None)
    point: int | str = block if block is not None else "latest"
    results = (
        [verifier.verify(documents[0], context, block=point, at=when)]
        if len(documents) == 1
        else verifier.verify_many(documents, context, block=point, at=when)
    )
    if as_json:
        payload = [r.to_json() | {"file": str(f)} for r, f in zip(results, files, strict=True)]
        sys.stdout.write(json.dumps(payload if len(payload) > 1 else payload[0], ensure_ascii=False, indent=1))
        sys.stdout.write("\n")
    else:
        for path, result in zip(files, results, strict=True):
            _print_result(path, result)
    raise typer.Exit(0 if all(r.verdict == VALID for r in results) else 1)


def _read_document(path: Path, resolve: Path | None) -> Any:
    """A wrapped certificate from a JSON file, or from a QR image (a reference resolved in the folder `resolve`)."""
    if path.suffix.lower() in _IMAGE_SUFFIXES:
        from ledger.certificates.qr import decode_payload, folder_resolver, read_qr

        return decode_payload(read_qr(path), folder_resolver(resolve) if resolve else None)
    return read_json(path)


def _print_result(path: Path, result: Any) -> None:
    colour = {"VALID": "green", "INVALID": "red", "NOT_RECOGNIZED": "yellow"}[result.verdict]
    table = Table("check", "outcome", "code", "说明 / message", title=f"{path.name}: [{colour}]{result.verdict}[/]")
    marks = {"passed": "[green]passed[/]", "failed": "[red]failed[/]", "skipped": "[dim]skipped[/]"}
    for check in result.checks:
        table.add_row(check.name, marks[check.outcome], check.code, f"{check.message}\n[dim]{check.message_en}[/]")
    console.print(table)
    for warning in result.warnings:
        console.print(f"[yellow]warning {warning.code}:[/] {warning.message} [dim]({warning.message_en})[/]")
    judged = f", judged as of {_iso(result.at)}" if result.at is not None and result.at != result.checked_at else ""
    console.print(f"[dim]read at block {result.block_number} ({result.block_hash}){judged}[/]")


def _iso(seconds: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

"""`hurong redact` and `hurong qr`: what a holder does with a wrapped certificate, without the chain."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger.cli.common import CertificateArgument, console, read_json, write_json


def redact_cmd(
    file: CertificateArgument,
    hide: Annotated[list[str], typer.Option("--hide", help="JSON Pointer of a field or object to hide")],
    out: Annotated[Path, typer.Option(help="Where to write the redacted certificate")],
) -> None:
    """Hide fields of a certificate (selective disclosure); the result still verifies."""
    from ledger.certificates.hashing import redact

    write_json(out, redact(read_json(file), hide))
    console.print(f"[green]hid {len(hide)} field(s)[/] → {out}")


def qr_cmd(
    file: CertificateArgument,
    out: Annotated[Path, typer.Option(help="PNG or SVG file to write")],
    reference: Annotated[bool, typer.Option(help="Encode a compact reference even if the document fits")] = False,
    scale: Annotated[int, typer.Option(min=1, max=40, help="Pixels per module")] = 4,
) -> None:
    """Export a certificate as a QR code (the document, or a compact reference if it is too large)."""
    from ledger.certificates.qr import write_qr

    kind = write_qr(read_json(file), out, scale=scale, force_reference=reference)
    console.print(f"[green]QR code with the {kind}[/] → {out}")

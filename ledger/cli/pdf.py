"""`hurong pdf`: the printable licence of a wrapped certificate (A4 PDF with a verifying QR code)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger.cli.common import CertificateArgument, console, read_json, refusals
from ledger.errors import LedgerValueError


@refusals
def pdf_cmd(
    file: CertificateArgument,
    out: Annotated[Path, typer.Option(help="The PDF file to write")],
) -> None:
    """Write the printable licence of a certificate: an A4 PDF in Chinese with the fonts embedded, the issuing
    agency, validity, licence identifier, anchoring block and a QR code that verifies it."""
    from ledger.certificates.pdf import licence_pdf

    data = licence_pdf(read_json(file))
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise LedgerValueError(f"cannot write {out}: {exc.strerror}") from None
    console.print(f"[green]printable licence ({len(data):,} bytes)[/] → {out}")


def register(app: typer.Typer) -> None:
    app.command("pdf")(pdf_cmd)

"""The ZIP an agency downloads of its certificates: each wrapped certificate as JSON beside its QR image, and an
index of both."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Sequence
from typing import Any

from ledger.certificates.qr import qr_png

_UNSAFE = re.compile(r"[^\w.-]", re.ASCII)


def export_name(document: dict[str, Any]) -> str:
    """`<licence number>-<first 8 hex digits of the digest>`, with every character unsafe in a file name as `_`."""
    subject = document.get("credentialSubject")
    number = subject.get("licenceNumber") if isinstance(subject, dict) else None
    stem = _UNSAFE.sub("_", str(number))[:64] if number else "certificate"
    return f"{stem}-{str(document['proof']['digest'])[2:10]}"


def export_zip(documents: Sequence[dict[str, Any]]) -> bytes:
    """A ZIP (deflated) of `documents`: `certificates/<name>.json`, `qr/<name>.png` and `index.csv` (UTF-8 with a
    byte order mark, so spreadsheet programs read the Chinese type names)."""
    buffer = io.BytesIO()
    index = io.StringIO()
    writer = csv.writer(index, lineterminator="\r\n")
    writer.writerow(["licenceNumber", "certificateType", "digest", "transactionHash", "blockNumber", "certificate",
                     "qr", "qrHolds"])  # fmt: skip
    used: set[str] = set()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for document in documents:
            name = export_name(document)
            while name in used:
                name += "_"
            used.add(name)
            kind, png = qr_png(document)
            archive.writestr(f"certificates/{name}.json", json.dumps(document, ensure_ascii=False, indent=2))
            archive.writestr(f"qr/{name}.png", png)
            subject = document.get("credentialSubject") or {}
            anchor = document["proof"].get("anchor") or {}
            row = [subject.get("licenceNumber", ""), subject.get("certificateType", ""), document["proof"]["digest"],
                   anchor.get("transactionHash", ""), anchor.get("blockNumber", "")]  # fmt: skip
            writer.writerow([*row, f"certificates/{name}.json", f"qr/{name}.png", kind])
        archive.writestr("index.csv", "\ufeff" + index.getvalue())
    return buffer.getvalue()

"""QR codes of certificates: the whole document when it fits, else a compact reference to resolve.

A document is carried as `HRZ:` followed by its compact JSON compressed with zlib (byte mode); plain JSON is
read too. A reference is `hurong:1;<chainId>;<registry>;<agency>;<digest>` (ASCII): a verifier resolves it to
the document through a resolver (`folder_resolver`: a folder of wrapped certificates named by digest; no service
route resolves references).
"""

from __future__ import annotations

import io
import json
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import segno

from ledger.errors import LedgerValueError
from ledger.errors import QRError as QRError

REFERENCE_PREFIX = "hurong:1;"
COMPRESSED_PREFIX = b"HRZ:"
#: Largest decompressed document accepted from a QR code (refuses compression bombs).
MAX_DECOMPRESSED = 1 << 20
#: Largest payload put in one QR code (byte mode, error correction M, version 40 holds 2,331 bytes).
MAX_DOCUMENT_BYTES = 2331
_REFERENCE = re.compile(
    r"^hurong:1;(?P<chain>[1-9][0-9]{0,18});(?P<registry>0x[0-9a-fA-F]{40});(?P<agency>0x[0-9a-fA-F]{40});"
    r"(?P<digest>0x[0-9a-fA-F]{64})$"
)


@dataclass(frozen=True)
class Reference:
    chain_id: int
    registry: str
    agency: str
    digest: str

    def encode(self) -> str:
        return f"{REFERENCE_PREFIX}{self.chain_id};{self.registry};{self.agency};{self.digest}"

    @classmethod
    def of(cls, document: dict[str, Any]) -> Reference:
        from ledger.certificates.did import parse_agency_did

        proof = document["proof"]
        chain_id, agency = parse_agency_did(document["issuer"]["id"])
        return cls(chain_id, proof["registry"], agency, proof["digest"].lower())

    @classmethod
    def parse(cls, text: str) -> Reference:
        match = _REFERENCE.match(text.strip())
        if match is None:
            raise QRError("not a Hurong certificate reference")
        return cls(int(match["chain"]), match["registry"], match["agency"], match["digest"].lower())


def compact(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def payload_for(document: dict[str, Any], *, force_reference: bool = False) -> tuple[str, bytes]:
    """("document" | "reference", payload bytes) for a wrapped certificate."""
    data = COMPRESSED_PREFIX + zlib.compress(compact(document), 9)
    if not force_reference and len(data) <= MAX_DOCUMENT_BYTES:
        return "document", data
    return "reference", Reference.of(document).encode().encode("ascii")


def write_qr(document: dict[str, Any], path: Path, *, scale: int = 4, force_reference: bool = False) -> str:
    """Write a PNG or SVG QR code (by `path`'s suffix); returns what it holds ("document" or "reference")."""
    if path.suffix.lower() not in (".png", ".svg"):
        raise LedgerValueError("the QR file must end in .png or .svg")
    kind, qr = make_qr(document, force_reference=force_reference)
    qr.save(str(path), scale=scale, border=4)
    return kind


def qr_png(document: dict[str, Any], *, scale: int = 4, force_reference: bool = False) -> tuple[str, bytes]:
    """("document" | "reference", PNG bytes) of a wrapped certificate's QR code, encoded natively by zxing-cpp
    (about 15 times faster than `make_qr` for a whole document: exports of thousands stay quick)."""
    import zxingcpp
    from PIL import Image

    kind, payload = payload_for(document, force_reference=force_reference)
    code = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode, ec_level=_error_level(kind).upper())
    out = io.BytesIO()
    Image.fromarray(zxingcpp.write_barcode_to_image(code, scale=scale)).save(out, format="PNG", optimize=False)
    return kind, out.getvalue()


def make_qr(document: dict[str, Any], *, force_reference: bool = False) -> tuple[str, segno.QRCode]:
    """("document" | "reference", the QR code) of a wrapped certificate."""
    kind, payload = payload_for(document, force_reference=force_reference)
    return kind, segno.make_qr(payload, mode="byte", error=_error_level(kind), boost_error=False)


def _error_level(kind: str) -> str:
    """The error correction level of a QR code: M for a whole document (it must fit), Q for a short reference."""
    return "m" if kind == "document" else "q"


def read_qr(path: Path) -> bytes:
    """The payload of the (first) QR code in an image file."""
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(path)
        image.load()
    except (OSError, UnidentifiedImageError) as exc:
        raise QRError(f"cannot read image {path}: {exc}") from None
    results = [r for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]
    if not results:
        raise QRError(f"no QR code found in {path}")
    result = results[0]
    return bytes(result.bytes)


def decode_payload(
    payload: bytes, resolve: Callable[[Reference], dict[str, Any] | None] | None = None
) -> dict[str, Any]:
    """The certificate a QR payload holds or refers to."""
    if payload.startswith(COMPRESSED_PREFIX):
        inflater = zlib.decompressobj()
        try:
            payload = inflater.decompress(payload[len(COMPRESSED_PREFIX) :], MAX_DECOMPRESSED)
        except zlib.error:
            raise QRError("the QR code's compressed certificate is corrupted") from None
        if inflater.unconsumed_tail:
            raise QRError("the QR code's certificate is too large")
    try:
        text = payload.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        raise QRError("the QR code holds neither a certificate nor a Hurong reference") from None
    if text.startswith(REFERENCE_PREFIX):
        reference = Reference.parse(text)
        document = resolve(reference) if resolve else None
        if document is None:
            raise QRError(f"reference to certificate {reference.digest} could not be resolved")
        return document
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        raise QRError("the QR code holds neither a certificate nor a Hurong reference") from None
    if not isinstance(document, dict):
        raise QRError("the QR code does not hold a JSON object")
    return document


def folder_resolver(folder: Path) -> Callable[[Reference], dict[str, Any] | None]:
    """Resolve references from a folder of wrapped certificates: `<digest>.json` (as `hurong issue` writes them),
    else any `*.json` in it or below whose proof names the digest and the agency (an unzipped export, whose files
    are named by licence); files too large for a certificate or that are no JSON object are passed over."""

    def resolve(reference: Reference) -> dict[str, Any] | None:
        path = folder / f"{reference.digest}.json"
        if path.is_file():
            document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            return document
        for candidate in sorted(folder.rglob("*.json")):
            found = _certificate_in(candidate)
            if found is not None and _names(found, reference):
                return found
        return None

    return resolve


def _certificate_in(path: Path) -> dict[str, Any] | None:
    """The JSON object in `path`, or None (not a file, larger than `MAX_DECOMPRESSED`, not a JSON object)."""
    try:
        if not path.is_file() or path.stat().st_size > MAX_DECOMPRESSED:
            return None
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def _names(document: dict[str, Any], reference: Reference) -> bool:
    """Whether a wrapped certificate is the one `reference` names (its digest, registry, chain and issuer)."""
    try:
        found = Reference.of(document)
    except (KeyError, TypeError, AttributeError, LedgerValueError):
        return False
    return (
        found.chain_id == reference.chain_id
        and found.digest == reference.digest.lower()
        and (
            found.registry.lower(),
            found.agency.lower(),
        )
        == (reference.registry.lower(), reference.agency.lower())
    )

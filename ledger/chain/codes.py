"""Short identifiers (certificate type codes, service item codes) as `bytes32` on chain, and batch manifests as
the SHA-256 digest of their CIDv1 the `BatchAnchored` event carries."""

from __future__ import annotations

import re

from multiformats import CID

from ledger.errors import LedgerValueError

#: Longest textual manifest CID accepted (a sha2-256 CIDv1 in base32 has 59 characters).
MAX_CID_CHARS = 256
#: The `manifest` argument of `anchor` for a batch anchored without a manifest.
NO_MANIFEST = bytes(32)
#: Multicodec codes of the CIDs a manifest may have: one `raw` block, or a `dag-pb` UnixFS root (larger manifests).
MANIFEST_CODECS = (0x55, 0x70)
_SHA2_256 = 0x12

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,31}$")


def encode_code(code: str, *, what: str = "code") -> bytes:
    """Encode a code (1–32 ASCII letters, digits, `.`, `_`, `:`, `-`) as UTF-8, right-padded to 32 bytes."""
    if not isinstance(code, str) or not _CODE.match(code):
        raise LedgerValueError(
            f"invalid {what} {code!r}: 1-32 characters of letters, digits, '.', '_', ':', '-', starting alphanumeric"
        )
    return code.encode("ascii").ljust(32, b"\0")


def encode_optional_code(code: str | None, *, what: str = "code") -> bytes:
    """`None` or `"*"` (any) becomes 32 zero bytes; anything else as `encode_code`."""
    if code is None or code == "*":
        return b"\0" * 32
    return encode_code(code, what=what)


def decode_code(raw: bytes) -> str | None:
    """The code stored in a `bytes32`, or `None` for zero (any)."""
    stripped = bytes(raw).rstrip(b"\0")
    if not stripped:
        return None
    try:
        return stripped.decode("ascii")
    except UnicodeDecodeError:
        return "0x" + bytes(raw).hex()


def is_province_code(code: object) -> bool:
    """Whether `code` is a GB/T 2260 province-level code as the contracts store it (an int like 310000)."""
    return isinstance(code, int) and not isinstance(code, bool) and 110000 <= code <= 829999 and code % 10000 == 0


def province_code(code: object, *, allow_zero: bool = False) -> int:
    """`code` when it is a province-level code (or 0 with `allow_zero`); `LedgerValueError` otherwise."""
    if isinstance(code, bool) or not isinstance(code, int):
        raise LedgerValueError(f"province code must be an integer, got {code!r}")
    if allow_zero and code == 0:
        return 0
    if not is_province_code(code):
        raise LedgerValueError(f"{code} is not a GB/T 2260 province-level code (like 310000)")
    return code


def parse_bytes32(value: str | bytes, *, what: str = "value") -> bytes:
    """A 32-byte value from bytes or a 0x-prefixed hex string of 64 digits."""
    if isinstance(value, bytes | bytearray):
        if len(value) != 32:
            raise LedgerValueError(f"{what} must be 32 bytes, got {len(value)}")
        return bytes(value)
    if not isinstance(value, str) or not re.fullmatch(r"0x[0-9a-fA-F]{64}", value):
        raise LedgerValueError(f"{what} must be 0x followed by 64 hex digits, got {value!r}")
    return bytes.fromhex(value[2:])


def encode_manifest(cid: str) -> bytes:
    """The 32 bytes `anchor` takes for a batch manifest: the SHA-256 digest inside its textual CIDv1 (base32,
    multibase `b`, as IPFS prints it; codec `raw` or `dag-pb`, sha2-256 multihash), or 32 zero bytes for `""`
    (no manifest).

    Only a canonical CID is accepted, so the CID rebuilt from the digest (`ledger.store.cid.digest_cids`, the
    candidate of the codec the store holds) is exactly the string the issuer anchored.
    """
    if not isinstance(cid, str) or len(cid) > MAX_CID_CHARS:
        raise LedgerValueError(f"manifest CID must be a string of at most {MAX_CID_CHARS} characters")
    if not cid:
        return NO_MANIFEST
    if not cid.startswith("b"):
        raise LedgerValueError(f"manifest CID {cid!r} is not a CIDv1 in base32 (multibase 'b', lower case)")
    try:
        parsed = CID.decode(cid)
    except (ValueError, LookupError) as exc:  # multiformats' decoding, unknown-code and varint errors
        raise LedgerValueError(f"manifest CID {cid!r} is not a valid CID: {exc}") from None
    if parsed.version != 1 or parsed.encode("base32") != cid:
        raise LedgerValueError(f"manifest CID {cid!r} is not a CIDv1 in base32 (multibase 'b', lower case)")
    if parsed.codec.code not in MANIFEST_CODECS or parsed.hashfun.code != _SHA2_256 or len(parsed.raw_digest) != 32:
        raise LedgerValueError(f"manifest CID {cid!r} is not a sha2-256 raw or dag-pb CIDv1")
    digest = bytes(parsed.raw_digest)
    if digest == NO_MANIFEST:
        raise LedgerValueError(f"manifest CID {cid!r} has an all-zero digest, which means no manifest on chain")
    return digest


def decode_manifest(raw: bytes) -> str:
    """The manifest digest a `BatchAnchored` event carries as `0x` + 64 hex digits, or `""` for zero (no
    manifest)."""
    data = bytes(raw)
    if len(data) != 32:
        raise LedgerValueError(f"a manifest digest is 32 bytes, got {len(data)}")
    return "" if data == NO_MANIFEST else "0x" + data.hex()

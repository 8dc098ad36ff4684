"""Short identifiers (certificate type codes, service item codes) as `bytes32` on chain, and manifest CIDs as the
binary CIDv1 the `BatchAnchored` event carries."""

from __future__ import annotations

import re

from multiformats import CID

from ledger.errors import LedgerValueError

#: Longest textual manifest CID accepted (a sha2-256 CIDv1 in base32 has 59 characters).
MAX_CID_CHARS = 256

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


def encode_cid(cid: str) -> bytes:
    """The binary form of a textual CIDv1 in base32 (multibase `b`, as IPFS prints it); `""` gives no bytes.

    Only a CID that reads back as the same text is accepted (`decode_cid(encode_cid(cid)) == cid`), so the
    index, the API and the journal see exactly the string the issuer anchored.
    """
    if not isinstance(cid, str) or len(cid) > MAX_CID_CHARS:
        raise LedgerValueError(f"manifest CID must be a string of at most {MAX_CID_CHARS} characters")
    if not cid:
        return b""
    if not cid.startswith("b"):
        raise LedgerValueError(f"manifest CID {cid!r} is not a CIDv1 in base32 (multibase 'b', lower case)")
    try:
        parsed = CID.decode(cid)
    except (ValueError, LookupError) as exc:  # multiformats' decoding, unknown-code and varint errors
        raise LedgerValueError(f"manifest CID {cid!r} is not a valid CID: {exc}") from None
    if parsed.version != 1 or parsed.encode("base32") != cid:
        raise LedgerValueError(f"manifest CID {cid!r} is not a CIDv1 in base32 (multibase 'b', lower case)")
    return bytes(parsed)


def decode_cid(raw: bytes) -> str:
    """The textual CIDv1 (base32) of the binary form an event carries; `""` for no bytes, and `0x` + hex for
    bytes that are not a CIDv1 (anyone may anchor through the contract directly)."""
    data = bytes(raw)
    if not data:
        return ""
    try:
        parsed = CID.decode(data)
    except (ValueError, LookupError):  # not a CID: shown as it is on chain
        return "0x" + data.hex()
    if parsed.version != 1 or bytes(parsed) != data:
        return "0x" + data.hex()
    return str(parsed.encode("base32"))

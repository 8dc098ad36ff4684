"""JSON text read fast and exactly: orjson where it keeps every value, Python's json where it would not.

orjson reads an integer beyond 64 bits silently as a float (`18446744073709551616` → `1.8446744073709552e+19`)
where Python's json keeps the integer. `long_number` finds such a number before either parser runs: a run of
nineteen digits or more outside strings (natively, ~1 µs a request body), or, where the native core is missing, a
regular expression for a number of nineteen digits where a value starts (after `:`, `[` or `,`; hex digests and
salts have their digits after a letter or a digit). Nineteen, not twenty: below -2**63 orjson reads a negative
integer of nineteen digits (-9223372036854775809) as a float as well."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import orjson

from ledger.certificates.native import native

#: Digits in a row from which a number is left to Python's json: 2**64 has twenty, and -2**63 - 1, which orjson
#: reads as a float too, nineteen.
LONG_NUMBER_DIGITS = 19
_LONG_NUMBER = re.compile(rb"(?:^|[:\[,])[ \t\n\r]*-?[0-9]{%d}" % LONG_NUMBER_DIGITS)
_native_long_number: Callable[[bytes, int], bool] | None = getattr(native, "long_number", None)


def long_number(text: bytes) -> bool:
    """Whether `text` may hold a number orjson would not read exactly (see the module)."""
    if _native_long_number is not None:
        return _native_long_number(text, LONG_NUMBER_DIGITS)
    return _LONG_NUMBER.search(text) is not None


def orjson_exact(text: bytes) -> tuple[bool, Any]:
    """(True, the value) where orjson reads `text` and keeps every value; (False, None) where it refuses the text
    or could change a number: Python's json is then the one to read it."""
    if long_number(text):
        return False, None
    try:
        return True, orjson.loads(text)
    except orjson.JSONDecodeError:
        return False, None


def loads_exact(text: bytes) -> Any:
    """`text` parsed, by orjson where it reads it exactly, else by Python's json (whose errors it raises)."""
    parsed, value = orjson_exact(text)
    return value if parsed else json.loads(text)

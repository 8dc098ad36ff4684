"""JSON Pointers and the string formats of the bundled schemas.

`escape_pointer` and `_pointer` build the RFC 6901 pointers every `Problem` names a field by; `_RFC3339` is the
date-time grammar of credentials; `_DETAILED_FORMATS` maps the Chinese formats (resident ID, unified social credit
code, GB/T 2260 codes) to the checks of `validation` that explain a failure, and `_FORMAT_FUNCTIONS` holds the
yes/no check of every format the schemas use, shared by jsonschema's format checker and the schema compiler.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

from ledger.certificates import validation
from ledger.certificates.validation import Problem

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})",
    flags=re.ASCII,
)


def escape_pointer(token: str) -> str:
    """One RFC 6901 reference token (`~` as `~0`, `/` as `~1`)."""
    return token.replace("~", "~0").replace("/", "~1")


def _pointer(base: str, path: Iterable[Any]) -> str:
    return base + "".join(f"/{escape_pointer(str(part))}" for part in path)


def _date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value, flags=re.ASCII):
        return False
    date.fromisoformat(value)
    return True


def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return bool(_RFC3339.fullmatch(value)) and bool(datetime.fromisoformat(value.upper().replace("Z", "+00:00")))


#: Formats of the schemas whose failures are explained by a check of `validation` (value, pointer -> problems).
_DETAILED_FORMATS: Mapping[str, Callable[[Any, str], list[Problem]]] = {
    "gb11643-resident-id": validation.check_resident_id,
    "gb32100-uscc": validation.check_uscc,
    "gb2260-province": validation.check_province_code,
    "gb2260-region": validation.check_region_code,
}


def _passes(check: Callable[[Any, str], list[Problem]]) -> Callable[[object], bool]:
    return lambda value: not isinstance(value, str) or not check(value, "")


#: The formats the bundled schemas use; each function raises ValueError or returns False for a bad value.
_FORMAT_FUNCTIONS: Mapping[str, Callable[[object], bool]] = {
    "date": _date,
    "date-time": _date_time,
    **{name: _passes(check) for name, check in _DETAILED_FORMATS.items()},
}

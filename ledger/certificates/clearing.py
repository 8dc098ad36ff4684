"""Clearing credentials in the native core: which documents `validate_credential` passes, decided at once.

`cleared(documents)` answers for each document True only where `validate_credential` raises nothing on it (a
wrapped credential's `proof` is ignored, as there); False where it may raise, and the caller runs the reference
on that document, so every problem reported stays the reference's. The native core (`hurong_native.Clearing`,
`clear_credentials`) copies the documents of exact JSON types out of Python and checks them without the GIL, on
all cores for large batches, with the same compiled schemas as `schema_checks`. Where the core is missing or
predates clearing, nothing is cleared and everything runs as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from ledger.certificates.catalogue import _TYPES_BY_CODE
from ledger.certificates.documents import _multiline, validate_credential
from ledger.certificates.schema_checks import _native_schema
from ledger.certificates.validation import _native_checks


@cache
def native_clearing() -> Any:
    """The native core's `Clearing` of the bundled schemas, or None where credentials are not cleared natively."""
    native = _native_checks()
    if native is None or not hasattr(native, "clear_credentials"):
        return None
    envelope = _native_schema("_envelope.json")
    if envelope is None:
        return None
    kinds = {}
    for code, kind in _TYPES_BY_CODE.items():
        schema = _native_schema(kind.schema_file)
        if schema is not None:  # a type the native core has no plan of is never cleared
            kinds[code] = (schema, set(_multiline(kind.schema_file, "/credentialSubject")))
    return native.Clearing(envelope, set(_multiline("_envelope.json", "")), kinds)


def cleared(documents: Sequence[Any]) -> list[bool]:
    """For each document, whether the native core found that `validate_credential` passes it (all False where
    the core does not clear)."""
    clearing = native_clearing()
    if clearing is None or not documents:
        return [False] * len(documents)
    batch = documents if type(documents) is list else list(documents)
    return list(_native_checks().clear_credentials(clearing, batch))


def cleared_by(validate: Callable[[Any], None], documents: Sequence[Any]) -> list[bool]:
    """`cleared(documents)` where `validate` is `validate_credential` itself (what clearing stands for), else all
    False: another validator decides every document."""
    return cleared(documents) if validate is validate_credential else [False] * len(documents)

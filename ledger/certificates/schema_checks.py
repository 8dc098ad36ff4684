"""Checking a document against a bundled JSON Schema, and explaining what it refuses.

`_schema_problems` runs the native core's compiled schema (`hurong_native.Schema`, from the plan of
`ledger.certificates.schema_compiler._plan`) where the core is in use; it decides and explains with the same
pointers, codes and messages as the reference, `_py_schema_problems`. The reference runs the compiled predicate
of `ledger.certificates.schema_compiler` first and, only when it refuses, jsonschema's Draft 2020-12 validator
(`_validator`, with the format checker of `_format_checker`); `_explain` turns each jsonschema error into
`Problem`s with the field's JSON Pointer and a machine-readable code (`_GENERIC_CODES`, `_FORMAT_CODES`, a
schema's `x-error-code`, or the detailed checks of `validation`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from jsonschema import (  # type: ignore[import-untyped,unused-ignore]
    Draft202012Validator,
    FormatChecker,
    ValidationError,
)

from ledger.certificates.catalogue import _schema
from ledger.certificates.formats import _DETAILED_FORMATS, _FORMAT_FUNCTIONS, _pointer, escape_pointer
from ledger.certificates.schema_compiler import _FORMAT_CODES, _GENERIC_CODES, _compiled, _plan
from ledger.certificates.validation import Problem, _native_checks


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    for name, function in _FORMAT_FUNCTIONS.items():
        checker.checks(name, raises=ValueError)(function)
    return checker


@cache
def _validator(name: str) -> Draft202012Validator:
    schema = _schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=_format_checker())


@cache
def _native_schema(name: str) -> Any:
    """The native core's compiled form of a bundled schema, or None where the reference runs."""
    native = _native_checks()
    plan = _plan(name) if native is not None else None
    return None if plan is None else native.Schema(plan)


def _schema_problems(name: str, instance: Any, base: str) -> list[Problem]:
    """Problems of `instance` against a bundled schema, its pointers under `base` (empty when it is valid)."""
    schema = _native_schema(name)
    if schema is None:
        return _py_schema_problems(name, instance, base)
    return [Problem(*problem) for problem in schema.problems(instance, base)]


def _py_schema_problems(name: str, instance: Any, base: str) -> list[Problem]:
    """The reference of `_schema_problems`: the compiled predicate first, jsonschema to explain."""
    fast = _compiled(name)
    if fast is not None and fast(instance):
        return []
    problems: list[Problem] = []
    for error in _validator(name).iter_errors(instance):
        problems.extend(_explain(error, base))
    return problems


def _explain(error: ValidationError, base: str) -> list[Problem]:
    where = _pointer(base, error.absolute_path)
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    keyword = str(error.validator)
    title = schema.get("title")
    label = f"{title}: " if title else ""
    if keyword == "required":
        properties = schema.get("properties", {})
        return [
            Problem(
                f"{where}/{escape_pointer(name)}",
                "missing_field",
                f"{properties.get(name, {}).get('title', name)} ({name}) is required",
            )
            for name in error.validator_value
            if isinstance(error.instance, Mapping) and name not in error.instance
        ]
    if keyword == "additionalProperties":
        allowed = set(schema.get("properties", {}))
        return [
            Problem(
                f"{where}/{escape_pointer(str(name))}",
                "unexpected_field",
                f"{name} is not a field of {title or 'this object'}",
            )
            for name in error.instance
            if name not in allowed
        ]
    if keyword == "format" and error.validator_value in _DETAILED_FORMATS:
        detailed = _DETAILED_FORMATS[error.validator_value](error.instance, where)
        if detailed:
            return [Problem(p.pointer, p.code, f"{label}{p.message}") for p in detailed]
    code = schema.get("x-error-code") or _FORMAT_CODES.get(str(error.validator_value) if keyword == "format" else "")
    code = code or _GENERIC_CODES.get(keyword, "schema_violation")
    return [Problem(where, str(code), f"{label}{error.message}")]

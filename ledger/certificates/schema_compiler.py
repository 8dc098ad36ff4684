"""The compiler of the bundled JSON Schemas into plain predicates.

Issuance validates every document, so a schema is also compiled into a plain predicate (`Predicate`) that decides
validity several times faster than jsonschema; jsonschema only runs to explain a document the predicate refuses
(`ledger.certificates.schema_checks`). The compiler knows just the keywords the bundled schemas use and gives up
(`_compiled` returns None) on any other.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from ledger.certificates.catalogue import _schema
from ledger.certificates.formats import _FORMAT_FUNCTIONS

Predicate = Callable[[Any], bool]
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "title", "description", "examples", "default", "x-error-code", "x-multiline"}
)


class _Unsupported(Exception):
    pass


def _json_equal(a: Any, b: Any) -> bool:
    """JSON equality as JSON Schema means it: booleans are not numbers, 1 equals 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list | dict) or isinstance(b, list | dict):
        return False
    return bool(a == b)


def _is_type(name: str) -> Predicate:
    checks: dict[str, Predicate] = {
        "string": lambda i: isinstance(i, str),
        "object": lambda i: isinstance(i, dict),
        "array": lambda i: isinstance(i, list),
        "boolean": lambda i: isinstance(i, bool),
        "null": lambda i: i is None,
        "number": lambda i: isinstance(i, int | float) and not isinstance(i, bool),
        "integer": lambda i: (
            (isinstance(i, int) and not isinstance(i, bool)) or (isinstance(i, float) and i.is_integer())
        ),
    }
    if name not in checks:
        raise _Unsupported(f"type {name!r}")
    return checks[name]


def _format_predicate(name: str) -> Predicate:
    check = _FORMAT_FUNCTIONS.get(name)
    if check is None:
        return lambda i: True  # jsonschema, too, lets unknown formats pass

    def predicate(instance: Any) -> bool:
        try:
            return check(instance)
        except ValueError:
            return False

    return predicate


def _compile_schema(schema: Mapping[str, Any]) -> Predicate:
    checks: list[Predicate] = []
    for keyword, value in schema.items():
        if keyword in _ANNOTATIONS:
            continue
        checks.append(_compile_keyword(keyword, value, schema))
    if len(checks) == 1:
        return checks[0]
    every = tuple(checks)

    def check_all(instance: Any) -> bool:
        return all(check(instance) for check in every)

    return check_all


def _compile_keyword(keyword: str, value: Any, schema: Mapping[str, Any]) -> Predicate:
    if keyword == "type" and isinstance(value, str):
        return _is_type(value)
    if keyword == "const":
        return lambda i: _json_equal(i, value)
    if keyword == "enum":
        return lambda i: any(_json_equal(i, v) for v in value)
    if keyword == "pattern":
        regex = re.compile(value)
        return lambda i: not isinstance(i, str) or regex.search(i) is not None
    if keyword == "format":
        return _format_predicate(value)
    if keyword == "minLength":
        return lambda i: not isinstance(i, str) or len(i) >= value
    if keyword == "maxLength":
        return lambda i: not isinstance(i, str) or len(i) <= value
    if keyword == "minItems":
        return lambda i: not isinstance(i, list) or len(i) >= value
    if keyword == "maxItems":
        return lambda i: not isinstance(i, list) or len(i) <= value
    if keyword in ("minimum", "maximum"):
        number = _is_type("number")
        if keyword == "minimum":
            return lambda i: not number(i) or i >= value
        return lambda i: not number(i) or i <= value
    if keyword == "uniqueItems":
        if not value:
            return lambda i: True
        return lambda i: (
            not isinstance(i, list) or not any(_json_equal(a, b) for n, a in enumerate(i) for b in i[n + 1 :])
        )
    if keyword == "items" and isinstance(value, Mapping):
        item = _compile_schema(value)

        def items(instance: Any) -> bool:
            if isinstance(instance, list):
                for element in instance:
                    if not item(element):
                        return False
            return True

        return items
    if keyword == "required":
        names = tuple(value)
        return lambda i: not isinstance(i, dict) or all(n in i for n in names)
    if keyword == "properties":
        subs = tuple((name, _compile_schema(sub)) for name, sub in value.items())

        def properties(instance: Any) -> bool:
            if isinstance(instance, dict):
                for name, sub in subs:
                    if name in instance and not sub(instance[name]):
                        return False
            return True

        return properties
    if keyword == "additionalProperties" and value is False and "patternProperties" not in schema:
        allowed = frozenset(schema.get("properties", {}))
        return lambda i: not isinstance(i, dict) or allowed.issuperset(i)
    raise _Unsupported(keyword)


@cache
def _compiled(name: str) -> Predicate | None:
    try:
        return _compile_schema(_schema(name))
    except _Unsupported:
        return None

"""The compiler of the bundled JSON Schemas into plain predicates, and into plans of checks for the native core.

Issuance validates every document, so a schema is also compiled into a plain predicate (`Predicate`) that decides
validity several times faster than jsonschema; jsonschema only runs to explain a document the predicate refuses
(`ledger.certificates.schema_checks`). Where the native core runs, `_plan` compiles a schema instead into the
nested tuples `hurong_native.Schema` takes: each keyword with its problem code and the fixed part of its message
(the `repr` of schema values written here, as jsonschema writes them), so that the native checks both decide and
explain, with jsonschema's messages. The compilers know just the keywords the bundled schemas use and give up
(`_compiled` and `_plan` return None) on any other.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from ledger.certificates.catalogue import _schema
from ledger.certificates.formats import _FORMAT_FUNCTIONS, escape_pointer

Predicate = Callable[[Any], bool]
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "title", "description", "examples", "default", "x-error-code", "x-multiline"}
)


#: The problem code of each failing keyword (a schema's `x-error-code` wins), and of each failing format.
_GENERIC_CODES = {
    "type": "invalid_type",
    "const": "invalid_value",
    "enum": "invalid_value",
    "pattern": "pattern_mismatch",
    "minLength": "too_short",
    "minItems": "too_short",
    "maxLength": "too_long",
    "maxItems": "too_long",
    "minimum": "out_of_range",
    "maximum": "out_of_range",
    "uniqueItems": "duplicate_items",
}
_FORMAT_CODES = {"date": "invalid_date", "date-time": "invalid_datetime"}


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


# --- plans for the native core ---------------------------------------------------------------------------------


@cache
def _not_space() -> str:
    """Python's `\\S` as a class of Rust's `regex`: no character `str.isspace` holds (all of them in the BMP)."""
    return "[^" + "".join(f"\\x{{{c:x}}}" for c in range(0x10000) if chr(c).isspace()) + "]"


#: Escaped ASCII punctuation (`\.`, `\-`, ...): the same literal character in Python's `re` and Rust's `regex`.
_ESCAPED_PUNCTUATION = re.compile(r"\\[.\-+*?()\[\]{}|^$]")


def _native_pattern(pattern: str) -> str:
    """A pattern of the bundled schemas in Rust's `regex` syntax, matching what Python's `re.search` matches."""
    body = pattern
    end = ""
    if body.endswith("$") and not body.endswith("\\$"):
        body, end = body[:-1], "\\n?\\z"  # Python's `$` also matches before a final newline
    body = body.replace("\\S", _not_space())
    plain = _ESCAPED_PUNCTUATION.sub("", body.replace(_not_space(), ""))  # `\.` is a literal dot in both
    if "\\" in plain or "$" in plain:
        raise _Unsupported(f"pattern {pattern!r}")
    return body + end


def _code(keyword: str, schema: Mapping[str, Any]) -> str:
    code = schema.get("x-error-code") or (_FORMAT_CODES.get(schema[keyword]) if keyword == "format" else None)
    return str(code or _GENERIC_CODES.get(keyword, "schema_violation"))


def _plan_node(schema: Mapping[str, Any]) -> tuple[str, list[tuple[str, str, str, Any]]]:
    title = schema.get("title")
    checks: list[tuple[str, str, str, Any]] = []
    for keyword, value in schema.items():
        if keyword in _ANNOTATIONS:
            continue
        code = _code(keyword, schema)
        if keyword == "type" and isinstance(value, str):
            _is_type(value)
            checks.append((keyword, code, f" is not of type {value!r}", value))
        elif keyword == "const":
            checks.append((keyword, code, f"{value!r} was expected", value))
        elif keyword == "enum":
            checks.append((keyword, code, f" is not one of {value!r}", list(value)))
        elif keyword == "pattern":
            checks.append((keyword, code, f" does not match {value!r}", (_native_pattern(value), value)))
        elif keyword == "format":
            checks.append((keyword, code, f" is not a {value!r}", value))
        elif keyword in ("minLength", "minItems"):
            checks.append((keyword, code, " should be non-empty" if value == 1 else " is too short", value))
        elif keyword in ("maxLength", "maxItems"):
            checks.append((keyword, code, " is expected to be empty" if value == 0 else " is too long", value))
        elif keyword == "minimum":
            checks.append((keyword, code, f" is less than the minimum of {value!r}", value))
        elif keyword == "maximum":
            checks.append((keyword, code, f" is greater than the maximum of {value!r}", value))
        elif keyword == "uniqueItems":
            if value:
                checks.append((keyword, code, " has non-unique elements", None))
        elif keyword == "items" and isinstance(value, Mapping):
            checks.append((keyword, code, "", _plan_node(value)))
        elif keyword == "required":
            properties = schema.get("properties", {})
            names = [
                (name, escape_pointer(name), f"{properties.get(name, {}).get('title', name)} ({name}) is required")
                for name in value
            ]
            checks.append((keyword, "missing_field", "", names))
        elif keyword == "properties":
            subs = [(name, escape_pointer(name), _plan_node(sub)) for name, sub in value.items()]
            checks.append((keyword, code, "", subs))
        elif keyword == "additionalProperties" and value is False and "patternProperties" not in schema:
            allowed = frozenset(schema.get("properties", {}))
            checks.append((keyword, "unexpected_field", str(title or "this object"), allowed))
        else:
            raise _Unsupported(keyword)
    return (f"{title}: " if title else "", checks)


@cache
def _plan(name: str) -> tuple[str, list[tuple[str, str, str, Any]]] | None:
    """The plan of checks of a bundled schema for `hurong_native.Schema`, or None where a keyword is unknown."""
    try:
        return _plan_node(_schema(name))
    except _Unsupported:
        return None

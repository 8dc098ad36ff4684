"""The native walk for values that are not plain JSON (`hurong_native.unsupported_value`) finds the same first
value, pointer and message as the verifier's Python walk (`ledger.verification.checks.reference_unsupported_value`)."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.verification import checks
from tests.native.conftest import native


def native_walk(document: Any, max_depth: int = checks.MAX_DEPTH, max_values: int = checks.MAX_VALUES) -> Any:
    found = native.unsupported_value(document, max_depth, max_values, checks.MAX_TEXT)
    return None if found is None else dict(zip(("pointer", "code", "message"), found, strict=True))


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for i in range(depth):
        value = {"k/~": value} if i % 2 else [value]
    return value


EDGE_CASES: list[Any] = [
    {},
    {"a": [1, 2.5, None, True, "张三", {"b": "c"}]},
    {"a": "\ud800"},
    {"a": ["ok", "x\udfff"]},
    {"\ud800": 1},
    {1: "integer key"},
    {"n": 2**63},
    {"n": -(2**63)},
    {"n": 2**63 - 1},
    {"n": -(2**63) - 1},
    {"f": math.inf},
    {"f": math.nan},
    {"t": (1, 2)},
    {"b": b"bytes"},
    {"s": {1, 2}},
    {"long": "x" * (checks.MAX_TEXT + 1)},
    {"x" * (checks.MAX_TEXT + 1): 1},
    {"ok": "x" * checks.MAX_TEXT},
    {"deep": nested(31)},
    {"deep": nested(32)},
    {"deep": nested(40)},
    {"many": list(range(checks.MAX_VALUES))},
    {"first": "\ud800", "second": math.nan, "third": [b"", 2**64]},
    {"a/b": {"~": [0, {"": "\udc00"}]}},
]


def test_edge_cases_are_found_alike() -> None:
    for document in EDGE_CASES:
        assert native_walk(document) == checks.reference_unsupported_value(document), document


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**65), 2**65),
    st.floats(),
    st.text(st.characters(codec=None, exclude_categories=()), max_size=8),
    st.binary(max_size=2),
)
keys = st.one_of(st.text(st.characters(codec=None, exclude_categories=()), max_size=6), st.integers(0, 3))
values = st.recursive(
    scalars,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(keys, kids, max_size=4) | st.tuples(kids),
    max_leaves=30,
)


@settings(max_examples=1500, deadline=None)
@given(st.dictionaries(keys, values, max_size=6))
def test_random_documents_are_found_alike(document: dict[Any, Any]) -> None:
    assert native_walk(document) == checks.reference_unsupported_value(document)

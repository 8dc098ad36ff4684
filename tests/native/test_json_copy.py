"""`copy_credential`'s native deep copy: equal to the reference's JSON round trip, of the same types in the same
order, sharing no dict or list with the original; anything the round trip would change is left to the reference."""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.issuance import pipeline
from ledger.issuance.pipeline import _reference_copy, copy_credential

native = pytest.importorskip("hurong_native", reason="the native core is not built (scripts/build-native.sh)")

_TEXT = st.text(st.characters(exclude_categories=()) | st.sampled_from('"\\\x00中𠀀'), max_size=12)
_SCALARS = (
    st.none() | st.booleans() | st.integers(-(2**63), 2**70) | st.floats(allow_nan=False, allow_infinity=False) | _TEXT
)
_JSON = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4))


def _shape(value: Any) -> Any:
    """The value with its exact types and key order spelled out."""
    if isinstance(value, dict):
        return ("dict", [(type(k), k, _shape(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [_shape(v) for v in value])
    return (type(value), value if not (isinstance(value, float) and math.isnan(value)) else "nan")


def _containers(value: Any) -> list[int]:
    if isinstance(value, dict):
        return [id(value), *(i for v in value.values() for i in _containers(v))]
    if isinstance(value, list):
        return [id(value), *(i for v in value for i in _containers(v))]
    return []


@given(st.dictionaries(_TEXT, _JSON, max_size=6))
@settings(max_examples=300, deadline=None)
def test_a_copy_is_the_references_and_shares_no_container(credential: dict[str, Any]) -> None:
    try:
        expected = _reference_copy(credential)
    except UnicodeEncodeError:  # a lone surrogate orjson refuses, which `json` writes
        return
    copied = native.copy_json(credential)
    assert copied is not None
    assert _shape(copied) == _shape(expected) == _shape(credential)
    assert not set(_containers(copied)) & set(_containers(credential))
    assert copy_credential(credential) == expected


@pytest.mark.parametrize(
    "credential",
    [
        {"a": (1, 2)},
        {"a": [float("nan")]},
        {"a": {"b": float("inf")}},
        {1: "one"},
        {"a": OrderedDict(b=1)},
        {"a": type("Text", (str,), {})("x")},
        {"a": True, "b": type("Number", (int,), {})(3)},
        {"a": {1.5: "x"}},
    ],
)
def test_what_the_reference_would_change_is_left_to_it(credential: dict[str, Any]) -> None:
    assert native.copy_json(credential) is None
    assert copy_credential(credential) == _reference_copy(credential)
    assert json.dumps(copy_credential(credential)) == json.dumps(_reference_copy(credential))


def test_nesting_deeper_than_orjson_writes_is_left_to_the_reference() -> None:
    deep: Any = "x"
    for _ in range(300):
        deep = [deep]
    assert native.copy_json({"a": deep}) is None
    shallow: Any = "x"
    for _ in range(200):
        shallow = {"k": shallow}
    assert native.copy_json({"a": shallow}) == {"a": shallow}


def test_the_issuer_copies_with_the_native_core() -> None:
    assert pipeline._copy_json is native.copy_json
    credential = {"credentialSubject": {"name": "张三", "n": 2**64}, "type": ["VerifiableCredential"]}
    copied = copy_credential(credential)
    copied["credentialSubject"]["name"] = "李四"
    copied["type"].append("X")
    assert credential == {"credentialSubject": {"name": "张三", "n": 2**64}, "type": ["VerifiableCredential"]}

"""The admission's JSON depth check (`api.json_body.json_depth`): exact against the parsed value on any JSON text,
brackets, quotes and backslashes inside strings included, and never below the depth a parser would reach."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api import json_body
from api.json_body import MAX_JSON_DEPTH, _DuplicateKey, _unique_keys, json_depth, read_json_body
from api.schemas import NOT_PARSED
from ledger.certificates import json_text

_TRICKY = st.text(alphabet=st.sampled_from('[]{}"\\\\/azé马 \n\t\u2028'), max_size=12)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | _TRICKY,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TRICKY, inner, max_size=4),
    max_leaves=60,
)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


def _reference(body: bytes) -> int:
    """The depth by the earlier check: strings removed by a regular expression, then the brackets counted."""
    strings = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
    steps = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
    brackets = [steps[b] for b in strings.sub(b"", body) if b in steps]
    return max(itertools.accumulate(brackets), default=0)


def _nest(value: Any, levels: int) -> Any:
    for i in range(levels):
        value = [value] if i % 2 else {'[{\\"': value}
    return value


@settings(max_examples=400, deadline=None)
@given(_VALUES, st.integers(0, 80), st.booleans())
def test_the_depth_is_that_of_the_parsed_value(value: Any, levels: int, ascii_only: bool) -> None:
    nested = _nest(value, levels)
    for body in (json.dumps(nested, ensure_ascii=ascii_only).encode(), json.dumps(nested, indent=1).encode()):
        found = json_depth(body)
        if found > MAX_JSON_DEPTH:  # past the cheap bound the depth is exact
            assert found == _depth(nested) == _reference(body)
        else:
            assert found >= _depth(nested)


@pytest.mark.parametrize(
    "body",
    [
        b'"' + b"[" * 100_000,  # an unterminated string: every bracket after it counts
        b'["\\\\"' + b"[" * 100,  # an escaped backslash ends nothing: the string closes, the brackets count
        b'["\\"' + b"[" * 100 + b'"]',  # an escaped quote: the brackets are inside the string
        b'{"a":"' + b"]" * 70 + b'",' + b'"b":' + b"[" * 70 + b"]" * 70 + b"}",
    ],
)
def test_bodies_built_to_mislead_it(body: bytes) -> None:
    assert json_depth(body) == _reference(body)


def test_a_deep_body_is_refused_before_it_is_parsed_and_a_shallow_one_is_parsed_once() -> None:
    refusal, _ = read_json_body(b"[" * 200_000 + b"]" * 200_000)
    assert refusal is not None and refusal.code == "json_too_deep"
    shallow = json.dumps(_nest({"k": "[[[[{{{{"}, 60)).encode()
    refusal, parsed = read_json_body(shallow)
    assert refusal is None and parsed == json.loads(shallow)


@pytest.fixture(params=["native", "native-here", "reference"])
def admission(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Depth and duplicate keys of a parsed body found by the native pass (for a large body on the core's pool
    while orjson parses it, or here after it), and by orjson's rewriting of the value where the core is not
    installed."""
    if request.param == "reference":
        monkeypatch.setattr(json_body, "_body_facts", None)
        monkeypatch.setattr(json_body, "_start_body", None)
    elif json_body._body_facts is None or json_body._start_body is None:
        pytest.skip("the native core is not installed")
    elif request.param == "native-here":
        monkeypatch.setattr(json_body, "_start_body", None)


class _Pairs(list[tuple[str, Any]]):
    """An object as written: its keys in order, a key possibly twice."""


def _text(value: Any, ascii_only: bool) -> str:
    if isinstance(value, _Pairs):
        items = (json.dumps(k, ensure_ascii=ascii_only) + ":" + _text(v, ascii_only) for k, v in value)
        return "{" + ",".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_text(v, ascii_only) for v in value) + "]"
    return json.dumps(value, ensure_ascii=ascii_only)


_WRITTEN = st.recursive(
    st.none() | st.integers() | _TRICKY,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(st.tuples(st.sampled_from(["a", "b", "[{", 'é"', "c\\"]) | _TRICKY, inner), max_size=5).map(_Pairs)
    ),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(_WRITTEN, st.booleans())
def test_the_native_pass_finds_what_pythons_json_finds(value: Any, ascii_only: bool) -> None:
    if json_body._body_facts is None:
        pytest.skip("the native core is not installed")
    body = _text(value, ascii_only).encode()
    depth, duplicate, escaped_key = json_body._body_facts(body)
    if json_body._start_body is not None:
        assert json_body._start_body(body).wait() == (depth, duplicate, escaped_key)  # the same read on the pool
    try:
        parsed = json.loads(body, object_pairs_hook=_unique_keys)
    except _DuplicateKey:
        assert duplicate is not None or escaped_key  # an escaped key is left to Python's json
    else:
        assert duplicate is None
        assert depth == _depth(parsed)
    if duplicate is not None:  # as written, without an escape: the same text twice in one object
        assert json.dumps(duplicate, ensure_ascii=False)[1:-1] == duplicate


@pytest.mark.usefixtures("admission")
@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"a": 1, "a": 2}', "duplicate_key"),
        (b'{"a": 1, "b": {"c": 1, "c": 1}}', "duplicate_key"),
        (b'{"a": "x\\u003ay", "a": 2}', "duplicate_key"),  # a colon spelt as an escape makes up for the one lost
        (b'{"a\\u003a": 1, "b": [1, {"b": 2, "b": 3}]}', "duplicate_key"),
        (b'{"a": [' + b"[" * 70 + b"]" * 70 + b"]}", "json_too_deep"),
        (b'{"a": 1, "a": ' + b"[" * 70 + b"]" * 70 + b"}", "json_too_deep"),  # the depth is judged first
        (b"[" * 2000 + b"]" * 2000, "json_too_deep"),  # past orjson's own limit
        (b'{"a": NaN, ' + b"[" * 70, "json_too_deep"),  # not JSON for orjson: the body's own depth
        (b'{"a": 1', "malformed_json"),
    ],
)
def test_refusals(body: bytes, code: str) -> None:
    refusal, parsed = read_json_body(body)
    assert refusal is not None and refusal.code == code and parsed is NOT_PARSED


@pytest.mark.usefixtures("admission")
@pytest.mark.parametrize(
    "body",
    [b'{"a": NaN}', b'{"a": "\\ud800"}', b'{"a\\u003a": 1, "b": 2}'],
)
def test_what_only_pythons_json_reads_is_admitted_unparsed(body: bytes) -> None:
    assert read_json_body(body) == (None, NOT_PARSED)


@pytest.fixture(params=["native", "expression"])
def long_numbers(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Long numbers found by the native core, and by the regular expression where the core is not installed."""
    if request.param == "expression":
        monkeypatch.setattr(json_text, "_native_long_number", None)


@pytest.mark.usefixtures("long_numbers")
@pytest.mark.parametrize(
    "literal",
    [b"18446744073709551616", b"-9223372036854775809", b"-9223372036854775809123", b"123456789012345678901234567890"],
)
def test_integers_orjson_would_read_as_floats_are_left_to_pythons_json(literal: bytes) -> None:
    body = b'{"n": ' + literal + b', "m": [1, 2]}'
    refusal, parsed = read_json_body(body)
    assert refusal is None and parsed is NOT_PARSED  # the route reads it with Python's json: an int, as written
    assert json.loads(body)["n"] == int(literal)


@pytest.mark.usefixtures("long_numbers")
def test_a_body_without_long_numbers_is_parsed_once_by_orjson() -> None:
    # digests and salts are hex: nineteen decimal digits in a row there follow a letter or a digit
    digest = "0xab" + "1234567890" * 3 + "cd"
    value = {"n": 10**18 - 1, "id": "110101199003070011", "digest": digest, "path": [digest]}
    refusal, parsed = read_json_body(json.dumps(value).encode())
    assert refusal is None and parsed == value


@pytest.mark.usefixtures("admission")
def test_a_large_body_is_read_as_a_small_one_and_the_collector_runs_again_after() -> None:
    import gc

    items = [{"n": i, "text": "证照" * 20, "nested": [{"k": [i, None, True]}]} for i in range(2_000)]
    body = json.dumps({"certificates": items}, ensure_ascii=False).encode()
    assert len(body) > 1 << 16  # parsed with the collector held back
    assert gc.isenabled()
    refusal, parsed = read_json_body(body)
    assert refusal is None and parsed == json.loads(body) and gc.isenabled()
    doubled = body[:-1] + b',"certificates":[]}'
    refusal, parsed = read_json_body(doubled)
    assert refusal is not None and refusal.code == "duplicate_key" and parsed is NOT_PARSED and gc.isenabled()
    deep = b'{"deep":' + b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1) + b"," + body[1:]
    refusal, _ = read_json_body(deep)
    assert refusal is not None and refusal.code == "json_too_deep" and gc.isenabled()


def test_a_reading_on_the_pool_answers_once_and_a_failed_one_is_read_again_here(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    if json_body._start_body is None:
        pytest.skip("the native core is not installed")
    body = json.dumps({"certificates": [{"n": i, "k": "证照" * 10} for i in range(2_000)]}).encode()
    pending = json_body._start_body(body)
    assert pending.wait() == (3, None, False)
    with pytest.raises(RuntimeError, match="already read"):
        pending.wait()

    class _Failed:
        def wait(self) -> Any:
            raise RuntimeError("reading the body failed")

    monkeypatch.setattr(json_body, "_start_body", lambda _: _Failed())
    doubled = body[:-1] + b',"certificates":[]}'
    refusal, parsed = read_json_body(doubled)
    assert refusal is not None and refusal.code == "duplicate_key" and parsed is NOT_PARSED
    assert "read again here" in caplog.text
    refusal, parsed = read_json_body(body)
    assert refusal is None and parsed == json.loads(body)

"""`hurong_native.long_number`: whether a JSON text holds, outside its strings, twenty digits in a row (the
numbers orjson would read as floats go to Python's json instead: `api.schemas.fast_json`)."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.native.conftest import native

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)


def reference(body: bytes) -> bool:
    return re.search(rb"[0-9]{20}", _STRING.sub(b'""', body)) is not None


_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**80), 2**80) | st.text(alphabet='0123456789"\\:,[ ab', max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(alphabet='09"\\:', max_size=25), inner),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(_VALUES, st.booleans())
def test_it_finds_long_numbers_outside_strings_only(value: object, ascii_only: bool) -> None:
    body = json.dumps(value, ensure_ascii=ascii_only).encode()
    assert native.long_number(body, 20) is reference(body)


@pytest.mark.parametrize(
    ("body", "found"),
    [
        (b'{"n": 18446744073709551616}', True),
        (b"[-123456789012345678901]", True),
        (b"[1.00000000000000000000]", True),  # twenty digits of a fraction: Python's json reads it, same float
        (b'{"n": 18446744073709551615}', True),  # twenty digits: to Python's json, to be safe
        (b'{"n": 9223372036854775807}', False),
        (b'{"digest": "0x1234567890123456789012345678"}', False),
        (b'{"a": "x\\"12345678901234567890\\"", "b": 1}', False),
        (b'{"a": "\\\\", "b": 12345678901234567890}', True),
    ],
)
def test_cases(body: bytes, found: bool) -> None:
    assert native.long_number(body, 20) is found


@pytest.mark.parametrize("native_core", [True, False])
@pytest.mark.parametrize(
    "number", [-(2**63) - 1, -(2**63), 2**63 - 1, 2**63, 2**64 - 1, 2**64, -(10**19), 10**19 - 1, 10**30]
)
def test_every_integer_at_the_edges_of_64_bits_is_read_exactly(
    number: int, native_core: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledger.certificates import json_text

    if not native_core:
        monkeypatch.setattr(json_text, "_native_long_number", None)  # the regular expression's reading
    for body in (f'{{"n": {number}}}', f"[1, {number}]", str(number)):
        value = json_text.loads_exact(body.encode())
        read = value["n"] if isinstance(value, dict) else value[1] if isinstance(value, list) else value
        assert type(read) is int and read == number, (body, read)

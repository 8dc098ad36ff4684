"""The native core and the reference agree on random inputs: the same bytes, or the same exception with the
same message."""

from __future__ import annotations

import copy
import enum
import hashlib
import itertools
import random
import struct
from collections import OrderedDict
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.certificates.hashing import iter_fields, redact
from tests.native.conftest import REFERENCE, native, outcome

SUITES = st.sampled_from(["default", "sm"])
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)
valid_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=-(2**53) - 2, max_value=-(2**53) + 2),
    st.integers(min_value=2**53 - 2, max_value=2**53 + 2),
    st.floats(),
    st.sampled_from([0.0, -0.0, 1e21, 1e-7, 1e-6, 5e-324, 1e16, 1e20, 9007199254740993.0]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, any_text)
json_numbers = st.one_of(st.integers(-(2**53) + 1, 2**53 - 1), st.floats(allow_nan=False, allow_infinity=False))
json_scalars = st.one_of(st.none(), st.booleans(), json_numbers, valid_text)


def documents(values: st.SearchStrategy[Any], keys: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, Any]]:
    tree = st.recursive(
        values, lambda kids: st.lists(kids, max_size=4) | st.dictionaries(keys, kids, max_size=4), max_leaves=24
    )
    return st.dictionaries(keys, tree, min_size=0, max_size=6)


def fixed_salts(seed: int) -> Any:
    counter = itertools.count()
    return lambda: hashlib.sha256(f"{seed}/{next(counter)}".encode()).hexdigest()[:32]


def both(name: str, *args: Any, **kwargs: Any) -> None:
    expected = outcome(getattr(REFERENCE, name), *args, **kwargs)
    assert outcome(getattr(native, name), *args, **kwargs) == expected


def both_salted(document: Any, suite: Any, seed: int = 0) -> None:
    """`salt_fields` of both, each drawing the same fixed salts."""
    expected = outcome(REFERENCE.salt_fields, document, suite, salt=fixed_salts(seed))
    assert outcome(native.salt_fields, document, suite, salt=fixed_salts(seed)) == expected


@settings(max_examples=1500, deadline=None)
@given(scalars)
def test_any_scalar_serialises_the_same(value: Any) -> None:
    both("canonical_scalar", value)


def test_doubles_of_every_kind_serialise_the_same() -> None:
    """Random bit patterns, every power of two, and values exactly halfway between two shortest digit strings
    (where the even one is written)."""
    rng = random.Random(8785)
    values = [struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0] for _ in range(20_000)]
    values += [
        rng.randint(0, 2**53) * 2.0 ** rng.randint(-60, 10) + rng.randrange(1, 256, 2) / 256 for _ in range(20_000)
    ]
    values += [2.0**e for e in range(-1074, 1024)] + [70368744177664.12, 5e-324, 1.7976931348623157e308]
    for value in values:
        assert outcome(native.canonical_scalar, value) == outcome(REFERENCE.canonical_scalar, value)


@settings(max_examples=400, deadline=None)
@given(SUITES, any_text, any_text, scalars)
def test_any_field_hashes_the_same(suite: str, salt: str, pointer: str, value: Any) -> None:
    both("field_hash", suite, salt, pointer, value)


@settings(max_examples=300, deadline=None)
@given(documents(scalars, any_text), SUITES, st.integers(0, 2**32))
def test_any_document_salts_and_hashes_the_same(document: dict[str, Any], suite: str, seed: int) -> None:
    both_salted(document, suite, seed)


@settings(max_examples=200, deadline=None)
@given(documents(json_scalars, valid_text.filter(bool)), SUITES, st.data())
def test_any_disclosure_recomputes_the_same_digest(document: dict[str, Any], suite: str, data: st.DataObject) -> None:
    pointers = [p for p, _ in iter_fields(document)]
    if not pointers:
        return
    salts, digest = native.salt_fields(document, suite)
    wrapped = copy.deepcopy(document)
    wrapped["proof"] = {"suite": suite, "salts": salts, "obfuscated": [], "digest": "0x" + digest.hex()}
    assert REFERENCE.recompute_digest(wrapped) == digest == native.recompute_digest(wrapped)
    hidden = data.draw(st.lists(st.sampled_from(pointers), min_size=1, unique=True))
    redacted = redact(wrapped, hidden)
    assert REFERENCE.recompute_digest(redacted) == digest == native.recompute_digest(redacted)
    broken = copy.deepcopy(redacted)
    mutation = data.draw(st.sampled_from(["add", "unsalt", "resalt", "suite", "obfuscate"]))
    if mutation == "add":
        broken[data.draw(valid_text.filter(lambda k: k not in broken))] = data.draw(json_scalars)
    elif mutation == "unsalt" and broken["proof"]["salts"]:
        broken["proof"]["salts"].pop(data.draw(st.sampled_from(sorted(broken["proof"]["salts"]))))
    elif mutation == "resalt":
        broken["proof"]["salts"][data.draw(any_text)] = data.draw(st.sampled_from(["0" * 32, "0" * 32 + "\n", "x"]))
    elif mutation == "suite":
        broken["proof"]["suite"] = data.draw(st.one_of(SUITES, any_text, st.none()))
    else:
        broken["proof"]["obfuscated"].append(data.draw(st.sampled_from(["0x" + "1" * 64, "0x" + "1" * 64 + "\n", 1])))
    both("recompute_digest", broken)


def both_batched(docs: list[Any], suite: Any) -> None:
    """`salt_documents` of both: the same exception, or fresh salts with which the reference finds the same
    digests."""
    expected = outcome(REFERENCE.salt_documents, docs, suite)
    result = outcome(native.salt_documents, docs, suite)
    if expected[0] == "raised":
        assert result == expected
        return
    results = result[1]
    assert len(results) == len(docs)
    for doc, (salts, digest) in zip(docs, results, strict=True):
        assert list(salts) == [p for p, _ in iter_fields(doc)]
        assert REFERENCE.salt_fields(doc, suite, salt=iter(salts.values()).__next__) == (salts, digest)


@settings(max_examples=100, deadline=None)
@given(st.lists(documents(json_scalars, valid_text), min_size=1, max_size=80), SUITES)
def test_batches_salt_with_fresh_salts_that_the_reference_accepts(docs: list[dict[str, Any]], suite: str) -> None:
    both_batched(docs, suite)


@given(st.lists(st.binary(max_size=40), max_size=8), SUITES)
def test_combining_any_hashes_gives_the_same_digest(hashes: list[bytes], suite: str) -> None:
    both("combine", hashes, suite)
    both("combine", suite, hashes)


class Colour(enum.IntEnum):
    RED = 1


class Fraction(float):
    pass


@pytest.mark.parametrize(
    "document",
    [
        {"a": {1: "x"}},
        {1: "x"},
        {b"bytes": "x"},
        {"a": {b"bytes": "x"}},
        {"a": (1, 2)},
        {"a": b"bytes"},
        {"a": {"b": [1, {2.5: 1}]}},
        {"a": OrderedDict([("z", 1), ("y", 2)])},
        {"a": Colour.RED, "b": Fraction(0.5), "c": [True, False]},
        {"a": float("nan"), "b": {3: 1}},
        {"\ud800": {"x": 1}},
        {"a": {"\udc00": {"b": 2**60}}},
        [],
        "text",
    ],
    ids=repr,
)
def test_documents_outside_json_are_refused_the_same_way(document: Any) -> None:
    both_salted(document, "default")
    both_batched([document], "default")
    proof = {"suite": "sm", "salts": {}, "obfuscated": []}
    both("recompute_digest", {"proof": proof, **document} if isinstance(document, dict) else document)


@pytest.mark.parametrize("salt", ["0" * 32, "\ud800", 7, 'has"quote'], ids=repr)
def test_custom_salts_are_written_as_the_reference_writes_them(salt: Any) -> None:
    both("salt_fields", {"a": 1, "b": [None]}, "sm", salt=lambda: salt)


def test_unknown_suites_are_refused_after_a_malformed_document() -> None:
    both_salted({"a": {1: 2}}, "md5")
    both_salted({"a": 1}, ["unhashable"])
    both_batched([{"a": 1}, {"b": {1: 1}}], "sm")
    both("field_hash", "md5", "s", "/p", float("nan"))


def test_placeholders_with_unicode_digit_tokens_are_skipped_as_the_reference_skips_them() -> None:
    salts, _ = REFERENCE.salt_fields({"a": 1}, "default", salt=fixed_salts(1))
    for key in ("٣", "²", "½", "3", "", "x"):
        doc = {"a": 1, "b": {key: None}, "proof": {"suite": "default", "salts": salts, "obfuscated": []}}
        both("recompute_digest", doc)


def test_new_salts_are_32_lowercase_hex_digits() -> None:
    salts = {native.new_salt() for _ in range(100)}
    assert len(salts) == 100
    assert all(len(s) == 32 and set(s) <= set("0123456789abcdef") for s in salts)


def nested(depth: int) -> dict[str, Any]:
    document: dict[str, Any] = {"leaf": [1, "x"]}
    for i in range(depth):
        document = {f"k{i % 3}": document} if i % 2 else {"list": [document, None]}
    return document


@pytest.mark.parametrize("depth", [1_000, 3_000])
def test_deeply_nested_documents_hash_the_same(depth: int) -> None:
    document = nested(depth)
    both_salted(document, "sm")
    salts, digest = native.salt_fields(document, "default")
    wrapped = {**document, "proof": {"suite": "default", "salts": salts, "obfuscated": []}}
    assert REFERENCE.recompute_digest(wrapped) == digest == native.recompute_digest(wrapped)


def test_no_nesting_exhausts_the_native_stack() -> None:
    """The reference's recursive walk crashes the interpreter some tens of thousands of levels down (its C
    stack); the native walk keeps its own stack."""
    document: dict[str, Any] = {"leaf": [1, "x"]}
    for _ in range(200_000):
        document = {"k": [document]}
    salts, digest = native.salt_fields(document, "default")
    wrapped = {**document, "proof": {"suite": "default", "salts": salts, "obfuscated": []}}
    assert native.recompute_digest(wrapped) == digest

"""Salted field hashing, canonical JSON and selective disclosure (property-based where it counts)."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json

import pytest
import rfc8785
from gmssl_pyx import sm3_hash
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.certificates.hashing import (
    IntegrityError,
    canonical_scalar,
    combine,
    field_hash,
    iter_fields,
    recompute_digest,
    redact,
    salt_fields,
)
from ledger.errors import LedgerValueError

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(st.characters(blacklist_categories=["Cs"])),
)
keys = st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=8)
documents = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=20,
)


def wrap(doc: dict, suite: str = "default") -> tuple[dict, bytes]:
    salts, digest = salt_fields(doc, suite)
    wrapped = copy.deepcopy(doc)
    wrapped["proof"] = {"suite": suite, "salts": salts, "obfuscated": [], "digest": "0x" + digest.hex()}
    return wrapped, digest


@given(scalars)
def test_canonical_scalars_match_rfc8785(value) -> None:  # type: ignore[no-untyped-def]
    assert canonical_scalar(value) == rfc8785.dumps(value).decode("utf-8")


@given(st.text(st.characters(blacklist_categories=["Cs"])), keys, scalars)
def test_field_hash_is_sha256_of_the_jcs_triple(salt, pointer, value) -> None:  # type: ignore[no-untyped-def]
    expected = hashlib.sha256(rfc8785.dumps([salt, pointer, value])).digest()
    assert field_hash("default", salt, pointer, value) == expected
    assert field_hash("sm", salt, pointer, value) == bytes(sm3_hash(rfc8785.dumps([salt, pointer, value])))


def test_sm3_of_abc_is_the_standard_test_vector() -> None:
    expected = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert bytes(sm3_hash(b"abc")).hex() == expected


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(keys.filter(lambda k: k != "proof"), documents, min_size=1, max_size=5), st.data())
def test_redacting_any_fields_keeps_the_digest(doc, data) -> None:  # type: ignore[no-untyped-def]
    pointers = [p for p, _ in iter_fields(doc)]
    if not pointers:
        return
    wrapped, digest = wrap(doc)
    assert recompute_digest(wrapped) == digest
    hidden = data.draw(st.lists(st.sampled_from(pointers), min_size=1, max_size=len(pointers), unique=True))
    redacted = redact(wrapped, hidden)
    assert recompute_digest(redacted) == digest
    assert json.loads(json.dumps(redacted, ensure_ascii=False)) == redacted
    for pointer in hidden:
        assert pointer not in redacted["proof"]["salts"]


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(keys.filter(lambda k: k != "proof"), documents, min_size=1, max_size=5), st.data())
def test_changing_any_disclosed_value_changes_the_digest(doc, data) -> None:  # type: ignore[no-untyped-def]
    fields = list(iter_fields(doc))
    if not fields:
        return
    wrapped, digest = wrap(doc, data.draw(st.sampled_from(["default", "sm"])))
    pointer, value = data.draw(st.sampled_from(fields))
    replacement = data.draw(scalars.filter(lambda v: canonical_scalar(v) != canonical_scalar(value)))
    target = wrapped
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]
    for token in tokens[:-1]:
        target = target[int(token)] if isinstance(target, list) else target[token]
    last = tokens[-1]
    if isinstance(target, list):
        target[int(last)] = replacement
    else:
        target[last] = replacement
    with contextlib.suppress(IntegrityError):  # a list element set to null reads as a hidden placeholder: refused
        assert recompute_digest(wrapped) != digest


def test_chinese_text_hashes_as_utf8_and_round_trips() -> None:
    doc = {"credentialSubject": {"holderName": "张𠀀三", "address": "上海市浦东新区张江路１号"}}
    wrapped, digest = wrap(doc)
    text = json.dumps(wrapped, ensure_ascii=False)
    assert json.loads(text)["credentialSubject"]["holderName"] == "张𠀀三"
    assert recompute_digest(json.loads(text)) == digest


def test_a_field_added_after_issuance_is_refused() -> None:
    wrapped, _ = wrap({"a": 1, "b": "x"})
    wrapped["c"] = 2
    with pytest.raises(IntegrityError, match="/c has no salt"):
        recompute_digest(wrapped)


def test_a_removed_field_without_its_hash_is_refused() -> None:
    wrapped, _ = wrap({"a": 1, "b": "x"})
    del wrapped["b"]
    with pytest.raises(IntegrityError, match="/b is missing"):
        recompute_digest(wrapped)


def test_digest_is_the_hash_of_sorted_field_hashes() -> None:
    salts = iter(["00" * 16, "11" * 16])
    doc = {"a": 1, "b": "x"}
    s, digest = salt_fields(doc, "default", salt=lambda: next(salts))
    hashes = [field_hash("default", s["/a"], "/a", 1), field_hash("default", s["/b"], "/b", "x")]
    assert digest == hashlib.sha256(b"".join(sorted(hashes))).digest() == combine("default", hashes)


def test_redact_refuses_unknown_and_proof_pointers() -> None:
    wrapped, _ = wrap({"a": 1})
    with pytest.raises(LedgerValueError, match="no disclosed field"):
        redact(wrapped, ["/zzz"])
    with pytest.raises(LedgerValueError, match="proof fields"):
        redact(wrapped, ["/proof/suite"])
    with pytest.raises(LedgerValueError, match="JSON Pointer"):
        redact(wrapped, ["a"])


def test_hidden_array_elements_keep_later_indices() -> None:
    wrapped, digest = wrap({"list": ["a", "b", "c"]})
    redacted = redact(wrapped, ["/list/0"])
    assert redacted["list"] == [None, "b", "c"]
    assert recompute_digest(redacted) == digest
    assert redact(wrapped, ["/list/2"])["list"] == ["a", "b"]


def test_unknown_suites_are_refused() -> None:
    with pytest.raises(LedgerValueError, match="unknown hash suite"):
        salt_fields({"a": 1}, "md5")

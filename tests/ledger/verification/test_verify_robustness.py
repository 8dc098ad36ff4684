"""The verifier under hostile input and long use, on a live chain: valid certificates mutated at random (values of
other types at random JSON pointers, keys and elements removed) always get an answer, never an exception; and
every memo of the verification path stays at its documented bound however many distinct certificates,
issuers, blocks and agencies it sees."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.certificates import did
from ledger.index.indexer import CHAIN_READERS, Indexer, IndexReader
from ledger.verification import reader as reads
from ledger.verification import verifier as verify
from ledger.verification.verifier import CHECKS, INVALID, NOT_RECOGNIZED, VALID, VerificationContext, Verifier
from tests.conftest import World
from tests.ledger import issuing

ZJ = 330000
Path_ = tuple[str | int, ...]

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([16_700, -16_700, 256, 64]).map(lambda n: 2 ** abs(n) * (1 if n > 0 else -1)),  # built when drawn
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["x" * 200_000, "did:pkh:eip155:1:" + "0" * 100_000, "\ud800", "\u202e", "\ufeff", "\0",
                     "0x" + "00" * 32, "2026-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00",
                     "9999-12-31T23:59:59-01:00", "did:pkh:eip155:31337:0x0000000000000000000000000000000000000000"]),
)  # fmt: skip
JSON_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


def paths(value: Any, prefix: Path_ = ()) -> list[Path_]:
    """Every JSON pointer (as a tuple of keys and indexes) into `value`, the root first."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def mutate(doc: Any, path: Path_, replacement: Any, remove: bool) -> Any:
    """`doc` with the value at `path` replaced, or removed (the root cannot be removed: it is replaced)."""
    if not path:
        return replacement
    parent = doc
    for token in path[:-1]:
        parent = parent[token]
    if remove:
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    return doc


def assert_an_answer(result: verify.VerificationResult) -> None:
    assert [c.name for c in result.checks] == list(CHECKS)
    assert result.verdict in (VALID, INVALID, NOT_RECOGNIZED)
    if result.check("format").outcome == "failed":
        assert result.verdict == INVALID and result.warnings == ()
        assert {c.outcome for c in result.checks[1:]} == {"skipped"}
    # the answer can be sent as JSON
    json.dumps(result.to_json(), ensure_ascii=True)


def test_mutated_certificates_always_get_an_answer(world: World, tmp_path: Path) -> None:
    docs = issuing.issue(world, tmp_path, "sh_amr", issuing.credentials(world, "sh_amr", 2))
    signed = copy.deepcopy(docs[0])
    signed["proof"]["signature"] = {"algorithm": "Ed25519", "keyId": "0x" + "11" * 32, "value": "AAAA"}
    originals = [docs[0], signed]
    verifier = Verifier(world.reader)
    context = VerificationContext(ZJ)
    examples = int(os.environ.get("HURONG_FUZZ_EXAMPLES", "250"))

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        doc = copy.deepcopy(data.draw(st.sampled_from(originals)))
        for _ in range(data.draw(st.integers(1, 3))):
            candidates = paths(doc)
            path = candidates[data.draw(st.integers(0, len(candidates) - 1))]
            doc = mutate(doc, path, data.draw(JSON_VALUES), remove=bool(path) and data.draw(st.booleans()))
        assert_an_answer(verifier.verify(doc, context))
        mixed = verifier.verify_many([docs[1], doc, docs[1]], context)
        for result in mixed:
            assert_an_answer(result)
        assert mixed[0].verdict == mixed[2].verdict == VALID  # one bad document spoils nothing else

    check()


def _nested(depth: int) -> Any:
    value: Any = "深"
    for _ in range(depth):
        value = {"a": [value]}
    return value


OUT_OF_BOUNDS: list[tuple[str, str, Callable[[], Any], str, str]] = [
    ("huge-integer", "/credentialSubject/registeredCapital", lambda: 10**5000, "/credentialSubject/registeredCapital",
     "64 bits"),
    ("integer-below-64-bits", "/credentialSubject/registeredCapital", lambda: -(2**63) - 1,
     "/credentialSubject/registeredCapital", "64 bits"),
    ("infinity", "/credentialSubject/holderName", lambda: float("inf"), "/credentialSubject/holderName", "not finite"),
    ("long-text", "/credentialSubject/holderName", lambda: "名" * 70_000, "/credentialSubject/holderName",
     "longer than 65536"),
    ("lone-surrogate", "/credentialSubject/holderName", lambda: "上海\udc00", "/credentialSubject/holderName",
     "lone surrogate"),
    ("surrogate-key", "/credentialSubject/a~b", lambda: {"c/d": [1, {"\ud800": 2}]}, "/credentialSubject/a~0b/c~1d/1",
     "member name"),
    ("deep", "/credentialSubject/deep", lambda: _nested(40), "/credentialSubject/deep" + "/a/0" * 15,
     "32 levels"),
    ("not-json", "/credentialSubject/set", lambda: {1, 2}, "/credentialSubject/set", "a set, which is not JSON"),
    ("too-many", "/credentialSubject/many", lambda: list(range(60_000)), "", "more than 50000 values"),
]  # fmt: skip


@pytest.mark.parametrize(("pointer", "make", "expected", "reason"), [c[1:] for c in OUT_OF_BOUNDS],
                         ids=[c[0] for c in OUT_OF_BOUNDS])  # fmt: skip
def test_values_beyond_any_certificate_fail_format_with_their_pointer(
    world: World, tmp_path: Path, pointer: str, make: Callable[[], Any], expected: str, reason: str
) -> None:
    (doc,) = issuing.issue(world, tmp_path, "sh_amr", issuing.credentials(world, "sh_amr", 1))
    *parents, last = pointer.split("/")[1:]
    target = doc
    for token in parents:
        target = target[token]
    target[last.replace("~0", "~")] = make()
    result = Verifier(world.reader).verify(doc)
    assert_an_answer(result)
    check = result.check("format")
    assert (check.outcome, check.code) == ("failed", "schema")
    (problem,) = check.details["problems"]
    assert problem["pointer"] == expected and problem["code"] == "unsupported_value"
    assert reason in problem["message"]


# --------------------------------------------------------------------------------------------------- bounded memos


def test_did_parses_are_memoised_up_to_their_bound(world: World, tmp_path: Path) -> None:
    (doc,) = issuing.issue(world, tmp_path, "sh_amr", issuing.credentials(world, "sh_amr", 1))
    did._parse.cache_clear()
    forged = []
    for i in range(did.PARSE_CACHE_SIZE + 300):
        copy_ = {**doc, "issuer": {"id": f"did:pkh:eip155:31337:0x{i:040x}"}}
        del copy_["credentialSubject"]  # fails the format check right after the issuer is parsed
        forged.append(copy_)
    results = Verifier(world.reader).verify_many(forged)
    assert {r.check("format").code for r in results} == {"missing_subject"}
    info = did._parse.cache_info()
    assert info.maxsize == did.PARSE_CACHE_SIZE == 4096
    assert info.currsize == did.PARSE_CACHE_SIZE


def test_every_memo_of_a_reader_stays_at_its_bound(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert all(m.cache_info().maxsize == reads.READER_CACHE_SIZE == 4096 for m in Verifier(world.reader).reader()
               .memos().values() if hasattr(m, "cache_info"))  # fmt: skip
    monkeypatch.setattr(reads, "READER_CACHE_SIZE", 8)
    agencies = ("sh_amr", "zj_amr", "sh_pudong")
    docs = [issuing.issue(world, tmp_path, a, issuing.credentials(world, a, 2))[0] for a in agencies]
    forged = []
    for i in range(40):  # distinct roots (one batch read each), issuers (one agency read each) and keys
        doc = copy.deepcopy(docs[0])
        doc["proof"]["merkleRoot"] = f"0x{i + 1:064x}"
        doc["proof"]["signature"] = {"algorithm": "Ed25519", "keyId": f"0x{i + 1:064x}", "value": "AAAA"}
        doc["issuer"]["id"] = f"did:pkh:eip155:31337:0x{i + 1:040x}"
        forged.append(doc)
    verifier = Verifier(world.reader)
    results = verifier.verify_many([*docs, *forged], VerificationContext(ZJ))
    assert [r.verdict for r in results[:3]] == [VALID] * 3
    for doc in docs:  # same-block single verifications share the reader and its memos
        for item in "abcdefghij":
            verifier.verify(doc, VerificationContext(440000, f"item_{item}"))
    memos = verifier.reader().memos()
    sizes = {name: memo.cache_info() for name, memo in memos.items() if name != "statuses"}
    assert all(info.maxsize == 8 and info.currsize <= 8 for info in sizes.values()), sizes
    assert sizes["batch"].currsize == sizes["agency"].currsize == sizes["accepts"].currsize == 8

    monkeypatch.setattr(reads, "STATUS_CACHE_AGENCIES", 2)
    issuing.revoke(world, "sh_amr", docs[0])
    verifier = Verifier(world.reader)
    reader = verifier.reader()
    for agency in agencies:
        reader.prefetch_statuses(world.addr(agency))
    assert len(reader.memos()["statuses"]) == 2  # the first agency's statuses were dropped...
    results = verifier.verify_many(docs)  # ...and are read again when needed
    assert [r.check("status").code for r in results] == ["revoked", "ok", "ok"]


def test_a_verifier_keeps_a_bounded_number_of_past_readers(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verify, "PAST_READERS", 3)
    doc = issuing.issue(world, tmp_path, "sh_amr", issuing.credentials(world, "sh_amr", 1))[0]
    for _ in range(6):
        world.advance(1)
    head = world.reader.w3.eth.block_number
    verifier = Verifier(world.reader)
    for block in range(head - 5, head + 1):
        assert verifier.verify(doc, block=block).verdict == VALID
    assert len(verifier._past) == 3
    assert verifier.reader(head) is verifier.reader(head)  # kept while its hash stays


def test_index_readers_and_the_indexers_chain_readers_are_bounded(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reads, "READER_CACHE_SIZE", 4)
    doc = issuing.issue(world, tmp_path, "sh_amr", issuing.credentials(world, "sh_amr", 1))[0]
    indexer = Indexer(world.reader, f"sqlite:///{tmp_path / 'index.sqlite'}")
    try:
        verifier = Verifier(world.reader)
        for _ in range(CHAIN_READERS + 3):
            world.advance(1)
            indexer.sync()
            reader = IndexReader(indexer, world.reader)
            forged = [copy.deepcopy(doc) for _ in range(10)]
            for i, copy_ in enumerate(forged):
                copy_["proof"]["merkleRoot"] = f"0x{i + 1:064x}"
            results = verifier.verify_many([doc, *forged], reader=reader)
            assert results[0].verdict == VALID and results[0].block_number == reader.block_number
            memos = reader.memos()
            assert memos["batch"].cache_info().currsize == 4
            shared = [m.cache_info() for n, m in memos.items() if n.startswith("chain.") and n != "chain.statuses"]
            assert len(shared) == 6 and all(info.currsize <= 4 for info in shared)
        assert len(indexer._chain_readers) == CHAIN_READERS
    finally:
        indexer.close()

"""`hurong_native.local_facts`, checks 1-3 of a batch in one call, against the pure-Python reference: whatever a
document holds, a fact given is the reference's (its digest recomputation, its Merkle path) and is given only
where the reference finds the proof well shaped and every value plain JSON; the documents it declines are the
reference's to judge."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.certificates import build_credential
from ledger.certificates.hashing import redact
from ledger.certificates.model import PROOF_TYPE
from ledger.verification.checks import MAX_DEPTH, MAX_TEXT, MAX_VALUES, proof_problems, reference_unsupported_value
from tests.ledger.certificates.samples import licence
from tests.ledger.verification.test_verify_robustness import JSON_VALUES, mutate, paths
from tests.native.conftest import REFERENCE, native, outcome

ISSUER = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
REGISTRY = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"


def facts(docs: list[Any]) -> list[Any]:
    return native.local_facts(docs, PROOF_TYPE, MAX_DEPTH, MAX_VALUES, MAX_TEXT)  # type: ignore[no-any-return]


def wrapped(suite: str, codes: tuple[str, ...] = ("business_licence", "food_business_licence")) -> list[dict[str, Any]]:
    """One batch of wrapped certificates (fixed salts, no chain needed), salted and hashed by the reference."""
    salts = iter(f"{i:032x}" for i in range(10_000))
    docs, digests = [], []
    for n, code in enumerate(codes * 3):
        number = f"urn:uuid:00000000-0000-4000-8000-{n:012d}"
        credential = build_credential(licence(code), issuer_address=ISSUER, chain_id=31337, issuer_name="上海市监管局",
                                      registry=REGISTRY, credential_id=number)  # fmt: skip
        salted, digest = REFERENCE.salt_fields(credential, suite, salt=lambda: next(salts))
        docs.append(credential | {"proof": {"type": PROOF_TYPE, "suite": suite, "digest": "0x" + digest.hex(),
                                            "salts": salted, "obfuscated": []}})  # fmt: skip
        digests.append(digest)
    tree = REFERENCE.MerkleTree(digests)
    for doc, digest in zip(docs, digests, strict=True):
        path = ["0x" + h.hex() for h in tree.proof(digest)]
        doc["proof"] |= {"merkleRoot": "0x" + tree.root.hex(), "merklePath": path, "chainId": 31337,
                         "registry": REGISTRY}  # fmt: skip
    return docs


def agrees_with_the_reference(doc: Any, fact: Any) -> None:
    """`fact` (what `local_facts` said of `doc`) is what the reference says, or `None`."""
    if fact is None:
        return
    assert isinstance(doc, dict) and isinstance(doc["proof"], dict)
    assert proof_problems(doc["proof"]) == []
    assert reference_unsupported_value(doc) is None
    proof = doc["proof"]
    digest, root = bytes.fromhex(proof["digest"][2:]), bytes.fromhex(proof["merkleRoot"][2:])
    recomputed = outcome(REFERENCE.recompute_digest, doc)
    matches, included = fact
    if recomputed[0] == "raised":
        assert matches is None, recomputed
    elif matches is not None:
        assert matches == (recomputed[1] == digest)
    assert included == REFERENCE.verify(root, digest, [bytes.fromhex(h[2:]) for h in proof["merklePath"]])


@pytest.mark.parametrize("suite", ["default", "sm"])
def test_issued_certificates_are_cleared_whole(suite: str) -> None:
    docs = wrapped(suite)
    assert facts(docs) == [(True, True)] * len(docs)
    redacted = [redact(docs[0], ["/credentialSubject/holderName", "/issuer/name"]),
                redact(docs[1], ["/credentialSubject/businessItems/1", "/credentialSubject/businessItems/2"]),
                redact(docs[3], ["/credentialSubject/businessItems"])]  # fmt: skip
    assert facts(redacted) == [(True, True)] * 3
    tampered = copy.deepcopy(docs[:2])
    tampered[0]["credentialSubject"]["holderName"] += "X"
    tampered[1]["proof"]["merklePath"][0] = tampered[1]["proof"]["merklePath"][0][:-1] + "0"
    assert facts(tampered) == [
        (False, True),
        (True, tampered[1]["proof"]["merklePath"] == docs[1]["proof"]["merklePath"]),
    ]


def _set(pointer: tuple[Any, ...], value: Any) -> Any:
    return lambda doc: mutate(doc, pointer, value, remove=False)


def _remove(pointer: tuple[Any, ...]) -> Any:
    return lambda doc: mutate(doc, pointer, None, remove=True)


class Text(str):
    pass


EDGES = [
    _set(("proof", "digest"), "0x" + "AB" * 32),  # upper case: a mismatch, not a malformed proof
    _set(("proof", "digest"), "0x" + "ab" * 32 + "\n"),  # the reference's `$` takes a final newline
    _set(("proof", "salts", "/id"), "0" * 31 + "1\n"),
    _set(("proof", "salts", "/id"), "0" * 31 + "A"),
    _set(("proof", "salts", "/unknown"), "0" * 32),
    _remove(("proof", "salts", "/id")),
    _set(("proof", "obfuscated"), ["0x" + "AB" * 32]),
    _set(("proof", "obfuscated"), ["0x" + "ab" * 32]),
    _set(("proof", "obfuscated"), None),
    _remove(("proof", "obfuscated")),
    _set(("proof", "chainId"), True),
    _set(("proof", "chainId"), 2**70),
    _set(("proof", "registry"), REGISTRY.lower()[2:]),
    _set(("proof", "registry"), "0X" + REGISTRY[2:]),
    _set(("proof", "registry"), REGISTRY + "0"),
    _set(("proof", "suite"), Text("default")),
    _set(("proof", "merklePath"), []),
    _set(("proof", "type"), "HurongMerkleProof2025"),
    _set(("credentialSubject", "holderName"), "\ud800"),
    _set(("credentialSubject", "holderName"), float("nan")),
    _set(("credentialSubject", "holderName"), 2**60),
    _set(("credentialSubject", "holderName"), Text("x")),
    _set(("credentialSubject", "holderName"), b"x"),
    _set(("credentialSubject", "extra", ), [None]),
    _set(("credentialSubject", "名称"), None),
    _set(("id",), "x" * (MAX_TEXT + 1)),
    _set(("proof", "anchor"), {"deep": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[0]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}),
]  # fmt: skip


@pytest.mark.parametrize("edge", range(len(EDGES)))
def test_edge_cases_are_the_references_or_left_to_it(edge: int) -> None:
    docs = wrapped("default")
    changed = copy.deepcopy(docs[0])
    EDGES[edge](changed)
    batch = [changed, docs[1], "not a document", {"proof": []}, {}]
    found = facts(batch)
    assert found[1] == (True, True) and found[2:] == [None, None, None]
    agrees_with_the_reference(changed, found[0])


def test_the_facts_computed_in_the_background_are_the_same() -> None:
    docs = [*wrapped("default"), *wrapped("sm"), "not a document"]
    docs[1]["credentialSubject"]["holderName"] += "X"
    cleared, pending = native.start_local_facts(docs, PROOF_TYPE, MAX_DEPTH, MAX_VALUES, MAX_TEXT)
    found = pending.wait()
    assert found == facts(docs) and cleared == [fact is not None for fact in found]
    assert found[1] == (False, True) and found[-1] is None
    with pytest.raises(RuntimeError, match="already taken"):
        pending.wait()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), suite=st.sampled_from(["default", "sm"]))
def test_random_changes_get_the_references_facts_or_none(data: st.DataObject, suite: str) -> None:
    changed = []
    for issued in wrapped(suite, ("food_business_licence",))[:3]:
        doc = issued
        for _ in range(data.draw(st.integers(0, 3))):
            path = data.draw(st.sampled_from(paths(doc)))
            remove = bool(path) and data.draw(st.booleans())
            doc = mutate(doc, path, data.draw(JSON_VALUES), remove)
        changed.append(doc)
    for doc, fact in zip(changed, facts(changed), strict=True):
        agrees_with_the_reference(doc, fact)

"""Bulk verification gives every certificate exactly the answer it gets judged alone, on a live chain.

`verify_many` checks a batch with one native call for checks 1-3 and judges once what certificates share (an
anchoring, an issuer's authorisation, a signature, a validity period, a recognition rule, a check result); the
reference, `Verifier._verify`, judges each certificate alone, all in Python. Both answer the same documents of
every kind (valid, in both hash suites, signed, redacted, tampered with in every way the tampering tests know,
malformed, unanchored, revoked, suspended, superseded, expired, not recognised) and the full answers must be
equal, result by result, message by message."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.certificates.hashing import redact
from ledger.chain.models import KeyAlgorithm
from ledger.verification import local
from ledger.verification.checks import Claims
from ledger.verification.results import CHECKS, CheckResult, Outcome, VerificationResult, frozen
from ledger.verification.verifier import VerificationContext, Verifier
from tests.conftest import World
from tests.ledger import issuing
from tests.ledger.verification.test_verify import TAMPERING, Env, add_key, signed
from tests.ledger.verification.test_verify_robustness import JSON_VALUES, mutate, paths

SH, ZJ, GD = 310000, 330000, 440000
CONTEXTS = [None, VerificationContext(SH), VerificationContext(ZJ), VerificationContext(GD, "license_check")]


def both_paths(verifier: Verifier, docs: list[Any], context: VerificationContext | None, at: int | None = None) -> None:
    """`verify_many` of `docs` answers each exactly as `Verifier._verify` judging it alone."""
    reader = verifier.reader("latest")
    now = int(verifier.clock())
    batch = verifier.verify_many(docs, context, reader=reader, at=at)
    today = reader if at is None else verifier.reader("latest")
    judged = now if at is None else at
    alone = [verifier._verify(d, context, reader, judged, today=today, checked_at=now) for d in docs]
    for doc, got, expected in zip(docs, batch, alone, strict=True):
        assert got.to_json() == expected.to_json(), doc
        assert got == expected


def corpus(world: World, tmp_path: Path) -> list[Any]:
    """Certificates of every kind, and the statuses set on chain that some of them carry."""
    docs = issuing.issue(world, tmp_path, "sh_amr", issuing.credentials(world, "sh_amr", 6))
    sm = issuing.issue(world, tmp_path, "sh_amr", issuing.credentials(world, "sh_amr", 3), suite="sm")
    food = issuing.issue(world, tmp_path, "sh_amr", [issuing.credential(world, "sh_amr", "food_business_licence")])
    key = add_key(world, "sh_amr", KeyAlgorithm.ED25519)
    signed_docs = issuing.issue(world, tmp_path, "sh_amr", issuing.credentials(world, "sh_amr", 2),
                                signer=signed(world, key))  # fmt: skip
    pudong = issuing.issue(world, tmp_path, "sh_pudong", issuing.credentials(world, "sh_pudong", 2))
    expired = issuing.issue(world, tmp_path, "sh_amr", issuing.credentials(
        world, "sh_amr", 2, validFrom="2020-01-01T00:00:00Z", validUntil="2021-01-01T00:00:00Z"))  # fmt: skip
    issuing.revoke(world, "sh_amr", docs[3])
    issuing.suspend(world, "sh_amr", docs[4])
    issuing.supersede(world, "sh_amr", docs[5], docs[0])
    items = "/credentialSubject/businessItems"
    redacted = [redact(docs[0], ["/credentialSubject/holderName"]), redact(sm[0], ["/issuer/name", "/id"]),
                redact(food[0], [f"{items}/1"]), redact(food[0], [f"{items}/2"]), redact(food[0], [items]),
                redact(signed_docs[0], ["/credentialSubject/holderName"])]  # fmt: skip
    (other,) = issuing.issue(world, tmp_path, "sh_amr", issuing.credentials(world, "sh_amr", 1))
    tampered = []
    for _, change, _ in TAMPERING:
        doc = copy.deepcopy(docs[1])
        change(doc, Env(world, docs[2], other))
        tampered.append(doc)
    broken_salt = copy.deepcopy(docs[0])
    broken_salt["proof"]["salts"]["/id"] += "\n"  # a salt the reference's pattern lets through
    malformed: list[Any] = ["text", [], {}, {"proof": None}, {**docs[0], "proof": {}}, broken_salt,
                            {**docs[0], "validUntil": float("nan")}, {**docs[0], "issuer": "did:web:x"}]  # fmt: skip
    return [*docs, *sm, *food, *signed_docs, *pudong, *expired, *redacted, *tampered, *malformed]


def test_the_batch_answers_every_kind_of_certificate_as_the_reference(world: World, tmp_path: Path) -> None:
    verifier = Verifier(world.reader, clock=lambda: 1_900_000_000)
    docs = corpus(world, tmp_path)
    cleared = local._local_facts(docs, *local.LOCAL_BOUNDS) if local._local_facts is not None else None
    if cleared is not None:  # the native core decided most of them (the rest were the reference's)
        assert sum(fact is not None for fact in cleared) > len(docs) // 2
    answered = {(c.name, c.code) for r in verifier.verify_many(docs, VerificationContext(ZJ)) for c in r.checks}
    assert answered >= {("status", "revoked"), ("status", "suspended"), ("status", "superseded"),
                        ("validity", "expired"), ("integrity", "digest_mismatch"), ("integrity", "fields_mismatch"),
                        ("inclusion", "bad_merkle_path"), ("anchoring", "not_anchored"), ("anchoring", "wrong_chain"),
                        ("signature", "ok"), ("format", "schema"), ("format", "not_an_object"),
                        ("format", "missing_proof"), ("format", "bad_proof"), ("recognition", "rule"),
                        ("recognition", "invalid"), ("issuer", "province_mismatch")}  # fmt: skip
    for context in CONTEXTS:
        both_paths(verifier, docs, context)
        both_paths(verifier, docs * 3, context)  # a batch of more than 64: the garbage collector held back
    both_paths(verifier, docs, VerificationContext(ZJ), at=1_600_000_000)  # before some were valid
    both_paths(verifier, docs, None, at=1_700_000_000)


def test_one_certificate_at_a_time_is_answered_as_the_reference(world: World, tmp_path: Path) -> None:
    """`POST /verify`'s form: `verify_many` of one document (the native call for it alone, and the results the
    verifier keeps from one call to the next)."""
    verifier = Verifier(world.reader, clock=lambda: 1_900_000_000)
    docs = corpus(world, tmp_path)
    for _ in range(2):  # the second time, every result is one the verifier made before
        for doc in docs:
            both_paths(verifier, [doc], VerificationContext(ZJ))


def test_the_batch_without_the_native_core_answers_as_the_reference(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local, "_local_facts", None)
    monkeypatch.setattr(local, "_start_local_facts", None)
    verifier = Verifier(world.reader, clock=lambda: 1_900_000_000)
    both_paths(verifier, corpus(world, tmp_path), VerificationContext(ZJ))


def test_the_batch_without_native_clearing_answers_as_with_it(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The validation the native core clears in `start_checks` changes no answer: the batch answered with
    it, and again with the validator run on every document, give the same results; what it cleared passes the
    reference."""
    from ledger.certificates import validate_credential
    from ledger.certificates.clearing import native_clearing

    docs = corpus(world, tmp_path)
    if local._start_checks is not None and native_clearing() is not None:
        _, pending = local._start_checks(docs, *local.LOCAL_BOUNDS, native_clearing())
        _, valid = pending.wait()
        assert sum(valid) > len(docs) // 3
        for doc, clear in zip(docs, valid, strict=True):
            if clear:
                validate_credential({k: v for k, v in doc.items() if k != "proof"})
    for context in CONTEXTS:
        cleared = Verifier(world.reader, clock=lambda: 1_900_000_000).verify_many(docs * 2, context)
        with monkeypatch.context() as patched:
            patched.setattr(local, "_start_checks", None)
            alone = Verifier(world.reader, clock=lambda: 1_900_000_000).verify_many(docs * 2, context)
        assert [r.to_json() for r in cleared] == [r.to_json() for r in alone]


def test_randomly_changed_batches_get_the_references_answers(world: World, tmp_path: Path) -> None:
    issued = issuing.issue(world, tmp_path, "sh_amr", issuing.credentials(world, "sh_amr", 4))
    verifier = Verifier(world.reader, clock=lambda: 1_900_000_000)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def changed(data: st.DataObject) -> None:
        docs = []
        for original in issued:
            doc: Any = copy.deepcopy(original)
            for _ in range(data.draw(st.integers(0, 2))):
                path = data.draw(st.sampled_from(paths(doc)))
                doc = mutate(doc, path, data.draw(JSON_VALUES), bool(path) and data.draw(st.booleans()))
            docs.append(doc)
        both_paths(verifier, docs, VerificationContext(ZJ))

    changed()


def test_results_and_claims_built_at_once_are_the_dataclasses_own() -> None:
    checks = tuple(CheckResult(name, Outcome.PASSED, "ok", "好", {}, "fine") for name in CHECKS)
    values: dict[str, Any] = {"verdict": "VALID", "checks": checks, "block_number": 7, "block_hash": "0x" + "ab" * 32,
                              "checked_at": 1, "digest": "0x" + "cd" * 32, "issuer": "0x" + "12" * 20,
                              "issuing_province": "310000", "certificate_type": "business_licence",
                              "context": VerificationContext(ZJ), "at": 2, "warnings": ()}  # fmt: skip
    claims = {"agency": "0x" + "12" * 20, "chain_id": 1, "certificate_type": "t", "province": "310000",
              "digest": "0x" + "cd" * 32, "valid_from": "a", "valid_until": "b", "status_entry": None}  # fmt: skip
    for cls, given_values in ((VerificationResult, values), (Claims, claims)):
        assert {f.name for f in dataclasses.fields(cls)} == set(given_values)  # every field given
        built, own = frozen(cls, **given_values), cls(**given_values)
        assert built == own and repr(built) == repr(own)
        with pytest.raises(dataclasses.FrozenInstanceError):
            built.digest = "changed"  # type: ignore[misc]
    assert frozen(VerificationResult, **values).to_json() == VerificationResult(**values).to_json()
    assert hash(frozen(Claims, **claims)) == hash(Claims(**claims))


def test_alike_certificates_are_answered_as_each_alone(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Certificates of one batch share every answer but their digest and status (`ledger.verification.alike`): a
    batch mixing statuses, proofs that name another chain or registry (cleared, so alike among themselves but not
    with the rest), hex in upper case and signed ones is answered as each alone, and most certificates are not
    judged in full."""
    from ledger.verification import alike
    from ledger.verification.run import Run

    docs = issuing.issue(world, tmp_path, "sh_amr", issuing.credentials(world, "sh_amr", 8))
    key = add_key(world, "sh_amr", KeyAlgorithm.ED25519)
    signed_docs = issuing.issue(world, tmp_path, "sh_amr", issuing.credentials(world, "sh_amr", 3),
                                signer=signed(world, key))  # fmt: skip
    issuing.revoke(world, "sh_amr", docs[1])
    issuing.suspend(world, "sh_amr", docs[2])
    issuing.supersede(world, "sh_amr", docs[3], docs[0])
    variants = []
    for change in ("chainId", "registry", "digest", "merkleRoot"):
        for doc in docs[4:7]:
            changed = copy.deepcopy(doc)
            proof = changed["proof"]
            if change == "chainId":
                proof["chainId"] += 1
            elif change == "registry":
                proof["registry"] = "0x" + "12" * 20
            else:
                proof[change] = "0x" + proof[change][2:].upper()
            variants.append(changed)
    # one batch of other dates: three within their period now (alike: one answer), one expired, one not yet valid
    periods = [("2026-02-01T00:00:00Z", "2031-01-01T00:00:00Z"), ("2025-06-30T08:00:00+08:00", "2045-01-01T00:00:00Z"),
               ("2029-12-31T23:59:59Z", "2030-12-31T00:00:00Z"), ("2020-01-01T00:00:00Z", "2029-01-01T00:00:00Z"),
               ("2031-01-01T00:00:00Z", "2040-01-01T00:00:00Z")]  # fmt: skip
    dated = issuing.issue(world, tmp_path, "sh_amr", [
        issuing.credential(world, "sh_amr", validFrom=start, validUntil=end) for start, end in periods
    ])  # fmt: skip
    batch = (docs + signed_docs + variants + dated) * 3
    judged: list[Any] = []
    judge = Run.judge
    monkeypatch.setattr(Run, "judge", lambda run, doc, local: judged.append(doc) or judge(run, doc, local))
    verifier = Verifier(world.reader, clock=lambda: 1_900_000_000)
    for context in CONTEXTS:
        judged.clear()
        both_paths(verifier, batch, context)
        # judged in full: the reference judges each alone; the batch, once per status and group: the four statuses
        # of the first batch, the signed batch's two Merkle path lengths (three leaves), another chain, another
        # registry, the root in upper case (the digest in upper case is alike: the answer shows it in lower case),
        # and of the dated batch (five leaves: paths of two lengths) the three valid ones once per length of their
        # paths (their places in the tree follow their random digests: one length or two), the expired one and
        # the one not yet valid
        valid_lengths = {len(doc["proof"]["merklePath"]) for doc in dated[:3]}
        assert len(judged) - len(batch) == 4 + 2 + 3 + len(valid_lengths) + 2
    first, second = docs[4], docs[5]
    assert alike.alike_key(first, lists=False) == alike.alike_key(second, lists=False) is not None
    assert alike.alike_key(first, lists=True) is not None  # a Hurong status only: no list to compare with

    class Text(str):
        pass

    odd = copy.deepcopy(first)
    odd["validFrom"] = Text(odd["validFrom"])
    assert alike.alike_key(odd, lists=False) is None
    listed = copy.deepcopy(first)
    listed["credentialStatus"] = [listed["credentialStatus"]]
    assert alike.alike_key(listed, lists=True) is None and alike.alike_key(listed, lists=False) is not None

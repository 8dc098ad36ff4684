"""Bulk verification of certificates that are alike: the certificates of one batch differ only in their digest.

    results = answer_many(local, run, documents)

A batch's certificates name one issuer, type, province, root, registry, signature and Merkle path length; every check
but the status and the validity reads nothing else of them, and the validity gives every certificate within its period
one answer, whatever its dates. So once the native core has cleared a certificate
(its proof well shaped, its values plain JSON, its digest recomputed from its disclosed fields and its Merkle path
followed to the root, its validation passed: `LocalChecks.start`), and an alike certificate with the same status
record has been judged in full in this run, its answer is that one's with its own digest: only its status is read.

Everything the checks read besides the digest and the status is in the key (`alike_key`), as exact text, integers
or null; a certificate with anything else in those places, one the native core did not clear, or one whose status
list entries are to be compared with the lists (`lists_say`) is judged in full. So every answer is exactly the one
judging the certificate alone gives.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ledger.chain.models import Batch, StatusRecord
from ledger.verification.local import LocalChecks
from ledger.verification.results import VerificationResult
from ledger.verification.run import Run

#: Types whose values are their own identity in a key (a subclass may format itself otherwise).
_EXACT = frozenset({str, int, type(None)})
#: In a key in place of both dates of a certificate within its validity period (no certificate's date is a tuple).
_VALID_NOW = ("valid now",)
#: A group of alike certificates: the issuer's address, the root, the batch anchoring it (None: not anchored), and
#: for each status record met, the answer's fields but the digest.
Group = tuple[str, bytes, Batch | None, dict[StatusRecord | None, dict[str, Any]]]


def alike_key(
    doc: dict[str, Any], lists: bool, valid_now: Callable[[str, str], bool] | None = None
) -> tuple[Any, ...] | None:
    """What checks 1-9 read of `doc` (a document the native core cleared) besides its digest and status: certificates
    with one key get one answer but for those two. None where `doc` is to be judged in full: a value of another type
    than exact text, integer or null, or status list entries to be compared (`lists`) with the lists.

    With `valid_now` (`Run.valid_now`), certificates within their validity period share a key whatever their dates:
    check 8 gives them one answer with no date in it, and no other check reads the dates."""
    subject, proof = doc.get("credentialSubject"), doc["proof"]
    if subject.__class__ is not dict or (lists and doc.get("credentialStatus").__class__ is list):
        return None
    issuer = doc.get("issuer")
    valid_from, valid_until = doc.get("validFrom"), doc.get("validUntil")
    values = (
        issuer.get("id") if issuer.__class__ is dict else issuer,
        subject.get("certificateType"),
        subject.get("issuingProvince"),
        valid_from,
        valid_until,
        proof.get("chainId"),
        proof.get("registry"),
        proof.get("merkleRoot"),
        proof.get("suite"),
    )
    for value in values:
        if value.__class__ not in _EXACT:
            return None
    if (
        valid_now is not None
        and type(valid_from) is str
        and type(valid_until) is str
        and valid_now(valid_from, valid_until)
    ):
        values = (*values[:3], _VALID_NOW, _VALID_NOW, *values[5:])
    signature = proof.get("signature")
    if signature is None:
        return (*values, None, len(proof["merklePath"]))
    if signature.__class__ is not dict:
        return None
    signed = tuple(signature.items())
    for name, value in signed:
        if name.__class__ is not str or value.__class__ not in _EXACT:
            return None
    return (*values, signed, len(proof["merklePath"]))


def answer_many(local: LocalChecks, run: Run, documents: Sequence[Any]) -> list[VerificationResult]:
    """The answers for `documents` in `run`, checks 1-3 by `local`: alike certificates answered from the first of
    them judged in full (see the module's description), every other certificate judged in full."""
    started = local.start(documents)
    made = run.made
    if started is None:
        return [run.verify(doc, local.check(doc, made)) for doc in documents]
    cleared, pending = started
    lists = run.status_lists is not None
    keys: list[tuple[Any, ...] | None] = []
    firsts = []
    for doc, clear in zip(documents, cleared, strict=True):  # while the native core works
        key = alike_key(doc, lists, run.valid_now) if clear else None
        keys.append(key)
        firsts.append(None if key is not None else local.first(doc, made, cleared=clear, valid=clear))
    found, valid = pending.wait()
    groups: dict[tuple[Any, ...], Group] = {}
    answers = []
    for doc, key, judged, clear, facts, passes in zip(documents, keys, firsts, cleared, found, valid, strict=True):
        if key is not None and passes and facts == (True, True):
            answer = _alike(groups.get(key), doc, run)
            if answer is None:
                checked = local.rest(doc, local.first(doc, made, cleared=True, valid=True), made, facts)
                answer = _judged(groups, key, doc, run, checked)
            answers.append(answer)
            continue
        if judged is None or (clear and not passes):
            judged = local.first(doc, made, cleared=clear, valid=passes)  # noqa: PLW2901 (judged again, validated)
        answers.append(run.verify(doc, local.rest(doc, judged, made, facts)))
    return answers


def _alike(group: Group | None, doc: dict[str, Any], run: Run) -> VerificationResult | None:
    """The answer for `doc` from its group, or None where no certificate of it with `doc`'s status was judged."""
    if group is None:
        return None
    agency, root, batch, answers = group
    digest = doc["proof"]["digest"]
    record = None if batch is None else run.reader.status(agency, root, bytes.fromhex(digest[2:]), batch)
    fields = answers.get(record)
    if fields is None:
        return None
    answer = object.__new__(VerificationResult)
    answer.__dict__.update(fields)
    answer.__dict__["digest"] = digest.lower()
    return answer


def _judged(
    groups: dict[tuple[Any, ...], Group], key: tuple[Any, ...], doc: dict[str, Any], run: Run, local: Any
) -> VerificationResult:
    """`doc` judged in full, its answer kept for the alike certificates with its status."""
    answer, batch = run.judge(doc, local)
    if answer.issuer is None:  # the format failed (never for a cleared document): nothing to share
        return answer
    proof = doc["proof"]
    group = groups.get(key)
    if group is None:
        group = groups[key] = (answer.issuer, bytes.fromhex(proof["merkleRoot"][2:]), batch, {})
    agency, root, anchored, answers = group
    record = None if anchored is None else run.reader.status(agency, root, bytes.fromhex(proof["digest"][2:]), anchored)
    answers[record] = {name: value for name, value in answer.__dict__.items() if name != "digest"}
    return answer

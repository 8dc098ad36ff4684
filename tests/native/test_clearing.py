"""`hurong_native.clear_credentials` against `validate_credential`: a document is cleared only where the reference
raises nothing, and every valid document of the test families is cleared (the vectors, licences of every type in
both suites with and without status list entries, the refusals of every problem code, random changes)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.certificates import build_credential, validate_credential
from ledger.certificates.catalogue import _TYPES_BY_CODE
from ledger.certificates.clearing import cleared, cleared_by, native_clearing
from ledger.certificates.hashing import redact
from ledger.certificates.status_list import status_entry
from ledger.verification.local import LOCAL_BOUNDS
from tests.ledger.certificates import test_validation as tv
from tests.ledger.certificates.samples import CHAIN_ID, ISSUER, REGISTRY, licence
from tests.ledger.verification.test_verify_robustness import JSON_VALUES, mutate, paths
from tests.native.conftest import native
from tests.native.test_vectors import load
from tests.native.test_verify_batch import EDGES, facts, wrapped

pytestmark = pytest.mark.skipif(
    not hasattr(native, "clear_credentials"), reason="the native core predates clear_credentials"
)


def passes(doc: Any) -> bool:
    """Whether the reference raises nothing on `doc` (whatever it raises counts as a refusal)."""
    try:
        validate_credential(doc)
    except Exception:  # noqa: BLE001 -- any exception is a refusal clearing must not hide
        return False
    return True


def agree(docs: list[Any]) -> list[bool]:
    """The clearing of `docs` (one batch, and each alone): never True where the reference refuses."""
    found = cleared(docs)
    assert found == [cleared([d])[0] for d in docs]
    for doc, clear in zip(docs, found, strict=True):
        if clear:
            assert passes(doc), doc
    return found


def with_entries(doc: dict[str, Any]) -> dict[str, Any]:
    url = "https://hurong.example/api/v1/status-lists/0x5FbDB2315678afecb367f032d93F642f64180aa3/revocation/1"
    doc["credentialStatus"] = [doc["credentialStatus"], status_entry(url, "revocation", 9),
                               status_entry(url.replace("revocation", "suspension"), "suspension", 70_000)]  # fmt: skip
    return doc


def valid_documents() -> list[dict[str, Any]]:
    """Valid credentials of every type: unsigned, with status list entries, and wrapped in both suites."""
    docs = [tv.credential(code) for code in _TYPES_BY_CODE]
    docs += [with_entries(tv.credential(code)) for code in _TYPES_BY_CODE]
    docs += [build_credential(licence(code), issuer_address=ISSUER.lower(), chain_id=CHAIN_ID, issuer_name="机关",
                              registry=None) for code in _TYPES_BY_CODE]  # fmt: skip
    for suite in ("default", "sm"):
        docs += wrapped(suite, tuple(_TYPES_BY_CODE))
    return docs


def test_clearing_is_built_of_every_certificate_type() -> None:
    assert native_clearing() is not None


def test_every_valid_document_of_the_families_is_cleared() -> None:
    docs = valid_documents()
    assert all(passes(d) for d in docs)
    assert agree(docs) == [True] * len(docs)


@pytest.mark.parametrize("case", load("validation.json")["documents"], ids=lambda c: c["name"])
def test_a_vector_is_cleared_exactly_when_the_reference_passes_it(case: dict[str, Any]) -> None:
    assert agree([case["document"]]) == [passes(case["document"])]


def refusals() -> list[tuple[str, dict[str, Any]]]:
    """Documents the reference refuses, one of each problem the certificate tests name."""
    found: list[tuple[str, dict[str, Any]]] = []
    for case, change, _ in tv.ENVELOPE_CASES:
        doc = tv.credential()
        change(doc)
        found.append((case, doc))
    business, person = "business_licence", tv.PERSON
    marks = {
        "id": (tv.test_resident_id_is_refused_with_pointer_and_code, lambda a: tv.with_subject(person, holderId=a[0])),
        "uscc": (tv.test_uscc_is_refused_with_pointer_and_code, lambda a: tv.with_subject(business, holderId=a[0])),
        "region": (tv.test_province_and_region_codes_are_checked, lambda a: tv.with_subject(business, **a[0])),
        "type": (tv.test_type_specific_fields_are_checked, lambda a: tv.with_subject(a[0], **a[1])),
    }  # fmt: skip
    for name, (test, make) in marks.items():
        for args in test.pytestmark[0].args[1]:  # type: ignore[attr-defined]
            found.append((f"{name} {args[-1]}", make(args)))
    for test in (tv.test_credentials_with_spoofing_characters_are_refused_at_the_field,):
        for change, pointer, code in test.pytestmark[0].args[1]:  # type: ignore[attr-defined]
            doc = tv.credential()
            change(doc)
            found.append((f"text {pointer} {code}", doc))
    for change, expected in tv.test_refused_status_arrays_name_the_item_and_field.pytestmark[0].args[1]:  # type: ignore[attr-defined]
        doc = with_entries(tv.credential())
        change(doc["credentialStatus"])
        found.append((f"status {expected}", doc))
    return found


REFUSALS = refusals()


@pytest.mark.parametrize(("case", "doc"), REFUSALS, ids=[c for c, _ in REFUSALS])
def test_documents_the_reference_refuses_are_not_cleared(case: str, doc: dict[str, Any]) -> None:
    assert not passes(doc), case
    assert agree([doc]) == [False]


class Mapping(dict):  # type: ignore[type-arg]
    pass


class Text(str):
    __slots__ = ()


class Items(list):  # type: ignore[type-arg]
    pass


def unchecksummed(address: str) -> str:
    """`address` with the case of its last letter changed (which breaks its EIP-55 checksum)."""
    at = max(i for i, c in enumerate(address) if c.isalpha() and i > 1)
    return address[:at] + address[at].swapcase() + address[at + 1 :]


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


#: Changes a valid document passes through some reference step but no exact-type copy (or no check) clears.
UNUSUAL: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
    ("dict subclass", lambda d: d.update(issuer=Mapping(d["issuer"]))),
    ("str subclass", lambda d: d["credentialSubject"].update(holderName=Text(d["credentialSubject"]["holderName"]))),
    ("str subclass key", lambda d: d.update({Text("name"): "证照"})),
    ("list subclass", lambda d: d.update({"@context": Items(d["@context"])})),
    ("bool chain", lambda d: d["credentialStatus"].update(chainId=True)),
    ("float chain", lambda d: d["credentialStatus"].update(chainId=float(CHAIN_ID))),
    ("huge chain", lambda d: d["credentialStatus"].update(chainId=2**70)),
    ("unknown type", lambda d: d["credentialSubject"].update(certificateType="fishing_licence")),
    ("non-str key", lambda d: d["credentialSubject"].update({1: "x"})),
    ("tuple", lambda d: d.update({"@context": tuple(d["@context"])})),
    ("lower-case registry", lambda d: d["credentialStatus"].update(registry=REGISTRY.lower())),
    ("issuer checksum", lambda d: d["issuer"].update(id=f"did:pkh:eip155:{CHAIN_ID}:{unchecksummed(ISSUER)}")),
    ("registry checksum", lambda d: d["credentialStatus"].update(registry=unchecksummed(REGISTRY),
                                                                 id=f"eip155:{CHAIN_ID}:{unchecksummed(REGISTRY)}")),
    ("status id", lambda d: d["credentialStatus"].update(id=f"eip155:1:{REGISTRY}")),
    ("index newline", lambda d: with_entries(d)["credentialStatus"][1].update(statusListIndex="9\n")),
    ("url newline", lambda d: with_entries(d)["credentialStatus"][1].update(statusListCredential="https://a.b/1\n")),
    ("deep nesting", lambda d: d["credentialSubject"].update(extra=nested(40))),
]  # fmt: skip


@pytest.mark.parametrize(("case", "change"), UNUSUAL, ids=[c for c, _ in UNUSUAL])
def test_unusual_values_are_left_to_the_reference(case: str, change: Callable[[dict[str, Any]], Any]) -> None:
    doc = tv.credential()
    change(doc)
    assert agree([doc]) == [False]


def test_a_proof_is_ignored_and_non_objects_are_not_cleared() -> None:
    doc = tv.credential()
    assert agree([doc | {"proof": {"anything": 1.5}}, None, [doc], "doc", Mapping(doc)]) == [True, *[False] * 4]


def test_only_validate_credential_itself_is_cleared_for() -> None:
    docs = valid_documents()[:3]
    assert cleared_by(validate_credential, docs) == [True] * 3

    def another(doc: Any) -> None:
        validate_credential(doc)

    assert cleared_by(another, docs) == [False] * 3


_VALID = valid_documents()
#: Replacements that sit near the valid values: wrong types, subclasses, big integers, floats, text with
#: characters refused only in some places, addresses with a letter's case changed.
_NEAR = st.one_of(
    JSON_VALUES,
    st.sampled_from([True, False, 0, 1, -1, 2**63, 2**64, 1.0, 31337.0, float("nan"), "", " ", "\n", "\t", "a\nb",
                     "2026-01-01T00:00:00Z", "1899-12-31T23:59:59Z", "9999-12-31T23:59:59Z", "2026-01-01T00:00:00Z\n",
                     "310000", "310115", "330106", "110103", "https://a.b/c", "revocation", "suspension", "0", "09",
                     ISSUER, REGISTRY, REGISTRY.lower(), unchecksummed(REGISTRY), f"did:pkh:eip155:31337:{ISSUER}",
                     f"did:pkh:eip155:31337:{unchecksummed(ISSUER)}", f"did:pkh:eip155:1:{ISSUER}",
                     f"eip155:31337:{REGISTRY}", "BitstringStatusListEntry", "HurongRegistryStatus"]),
    st.builds(Text, st.text(max_size=8)),
    st.builds(Mapping, st.dictionaries(st.text(max_size=4), st.integers(), max_size=2)),
)  # fmt: skip


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_randomly_changed_documents_are_cleared_only_where_the_reference_passes(data: st.DataObject) -> None:
    batch = []
    for _ in range(data.draw(st.integers(1, 4))):
        doc = copy.deepcopy(data.draw(st.sampled_from(_VALID)))
        for _ in range(data.draw(st.integers(1, 3))):
            where = data.draw(st.sampled_from(paths(doc)))
            if where and where[-1] == "proof":
                continue
            remove = bool(where) and data.draw(st.booleans())
            doc = mutate(doc, where, data.draw(_NEAR), remove)
            if not isinstance(doc, dict):
                break
        batch.append(doc)
    agree(batch)


def test_large_batches_are_cleared_on_all_cores_as_one_at_a_time() -> None:
    docs = [copy.deepcopy(d) for d in _VALID * 8]
    docs[3]["credentialSubject"]["holderName"] = "张\u202e三"
    docs[40]["validUntil"] = docs[40]["validFrom"]
    expected = [passes(d) for d in docs]
    assert agree(docs) == expected and expected.count(False) == 2


def checks(docs: list[Any]) -> tuple[list[bool], list[bool], list[Any]]:
    cleared, pending = native.start_checks(docs, *LOCAL_BOUNDS, native_clearing())
    found, valid = pending.wait()
    with pytest.raises(RuntimeError, match="already taken"):
        pending.wait()
    return cleared, valid, found


@pytest.mark.parametrize("edge", range(len(EDGES)))
def test_checks_with_clearing_give_the_facts_of_local_facts(edge: int) -> None:
    """`start_checks` and `local_checks` find the facts `local_facts` finds (fields found on owned copies,
    or on the Python objects where a document is not copied), and clear validation only where the reference passes
    the body of an unredacted document."""
    docs = wrapped("default") + wrapped("sm")
    changed = copy.deepcopy(docs[0])
    EDGES[edge](changed)
    redacted = redact(docs[1], ["/credentialSubject/holderName"])
    batch = [changed, redacted, "not a document", {"proof": []}, *docs] * 3  # more than a chunk of 64
    cleared, valid, found = checks(batch)
    assert found == facts(batch)
    assert native.local_checks(batch, *LOCAL_BOUNDS, native_clearing()) == (found, valid)
    assert [native.local_checks([d], *LOCAL_BOUNDS, native_clearing()) for d in batch[:6]] == [
        ([f], [v]) for f, v in zip(found[:6], valid[:6], strict=True)
    ]
    assert cleared == [f is not None for f in found]
    assert valid[1] is False and valid[2:4] == [False, False] and all(valid[4 : 4 + len(docs)])
    for doc, clear in zip(batch, valid, strict=True):
        if clear:
            assert passes(doc) and not doc["proof"].get("obfuscated")


def test_pending_checks_nobody_waits_for_are_dropped_safely() -> None:
    """A batch whose checks are started and never waited for (its caller failed meanwhile) leaves nothing behind
    that breaks the next one."""
    docs = wrapped("default") * 40
    for _ in range(5):
        native.start_checks(docs, *LOCAL_BOUNDS, native_clearing())
    cleared, pending = native.start_checks(docs[:3], *LOCAL_BOUNDS, native_clearing())
    found, valid = pending.wait()
    assert cleared == [True] * 3 and found == [(True, True)] * 3 and valid == [True] * 3
    assert native.start_checks([], *LOCAL_BOUNDS, native_clearing())[1].wait() == ([], [])

"""Property-based: generated valid resident IDs and credit codes pass; every single-character change fails."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.certificates import build_credential, model, regions
from ledger.certificates.validation import (
    NATIONAL_REGION_CODE,
    REGISTRATION_AUTHORITIES,
    USCC_CHARSET,
    check_resident_id,
    check_uscc,
    resident_id_check_character,
    uscc_check_character,
)
from tests.ledger.certificates.samples import CHAIN_ID, ISSUER, LICENCES, REGISTRY, licence

TODAY = datetime.now(UTC).date()
PROPERTIES = settings(max_examples=300, deadline=None, database=None)
CURRENT = sorted(r.code for r in regions.regions(include_historical=False))
HISTORICAL = sorted((r.code, r.last_year) for r in regions.regions() if r.last_year is not None)
KNOWN = sorted(r.code for r in regions.regions())


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        region = draw(st.sampled_from(CURRENT))
        birth = draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
    else:  # a code since retired, for someone born while it was in force
        region, last_year = draw(st.sampled_from(HISTORICAL))
        birth = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(last_year, 12, 31)))
    body = f"{region}{birth:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return body + resident_id_check_character(body)


@st.composite
def usccs(draw: st.DrawFn) -> str:
    authority = draw(st.sampled_from(sorted(REGISTRATION_AUTHORITIES)))
    kind = draw(st.sampled_from(sorted(REGISTRATION_AUTHORITIES[authority][1])))
    region = draw(st.sampled_from([*KNOWN, NATIONAL_REGION_CODE]))
    subject = draw(st.text(alphabet=USCC_CHARSET, min_size=9, max_size=9))
    body = f"{authority}{kind}{region}{subject}"
    return body + uscc_check_character(body)


@st.composite
def mutated(draw: st.DrawFn, valid: st.SearchStrategy[str], alphabet: str) -> tuple[str, str]:
    value = draw(valid)
    index = draw(st.integers(0, len(value) - 1))
    replacement = draw(st.sampled_from([c for c in alphabet if c != value[index]]))
    return value, value[:index] + replacement + value[index + 1 :]


@PROPERTIES
@given(resident_ids())
def test_generated_resident_ids_are_valid(value: str) -> None:
    assert check_resident_id(value) == []


@PROPERTIES
@given(mutated(resident_ids(), "0123456789Xx"))
def test_every_single_character_change_of_a_resident_id_is_refused(pair: tuple[str, str]) -> None:
    original, changed = pair
    problems = check_resident_id(changed, "/holderId")
    assert problems, f"{changed} (from {original}) was accepted"
    assert all(p.pointer == "/holderId" for p in problems)


@PROPERTIES
@given(usccs())
def test_generated_usccs_are_valid(value: str) -> None:
    assert check_uscc(value) == []


@PROPERTIES
@given(mutated(usccs(), USCC_CHARSET + "IOZSVa"))
def test_every_single_character_change_of_a_uscc_is_refused(pair: tuple[str, str]) -> None:
    original, changed = pair
    problems = check_uscc(changed, "/holderId")
    assert problems, f"{changed} (from {original}) was accepted"
    assert all(p.pointer == "/holderId" for p in problems)


@PROPERTIES
@given(st.text(min_size=0, max_size=24))
def test_arbitrary_text_never_crashes_the_checks(value: str) -> None:
    check_resident_id(value)
    check_uscc(value)


# --- the compiled schema predicate agrees with jsonschema -------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["", " 张三", "2026-02-30", "2026-01-01", "310000", "C1", "Z9", "临床", "JY13101150012345"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)


@st.composite
def mutated_documents(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    code = draw(st.sampled_from(sorted(LICENCES)))
    doc = build_credential(
        licence(code), issuer_address=ISSUER, chain_id=CHAIN_ID, issuer_name="机关", registry=REGISTRY
    )
    for _ in range(draw(st.integers(1, 3))):
        subject = doc.get("credentialSubject")
        target = subject if isinstance(subject, dict) and draw(st.booleans()) else doc
        key = draw(st.sampled_from([*target, "extra"]))
        if draw(st.integers(0, 4)) == 0:
            target.pop(key, None)
        else:
            target[key] = draw(JSON_VALUES)
    return code, doc


@settings(max_examples=400, deadline=None, database=None)
@given(mutated_documents())
def test_compiled_schemas_agree_with_jsonschema(case: tuple[str, dict[str, Any]]) -> None:
    code, doc = case
    for name, instance in (("_envelope.json", doc), (f"{code}.json", doc.get("credentialSubject"))):
        compiled = model._compiled(name)
        assert compiled is not None
        assert compiled(instance) == model._validator(name).is_valid(instance), (name, instance)

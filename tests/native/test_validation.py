"""The native validation of licence records and the reference give the same problems: the shared vectors
(`tests/vectors/validation.json`, every code of every type) and random or mutated records."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.certificates import CertificateValidationError, build_credential, regions, schema_checks, validation
from ledger.certificates.schema_compiler import _plan
from tests.ledger.certificates.samples import CHAIN_ID, ISSUER, LICENCES, REGISTRY, licence
from tests.native.conftest import native

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "validation.json").read_text("ascii"))
SCHEMAS = ["_envelope.json", *(f"{code}.json" for code in sorted(LICENCES))]
CHECKS = ["check_resident_id", "check_uscc", "check_province_code", "check_region_code", "check_text"]


@cache
def _native_checks() -> Any:
    native.load_regions([(r.code, r.last_year, r.name) for r in regions.regions()])
    return native


@cache
def _native_schema(name: str) -> Any:
    plan = _plan(name)
    assert plan is not None, f"the plan of {name} uses a keyword the native core does not know"
    return _native_checks().Schema(plan)


@contextmanager
def running(implementation: str) -> Iterator[None]:
    """Validation on one implementation, whatever `HURONG_NATIVE` chose for the rest of the suite."""
    checks, schema = (_native_checks, _native_schema) if implementation == "native" else (lambda: None, lambda _: None)
    with patch.object(validation, "_native_checks", checks), patch.object(schema_checks, "_native_schema", schema):
        yield


def problems_of(document: Any) -> list[list[str]]:
    from ledger.certificates import validate_credential

    try:
        validate_credential(document)
    except CertificateValidationError as exc:
        return [[p.pointer, p.code, p.message] for p in exc.problems]
    return []


def both(document: Any) -> list[list[str]]:
    with running("reference"):
        expected = problems_of(copy.deepcopy(document))
    with running("native"):
        assert problems_of(document) == expected
    return expected


@pytest.fixture(params=["reference", "native"])
def implementation(request: pytest.FixtureRequest) -> Iterator[str]:
    with running(request.param):
        yield request.param


@pytest.mark.parametrize("case", VECTORS["documents"], ids=lambda c: c["name"])
def test_documents_give_the_problems_of_the_vectors(implementation: str, case: dict[str, Any]) -> None:
    assert problems_of(case["document"]) == case["problems"]


@pytest.mark.parametrize("case", VECTORS["checks"], ids=lambda c: f"{c['check']}-{c['value']!r}")
def test_gb_and_text_checks_give_the_problems_of_the_vectors(implementation: str, case: dict[str, Any]) -> None:
    kwargs = {k: date.fromisoformat(v) if k == "today" else v for k, v in case["kwargs"].items()}
    found = getattr(validation, case["check"])(case["value"], "/at", **kwargs)
    assert [[p.pointer, p.code, p.message] for p in found] == case["problems"]


def test_the_vectors_name_every_code_of_the_checks() -> None:
    codes = {p[1] for case in VECTORS["documents"] + VECTORS["checks"] for p in case["problems"]}
    assert len(codes) >= 42
    assert {"region_prefix_retired", "birth_date_in_future", "unknown_entity_type", "invisible_character"} <= codes
    assert {c["document"]["credentialSubject"]["certificateType"] for c in VECTORS["documents"]} >= set(LICENCES)


def test_every_bundled_schema_compiles_for_the_native_core() -> None:
    for name in SCHEMAS:
        assert _plan(name) is not None, name


# --- random and mutated records ----------------------------------------------------------------------------------

SPECIAL = "\t\n\x07\x1c\u00ad\u200b\u200d\u200e\u202e\u2028\u3000\ufeff\U000e0041\ufe00 ~/'\"\\张𠀀"
texts = st.text(st.characters(exclude_categories=["Cs"]) | st.sampled_from(SPECIAL), max_size=20)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
    | st.sampled_from(
        [
            "",
            " 张三",
            "2026-02-30",
            "2026-01-01",
            "0001-01-01",
            "2026-01-01T00:00:00Z",
            "2026-01-01T00:00:00.5+23:59",
            "2026-01-01T00:00:00+24:00",
            "310000",
            "310115",
            "990000",
            "C1",
            "Z9",
            "临床",
            "JY13101150012345",
            "工学学士",
            "学士学位\n",
            "11010519491231002X",
            "91310000MA1FL8XQ3Y",
            "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
            31337,
            2**53,
            1.0,
        ]
    ),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(texts, children, max_size=3),
    max_leaves=6,
)


@st.composite
def id_like(draw: st.DrawFn, valid: str) -> str:
    """A valid number with one to three characters changed, cut or extended."""
    chars = list(valid)
    for _ in range(draw(st.integers(1, 3))):
        if not chars:  # a short value cut to nothing: extended again
            chars.append(draw(st.sampled_from("019X")))
            continue
        i = draw(st.integers(0, len(chars) - 1))
        choice = draw(st.integers(0, 3))
        if choice == 0:
            chars[i] = draw(st.sampled_from("0123456789XxABIOZSVY张"))
        elif choice == 1:
            del chars[i]
        elif choice == 2:
            chars.insert(i, draw(st.sampled_from("019X")))
        else:
            chars[i : i + 6] = list(draw(st.sampled_from(["110110", "310115", "999999", "810000", "100000"])))
    return "".join(chars)


@st.composite
def mutated_documents(draw: st.DrawFn) -> dict[str, Any]:
    code = draw(st.sampled_from(sorted(LICENCES)))
    doc = build_credential(
        licence(code), issuer_address=ISSUER, chain_id=CHAIN_ID, issuer_name="上海市市场监督管理局", registry=REGISTRY
    )
    for _ in range(draw(st.integers(1, 4))):
        targets = [doc, doc.get("credentialSubject"), doc.get("issuer"), doc.get("credentialStatus")]
        target = draw(st.sampled_from([t for t in targets if isinstance(t, dict)]))
        key = draw(st.sampled_from([*target, "extra", "x/~y"]))
        action = draw(st.integers(0, 5))
        if action == 0:
            target.pop(key, None)
        elif action in (1, 2) and isinstance(target.get(key), str):
            target[key] = draw(id_like(target[key])) if target[key] else ""
        elif action == 3 and isinstance(target.get(key), str):
            at = draw(st.integers(0, len(target[key])))
            target[key] = target[key][:at] + draw(st.sampled_from(SPECIAL)) + target[key][at:]
        else:
            target[key] = draw(JSON_VALUES)
    return doc


PROPERTY = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(mutated_documents())
def test_mutated_records_get_the_same_problems_from_both(document: dict[str, Any]) -> None:
    both(document)


@PROPERTY
@given(st.sampled_from(SCHEMAS), JSON_VALUES)
def test_random_values_get_the_same_schema_problems_from_both(name: str, value: Any) -> None:
    with running("reference"):
        expected = schema_checks._schema_problems(name, value, "/base")
    with running("native"):
        assert schema_checks._schema_problems(name, value, "/base") == expected


@PROPERTY
@given(
    st.sampled_from(CHECKS),
    st.one_of(id_like("11010519491231002X"), id_like("91310000MA1FL8XQ3Y"), id_like("310115"), texts, JSON_VALUES),
    st.sampled_from([None, "310000", "330000", "310100", "990000", "31"]),
)
def test_random_values_get_the_same_gb_and_text_problems_from_both(check: str, value: Any, province: Any) -> None:
    kwargs: dict[str, Any] = {"province": province} if check == "check_region_code" else {}
    if check == "check_text":
        kwargs = {"multiline": province is None}
    with running("reference"):
        expected = getattr(validation, check)(value, "/p", **kwargs)
        expected_walk = list(validation.text_problems({"a": [value, {"b/~": value}]}, "", frozenset({"/a/0"})))
    with running("native"):
        assert getattr(validation, check)(value, "/p", **kwargs) == expected
        assert list(validation.text_problems({"a": [value, {"b/~": value}]}, "", frozenset({"/a/0"}))) == expected_walk

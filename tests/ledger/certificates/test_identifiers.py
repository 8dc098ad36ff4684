"""GB/T 36904 licence identifiers: the ISO 7064 MOD 37,36 check character, the structure, and their place in
credentials built for a licence."""

from __future__ import annotations

import random

import pytest
from stdnum.iso7064 import mod_37_36  # type: ignore[import-untyped]

from ledger.certificates import build_credential, validate_credential
from ledger.certificates.catalogue import certificate_type, certificate_types
from ledger.certificates.identifiers import (
    ALPHABET,
    LicenceIdentifier,
    check_licence_identifier,
    make_identifier,
    mod37_36,
    parse_identifier,
)
from ledger.certificates.validation import CertificateValidationError, check_uscc
from ledger.errors import LedgerValueError
from tests.ledger.certificates.samples import CHAIN_ID, ISSUER, LICENCES, REGISTRY, uscc

#: Identifiers issued by working e-licence systems, with the check character they carry. The first two are the
#: examples of the national construction-licence standard's annex A.2 (versions 001 and 002 of one certificate),
#: the third a stored provincial record, the fourth the file name of a certificate served by a provincial portal.
PUBLISHED = [
    "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
    "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.002.S",
    "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F",
    "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
]
AGENCY_CODE = uscc("1", "1", "310000", "MB2C9Q47X")


@pytest.mark.parametrize("identifier", PUBLISHED)
def test_check_character_matches_identifiers_issued_by_working_systems(identifier: str) -> None:
    body = identifier.removeprefix("1.2.156.3005.2.")
    assert mod37_36(body[:-2].replace(".", "")) == body[-1]
    assert check_licence_identifier(identifier) == []


def test_check_character_agrees_with_an_independent_implementation() -> None:
    rng = random.Random(36904)
    assert mod37_36("A12425GABC1234002") == "M"  # python-stdnum's documented example
    for _ in range(2000):
        body = "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(1, 80)))
        assert mod37_36(body) == mod_37_36.calc_check_digit(body)


def test_check_character_catches_every_single_substitution_and_adjacent_transposition() -> None:
    body = "11100000HR0000001A00111310000MB2C9Q47X0000000042001"
    check = mod37_36(body)
    for i, original in enumerate(body):
        for other in ALPHABET.replace(original, ""):
            assert mod37_36(body[:i] + other + body[i + 1 :]) != check
        if i + 1 < len(body) and body[i + 1] != original:
            swapped = body[:i] + body[i + 1] + original + body[i + 2 :]
            assert mod37_36(swapped) != check


def test_mod37_36_refuses_characters_outside_its_alphabet() -> None:
    for body in ("", "abc", "12-3", "１２"):
        with pytest.raises(LedgerValueError):
            mod37_36(body)


def test_every_certificate_type_has_a_21_character_licence_type_code_of_a_valid_credit_code() -> None:
    codes = [t.licence_type_code for t in certificate_types()]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert len(code) == 21 and code[18:].isdigit()
        assert check_uscc(code[:18]) == []


def test_made_identifier_parses_back_into_its_parts() -> None:
    kind = certificate_type("business_licence").licence_type_code
    text = make_identifier(kind, AGENCY_CODE, "2026000001", 2)
    assert text.startswith(f"1.2.156.3005.2.{kind}.{AGENCY_CODE}.2026000001.002.")
    assert parse_identifier(text) == LicenceIdentifier(kind, AGENCY_CODE, "2026000001", 2)
    assert str(parse_identifier(text)) == text


@pytest.mark.parametrize(
    ("parts", "version"),
    [
        (("11100000HR0000001A001", "x" * 18, "1"), 1),
        (("11100000HR0000001A001", AGENCY_CODE, ""), 1),
        (("11100000HR0000001A001", AGENCY_CODE, "1" * 33), 1),
        (("11100000HR0000001A001", AGENCY_CODE, "1"), 0),
        (("11100000HR0000001A001", AGENCY_CODE, "1"), 1000),
        (("11100000HR0000001B001", AGENCY_CODE, "1"), 1),  # the department's credit code has a wrong check
    ],
)
def test_make_identifier_refuses_malformed_parts(parts: tuple[str, str, str], version: int) -> None:
    with pytest.raises(LedgerValueError):
        make_identifier(*parts, version)


def _codes(value: object, **expected: str) -> list[str]:
    return [p.code for p in check_licence_identifier(value, **expected)]


def test_check_names_what_is_wrong_with_an_identifier() -> None:
    good = PUBLISHED[0]
    assert _codes(good[:-1] + "V") == ["invalid_licence_identifier_checksum"]
    assert _codes(good.replace("1.2.156.3005.2.", "1.2.156.3005.1.")) == ["invalid_licence_identifier"]
    assert _codes(good.lower()) == ["invalid_licence_identifier"]
    assert _codes(good + " ") == ["invalid_licence_identifier"]
    assert _codes(42) == ["invalid_type"]
    wrong_code = good.replace("11430000006122244L", "11430000006122244M")
    wrong_code = wrong_code[:-1] + mod37_36(wrong_code[15:-2].replace(".", ""))
    assert _codes(wrong_code) == ["invalid_licence_identifier_code"]
    zero = make_identifier("11100000000013338W011", "11430000006122244L", "7").replace(".001.", ".000.")
    zero = zero[:-1] + mod37_36(zero[15:-2].replace(".", ""))
    assert _codes(zero) == ["invalid_licence_identifier_version"]
    assert _codes(good, type_code="11100000HR0000001A001") == ["licence_identifier_type_mismatch"]
    assert _codes(good, issuer_code=AGENCY_CODE) == ["licence_identifier_issuer_mismatch"]


def _licence_with(identifier: str | None) -> dict[str, object]:
    licence = dict(LICENCES["business_licence"])
    if identifier is not None:
        licence["licenceIdentifier"] = identifier
    return licence


def test_built_credential_carries_a_given_identifier_and_stays_valid() -> None:
    identifier = make_identifier(certificate_type("business_licence").licence_type_code, AGENCY_CODE, "1")
    credential = build_credential(
        _licence_with(identifier), issuer_address=ISSUER, chain_id=CHAIN_ID, issuer_name="上海市市场监督管理局",
        registry=REGISTRY, issuer_code=AGENCY_CODE,
    )  # fmt: skip
    assert credential["credentialSubject"]["licenceIdentifier"] == identifier
    validate_credential(credential)


@pytest.mark.parametrize(
    ("identifier", "code"),
    [
        ("1.2.156.3005.2.X", "invalid_licence_identifier"),
        (PUBLISHED[0][:-1] + "V", "invalid_licence_identifier_checksum"),
        (PUBLISHED[0], "licence_identifier_type_mismatch"),
        (make_identifier("11100000HR0000001A001", uscc("1", "1", "330000", "MB2C9Q47X"), "1"),
         "licence_identifier_issuer_mismatch"),
    ],
)  # fmt: skip
def test_building_refuses_a_bad_identifier_with_its_pointer_and_code(identifier: str, code: str) -> None:
    with pytest.raises(CertificateValidationError) as refused:
        build_credential(
            _licence_with(identifier), issuer_address=ISSUER, chain_id=CHAIN_ID, issuer_name="上海市市场监督管理局",
            issuer_code=AGENCY_CODE,
        )  # fmt: skip
    assert code in [p.code for p in refused.value.problems]
    assert {p.pointer for p in refused.value.problems} == {"/credentialSubject/licenceIdentifier"}


def test_validation_refuses_an_identifier_of_the_wrong_shape_in_a_credential() -> None:
    credential = build_credential(_licence_with(None), issuer_address=ISSUER, chain_id=CHAIN_ID, issuer_name="局")
    credential["credentialSubject"]["licenceIdentifier"] = "CN-123"
    with pytest.raises(CertificateValidationError) as refused:
        validate_credential(credential)
    assert [(p.pointer, p.code) for p in refused.value.problems] == [
        ("/credentialSubject/licenceIdentifier", "invalid_licence_identifier")
    ]

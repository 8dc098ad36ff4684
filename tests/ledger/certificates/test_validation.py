"""Every check refuses a wrong value with the field's pointer and the right code."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from ledger.certificates import CertificateValidationError, build_credential, validate_credential
from ledger.certificates.status_list import status_entry
from ledger.certificates.validation import (
    check_datetime_range,
    check_province_code,
    check_region_code,
    check_resident_id,
    check_text,
    check_uscc,
    resident_id_check_character,
    uscc_check_character,
)
from ledger.errors import LedgerValueError
from tests.ledger.certificates.samples import CHAIN_ID, ISSUER, REGISTRY, licence, resident_id, uscc

SUBJECT = "/credentialSubject"


def credential(code: str = "business_licence") -> dict[str, Any]:
    return build_credential(
        licence(code), issuer_address=ISSUER, chain_id=CHAIN_ID, issuer_name="发证机关", registry=REGISTRY
    )


def problems_of(doc: Any) -> dict[str, str]:
    with pytest.raises(CertificateValidationError) as info:
        validate_credential(doc)
    for problem in info.value.problems:
        assert problem.message
        assert problem.as_dict() == {"pointer": problem.pointer, "code": problem.code, "message": problem.message}
    return info.value.codes()


def with_subject(code: str, **changes: Any) -> dict[str, Any]:
    doc = credential(code)
    for key, value in changes.items():
        if value is None:
            del doc["credentialSubject"][key]
        else:
            doc["credentialSubject"][key] = value
    return doc


# --- known-good vectors -----------------------------------------------------------------------------------------


def test_published_vectors_validate() -> None:
    assert check_resident_id("11010519491231002X") == []  # the example of GB 11643-1999
    assert resident_id_check_character("11010519491231002") == "X"
    assert check_uscc("91110000600037341L") == []
    assert uscc_check_character("91110000600037341") == "L"


def test_check_characters_refuse_malformed_bodies() -> None:
    with pytest.raises(LedgerValueError):
        resident_id_check_character("1234")
    with pytest.raises(LedgerValueError):
        uscc_check_character("9131011500000000I")


# --- resident ID numbers ----------------------------------------------------------------------------------------

PERSON = "physician_certificate"


def _with_check(body: str) -> str:
    return body + resident_id_check_character(body)


@pytest.mark.parametrize(
    ("holder_id", "code"),
    [
        (resident_id()[:17] + ("0" if resident_id()[17] != "0" else "1"), "invalid_resident_id_checksum"),
        (_with_check("33010619900230123"), "invalid_birth_date"),  # 30 February
        (_with_check("33010619901301123"), "invalid_birth_date"),  # month 13
        (_with_check("33010618991231123"), "invalid_birth_date"),  # before 1900
        (_with_check(f"330106{date.today() + timedelta(days=2):%Y%m%d}123"), "birth_date_in_future"),
        (_with_check("99999919900101123"), "unknown_region_prefix"),
        (_with_check("31019919900101123"), "unknown_region_prefix"),
        (_with_check("11010320150101123"), "region_prefix_retired"),  # 崇文区, merged into 东城区 in 2010
        (resident_id()[:17] + "x", "invalid_resident_id_format"),
        (resident_id()[:17], "invalid_resident_id_format"),
        ("33010619900101123A", "invalid_resident_id_format"),
        ("３３０１０６１９９００１０１１２３X", "invalid_resident_id_format"),  # full-width digits
    ],
)
def test_resident_id_is_refused_with_pointer_and_code(holder_id: str, code: str) -> None:
    assert problems_of(with_subject(PERSON, holderId=holder_id)) == {f"{SUBJECT}/holderId": code}


def test_historical_region_prefixes_are_accepted_for_people_born_before_the_change() -> None:
    for old in ("110103", "310225", "130101", "420400"):  # 崇文区, 南汇县, 石家庄市市辖区, 沙市市
        holder = resident_id(old, date(1975, 6, 1), 321)
        assert check_resident_id(holder) == [], old
        validate_credential(with_subject(PERSON, holderId=holder))


def test_residence_permit_prefixes_are_accepted() -> None:
    for prefix in ("810000", "820000", "830000"):
        assert check_resident_id(resident_id(prefix, date(1988, 1, 1), 1)) == []


def test_birth_date_check_uses_the_given_day() -> None:
    holder = resident_id("330106", date(2030, 1, 1), 5)
    assert [p.code for p in check_resident_id(holder)] == ["birth_date_in_future"]
    assert check_resident_id(holder, today=date(2030, 1, 1)) == []


def test_resident_id_must_be_a_string() -> None:
    assert problems_of(with_subject(PERSON, holderId=330106199001011234)) == {f"{SUBJECT}/holderId": "invalid_type"}


# --- unified social credit codes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("holder_id", "code"),
    [
        (uscc()[:17] + ("0" if uscc()[17] != "0" else "1"), "invalid_uscc_checksum"),
        ("91310115MA1H7XYZ3K", "invalid_uscc_character"),  # Z is not in the character set
        ("91310115MA1H7IY23B", "invalid_uscc_character"),
        ("91310115ma1h7xy23b", "invalid_uscc_character"),
        (uscc(authority="B"), "unknown_registration_authority"),
        (uscc(kind="4"), "unknown_entity_type"),  # 工商 has 1 企业, 2 个体工商户, 3 农民专业合作社
        (uscc(authority="5", kind="5"), "unknown_entity_type"),
        (uscc(region="999999"), "unknown_uscc_region"),
        (uscc()[:17], "invalid_uscc_format"),
    ],
)
def test_uscc_is_refused_with_pointer_and_code(holder_id: str, code: str) -> None:
    assert problems_of(with_subject("business_licence", holderId=holder_id)) == {f"{SUBJECT}/holderId": code}


def test_uscc_of_every_authority_and_national_registration_validate() -> None:
    for authority, kind in [("1", "1"), ("3", "2"), ("5", "3"), ("9", "2"), ("A", "1"), ("N", "3"), ("Y", "1")]:
        assert check_uscc(uscc(authority, kind)) == [], authority + kind
    assert check_uscc(uscc(region="100000")) == []


def test_a_resident_id_is_refused_where_a_uscc_is_expected() -> None:
    with pytest.raises(CertificateValidationError) as info:
        validate_credential(with_subject("food_business_licence", holderId=resident_id()))
    assert {p.pointer for p in info.value.problems} == {f"{SUBJECT}/holderId"}
    assert {p.code for p in info.value.problems} <= {"unknown_uscc_region", "invalid_uscc_checksum"}


# --- provinces and regions --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "pointer", "code"),
    [
        ({"issuingProvince": "310100"}, "issuingProvince", "not_a_province_code"),
        ({"issuingProvince": "990000"}, "issuingProvince", "unknown_region_code"),
        ({"issuingProvince": "31000"}, "issuingProvince", "invalid_region_code"),
        ({"issuingProvince": 310000}, "issuingProvince", "invalid_type"),
        ({"issuingRegion": "330106"}, "issuingRegion", "region_outside_province"),
        ({"issuingRegion": "310199"}, "issuingRegion", "unknown_region_code"),
        ({"issuingRegion": "3101150"}, "issuingRegion", "invalid_region_code"),
    ],
)
def test_province_and_region_codes_are_checked(changes: dict[str, Any], pointer: str, code: str) -> None:
    assert problems_of(with_subject("business_licence", **changes)) == {f"{SUBJECT}/{pointer}": code}


def test_region_checks_directly() -> None:
    assert check_province_code("310000") == []
    assert check_province_code("810000") == []
    assert [p.code for p in check_province_code("310115", "/p")] == ["not_a_province_code"]
    assert check_region_code("310115", province="310000") == []
    assert check_region_code("310000", province="310000") == []
    assert check_region_code("310225", province="310000") == []  # 南汇县, historical
    assert [p.code for p in check_region_code("440300", "/r", province="310000")] == ["region_outside_province"]


# --- validity, envelope, status ---------------------------------------------------------------------------------


def test_valid_until_must_be_later_than_valid_from() -> None:
    doc = credential()
    doc["validUntil"] = "2025-12-31T23:59:59Z"
    assert problems_of(doc) == {"/validUntil": "validity_period_inverted"}
    doc["validUntil"] = doc["validFrom"]
    assert problems_of(doc) == {"/validUntil": "validity_period_inverted"}


ENVELOPE_CASES: list[tuple[str, Callable[[dict[str, Any]], None], dict[str, str]]] = [
    (
        "unknown type",
        lambda d: d["credentialSubject"].update(certificateType="fishing_licence"),
        {f"{SUBJECT}/certificateType": "unknown_certificate_type"},
    ),
    (
        "type not a string",
        lambda d: d["credentialSubject"].update(certificateType=7),
        {f"{SUBJECT}/certificateType": "unknown_certificate_type"},
    ),
    (
        "no type",
        lambda d: d["credentialSubject"].pop("certificateType"),
        {f"{SUBJECT}/certificateType": "missing_field"},
    ),
    (
        "missing field",
        lambda d: d["credentialSubject"].pop("legalRepresentative"),
        {f"{SUBJECT}/legalRepresentative": "missing_field"},
    ),
    ("missing holder", lambda d: d["credentialSubject"].pop("holderName"), {f"{SUBJECT}/holderName": "missing_field"}),
    (
        "extra subject field",
        lambda d: d["credentialSubject"].update(nickname="小张"),
        {f"{SUBJECT}/nickname": "unexpected_field"},
    ),
    (
        "extra slash field",
        lambda d: d["credentialSubject"].update({"a/b~c": 1}),
        {f"{SUBJECT}/a~1b~0c": "unexpected_field"},
    ),
    ("extra top-level field", lambda d: d.update(evidence=[]), {"/evidence": "unexpected_field"}),
    (
        "extra issuer field",
        lambda d: d["issuer"].update(url="https://example.org"),
        {"/issuer/url": "unexpected_field"},
    ),
    (
        "subject class",
        lambda d: d["credentialSubject"].update(type="DrivingLicence"),
        {f"{SUBJECT}/type": "subject_type_mismatch"},
    ),
    (
        "context",
        lambda d: d.update({"@context": ["https://www.w3.org/ns/credentials/v2"]}),
        {"/@context": "invalid_context"},
    ),
    ("credential type", lambda d: d.update(type=["VerifiableCredential"]), {"/type": "invalid_credential_type"}),
    ("id", lambda d: d.update(id="https://example.org/1"), {"/id": "invalid_credential_id"}),
    ("missing issuer", lambda d: d.pop("issuer"), {"/issuer": "missing_field"}),
    ("issuer did", lambda d: d["issuer"].update(id="did:web:example.org"), {"/issuer/id": "invalid_issuer_did"}),
    (
        "lower-case did",
        lambda d: d["issuer"].update(id=d["issuer"]["id"].lower()),
        {"/issuer/id": "address_not_checksummed"},
    ),
    ("validFrom offset", lambda d: d.update(validFrom="2026-01-01T08:00:00+08:00"), {"/validFrom": "invalid_datetime"}),
    ("validFrom date", lambda d: d.update(validFrom="2026-02-30T00:00:00Z"), {"/validFrom": "invalid_datetime"}),
    (
        "date field",
        lambda d: d["credentialSubject"].update(establishedOn="2016-02-30"),
        {f"{SUBJECT}/establishedOn": "invalid_date"},
    ),
    (
        "date field shape",
        lambda d: d["credentialSubject"].update(establishedOn="20160220"),
        {f"{SUBJECT}/establishedOn": "invalid_date"},
    ),
    (
        "licence number",
        lambda d: d["credentialSubject"].update(licenceNumber="12345"),
        {f"{SUBJECT}/licenceNumber": "pattern_mismatch"},
    ),
    (
        "empty name",
        lambda d: d["credentialSubject"].update(legalRepresentative=""),
        {f"{SUBJECT}/legalRepresentative": "too_short"},
    ),
    (
        "padded name",
        lambda d: d["credentialSubject"].update(legalRepresentative=" 张三"),
        {f"{SUBJECT}/legalRepresentative": "pattern_mismatch"},
    ),
    (
        "status chain",
        lambda d: d["credentialStatus"].update(chainId=1, id=f"eip155:1:{REGISTRY}"),
        {"/credentialStatus/chainId": "chain_id_mismatch"},
    ),
    (
        "status id",
        lambda d: d["credentialStatus"].update(id=f"eip155:1:{REGISTRY}"),
        {"/credentialStatus/id": "invalid_status_id"},
    ),
    (
        "status type",
        lambda d: d["credentialStatus"].update(type="BitstringStatusListEntry"),
        {"/credentialStatus/type": "invalid_value"},
    ),
    (
        "status registry",
        lambda d: d["credentialStatus"].update(registry=REGISTRY.lower()),
        {"/credentialStatus/registry": "address_not_checksummed", "/credentialStatus/id": "invalid_status_id"},
    ),
    (
        "status chain type",
        lambda d: d["credentialStatus"].update(chainId="31337"),
        {"/credentialStatus/chainId": "invalid_type"},
    ),
    (
        "not a JSON value",
        lambda d: d["credentialSubject"].update(establishedOn=date(2016, 5, 20)),
        {f"{SUBJECT}/establishedOn": "invalid_type"},
    ),
    (
        "NaN",
        lambda d: d["credentialStatus"].update(chainId=float("nan")),
        {"/credentialStatus/chainId": "invalid_number"},
    ),
    (
        "lone surrogate",
        lambda d: d["credentialSubject"].update(holderName="张\ud800"),
        {f"{SUBJECT}/holderName": "invalid_text"},
    ),
]


@pytest.mark.parametrize(("case", "change", "expected"), ENVELOPE_CASES, ids=[c[0] for c in ENVELOPE_CASES])
def test_envelope_and_schema_refusals(case: str, change: Callable[[dict[str, Any]], None], expected: Any) -> None:
    doc = credential()
    change(doc)
    assert problems_of(doc) == expected


@pytest.mark.parametrize(
    ("code", "changes", "pointer", "expected"),
    [
        ("driving_licence", {"vehicleClasses": ["C1", "Z9"]}, "vehicleClasses/1", "pattern_mismatch"),
        ("driving_licence", {"vehicleClasses": []}, "vehicleClasses", "too_short"),
        ("driving_licence", {"vehicleClasses": ["C1", "C1"]}, "vehicleClasses", "duplicate_items"),
        ("driving_licence", {"vehicleClasses": "C1"}, "vehicleClasses", "invalid_type"),
        ("driving_licence", {"fileNumber": "44030012345"}, "fileNumber", "pattern_mismatch"),
        (
            "driving_licence",
            {"licenceNumber": resident_id("440305", date(1980, 1, 1), 1)},
            "licenceNumber",
            "licence_number_mismatch",
        ),
        ("physician_certificate", {"practiceCategory": "兽医"}, "practiceCategory", "invalid_value"),
        ("physician_certificate", {"practiceLevel": None}, "practiceLevel", "missing_field"),
        ("degree_certificate", {"degree": "工学学位"}, "degree", "pattern_mismatch"),
        ("degree_certificate", {"conferredOn": "2025-13-01"}, "conferredOn", "invalid_date"),
        ("food_business_licence", {"licenceNumber": "JY1310115001234"}, "licenceNumber", "pattern_mismatch"),
        ("food_business_licence", {"businessItems": ["热食类食品制售", ""]}, "businessItems/1", "too_short"),
    ],
)
def test_type_specific_fields_are_checked(code: str, changes: dict[str, Any], pointer: str, expected: str) -> None:
    assert problems_of(with_subject(code, **changes)) == {f"{SUBJECT}/{pointer}": expected}


def test_every_problem_is_reported_at_once() -> None:
    doc = with_subject(
        "business_licence",
        holderId=uscc()[:17] + ("0" if uscc()[17] != "0" else "1"),
        issuingRegion="440300",
        nickname="x",
        entityType=None,
    )
    doc["validUntil"] = "2000-01-01T00:00:00Z"
    assert problems_of(doc) == {
        f"{SUBJECT}/holderId": "invalid_uscc_checksum",
        f"{SUBJECT}/issuingRegion": "region_outside_province",
        f"{SUBJECT}/nickname": "unexpected_field",
        f"{SUBJECT}/entityType": "missing_field",
        "/validUntil": "validity_period_inverted",
    }


def test_error_message_and_dicts_name_pointer_and_code() -> None:
    with pytest.raises(CertificateValidationError) as info:
        validate_credential(with_subject(PERSON, holderId=resident_id()[:17] + "0"))
    [problem] = info.value.as_dicts()
    assert problem["pointer"] == "/credentialSubject/holderId"
    assert problem["code"] == "invalid_resident_id_checksum"
    assert "MOD 11-2" in problem["message"]
    assert "/credentialSubject/holderId" in str(info.value)


def test_a_wrapped_credential_validates_and_its_proof_is_ignored() -> None:
    doc = credential()
    wrapped = copy.deepcopy(doc) | {"proof": {"type": "anything", "digest": 42}}
    validate_credential(wrapped)
    assert "proof" in wrapped


def test_non_objects_are_refused() -> None:
    assert problems_of([credential()]) == {"": "invalid_type"}
    assert problems_of({}) == {
        "/@context": "missing_field",
        "/id": "missing_field",
        "/type": "missing_field",
        "/issuer": "missing_field",
        "/validFrom": "missing_field",
        "/validUntil": "missing_field",
        "/credentialSubject": "missing_field",
    }


def test_building_refuses_bad_licences_before_returning_anything() -> None:
    data = licence(PERSON)
    data["holderId"] = resident_id()[:17] + "0" if resident_id()[17] != "0" else resident_id()[:17] + "1"
    with pytest.raises(CertificateValidationError) as info:
        build_credential(data, issuer_address=ISSUER, chain_id=CHAIN_ID, issuer_name="发证机关")
    assert info.value.codes() == {f"{SUBJECT}/holderId": "invalid_resident_id_checksum"}


def test_today_is_a_valid_birth_date() -> None:
    today = datetime.now(UTC).date()
    assert check_resident_id(resident_id("330106", today, 1), today=today) == []


# --- dates out of range -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "refused"),
    [("0001-01-01T00:00:00+01:00", True), ("9999-12-31T23:59:59-01:00", True), ("1899-12-31T23:59:59Z", True),
     ("1900-01-01T07:59:59+08:00", True), ("1900-01-01T00:00:00Z", False), ("9999-12-31T23:59:59Z", False),
     ("1900-01-01T08:00:00+08:00", False), ("9999-12-31T22:59:59-01:00", False)],
)  # fmt: skip
def test_instants_outside_1900_to_9999_in_utc_are_refused_without_overflow(value: str, refused: bool) -> None:
    problems = check_datetime_range(datetime.fromisoformat(value), "/validFrom")
    assert [p.code for p in problems] == (["datetime_out_of_range"] if refused else [])


@pytest.mark.parametrize(
    ("field", "value"), [("validFrom", "0001-01-01T00:00:00+01:00"), ("validUntil", "9999-12-31T23:59:59-01:00")]
)
def test_building_with_dates_whose_utc_form_overflows_names_the_field(field: str, value: str) -> None:
    data = licence("business_licence") | {field: value}
    with pytest.raises(CertificateValidationError) as info:
        build_credential(data, issuer_address=ISSUER, chain_id=CHAIN_ID, issuer_name="发证机关")
    assert info.value.codes() == {f"/{field}": "datetime_out_of_range"}
    aware = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))
    with pytest.raises(CertificateValidationError) as info:
        build_credential(data | {field: aware}, issuer_address=ISSUER, chain_id=CHAIN_ID, issuer_name="发证机关")
    assert info.value.codes() == {f"/{field}": "datetime_out_of_range"}


def test_credentials_with_dates_out_of_range_are_refused() -> None:
    doc = credential()
    doc["validFrom"] = "0001-01-01T00:00:00Z"
    assert problems_of(doc) == {"/validFrom": "datetime_out_of_range"}
    doc = credential()
    doc["validFrom"] = "0001-01-01T00:00:00+01:00"  # not the UTC form the schema asks for
    assert problems_of(doc) == {"/validFrom": "invalid_datetime"}


# --- text -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("char", "code"),
    [("\x00", "control_character"), ("\x07", "control_character"), ("\x1b", "control_character"),
     ("\x7f", "control_character"), ("\x85", "control_character"), ("\x9f", "control_character"),
     ("\t", "control_character"), ("\n", "control_character"), ("\r", "control_character"),
     ("\u2028", "control_character"), ("\u2029", "control_character"),
     *[(chr(c), "bidi_control") for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]],
     ("\ufeff", "invisible_character"), ("\u200b", "invisible_character"), ("\u2060", "invisible_character"),
     ("\u00ad", "invisible_character"), ("\u3164", "invisible_character"), ("\U000e0041", "invisible_character"),
     ("\u2063", "invisible_character")],
)  # fmt: skip
def test_text_with_controls_bidi_or_invisible_characters_is_refused(char: str, code: str) -> None:
    problems = check_text(f"张{char}三", "/x")
    assert [(p.pointer, p.code) for p in problems] == [("/x", code)]
    assert f"U+{ord(char):04X}" in problems[0].message and "character 2" in problems[0].message


@pytest.mark.parametrize(
    "text",
    ["张三", "ئۇيغۇر\u200cشىركىتى", "👩\u200d💻", "abc\u200e123\u200f", "ᠮᠣᠩᠭᠣᠯ\u180b\u180e", "𠀀\U000e0100",
     "葛\ufe00", "O'Brien & 李", "张 三"],
    ids=["Chinese", "Uyghur ZWNJ", "emoji ZWJ", "LRM RLM", "Mongolian FVS MVS", "IVS", "VS1", "Latin", "space"],
)  # fmt: skip
def test_text_of_names_keeps_the_characters_scripts_need(text: str) -> None:
    assert check_text(text, "/x") == []


def test_running_text_may_hold_line_feeds_and_tabs_only() -> None:
    assert check_text("一、食品销售\n二、餐饮服务\t（依法须经批准）", multiline=True) == []
    assert [p.code for p in check_text("a\r\nb", multiline=True)] == ["control_character"]
    assert [p.code for p in check_text("a\u202eb", multiline=True)] == ["bidi_control"]
    assert check_text(42) == [] and check_text(None) == []


@pytest.mark.parametrize(
    ("change", "pointer", "code"),
    [(lambda d: d["credentialSubject"].update(holderName="上海\u202e司公"), f"{SUBJECT}/holderName", "bidi_control"),
     (lambda d: d["credentialSubject"].update(address="上海\x00路"), f"{SUBJECT}/address", "control_character"),
     (lambda d: d["credentialSubject"].update(businessScope="\ufeff食品销售"), f"{SUBJECT}/businessScope",
      "invisible_character"),
     (lambda d: d["issuer"].update(name="发证\u2066机关\u2069"), "/issuer/name", "bidi_control"),
     (lambda d: d.update(name="电子\n营业执照"), "/name", "control_character"),
     (lambda d: d.update(description="第一行\u200b"), "/description", "invisible_character")],
    ids=["holder name", "address", "business scope", "issuer name", "credential name", "description"],
)  # fmt: skip
def test_credentials_with_spoofing_characters_are_refused_at_the_field(
    change: Callable[[dict[str, Any]], None], pointer: str, code: str
) -> None:
    doc = credential()
    change(doc)
    assert problems_of(doc).get(pointer) == code


def test_text_in_lists_is_checked_and_running_text_keeps_line_feeds() -> None:
    doc = credential(PERSON)
    doc["credentialSubject"]["practiceScope"] = ["内科专业", "外科\u202e专业"]
    assert problems_of(doc) == {f"{SUBJECT}/practiceScope/1": "bidi_control"}
    doc = credential()
    doc["credentialSubject"]["businessScope"] = "一、食品销售\n二、餐饮服务"
    doc["description"] = "第一行\n第二行"
    validate_credential(doc)


def _with_entries(doc: dict[str, Any]) -> dict[str, Any]:
    url = "https://hurong.example/api/v1/status-lists/0x5FbDB2315678afecb367f032d93F642f64180aa3/revocation/1"
    doc["credentialStatus"] = [
        doc["credentialStatus"],
        status_entry(url, "revocation", 9),
        status_entry(url.replace("revocation", "suspension"), "suspension", 70_000),
    ]
    return doc


def test_a_registry_status_followed_by_status_list_entries_validates() -> None:
    validate_credential(_with_entries(credential()))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda s: s[0].update(chainId=1, id=f"eip155:1:{REGISTRY}"),
            {"/credentialStatus/0/chainId": "chain_id_mismatch"},
        ),
        (lambda s: s[0].update(type="BitstringStatusListEntry"), {"/credentialStatus/0/type": "invalid_value"}),
        (
            lambda s: s[1].update(statusListIndex=9),
            {"/credentialStatus/1/statusListIndex": "invalid_status_list_index"},
        ),
        (
            lambda s: s[1].update(statusListIndex="09"),
            {"/credentialStatus/1/statusListIndex": "invalid_status_list_index"},
        ),
        (lambda s: s[2].update(statusPurpose="expiry"), {"/credentialStatus/2/statusPurpose": "invalid_value"}),
        (
            lambda s: s[2].update(statusPurpose="revocation"),
            {"/credentialStatus/2/statusPurpose": "duplicate_status_purpose"},
        ),
        (
            lambda s: s[1].update(statusListCredential="ftp://x"),
            {"/credentialStatus/1/statusListCredential": "invalid_status_list_url"},
        ),
        (lambda s: s[1].update(holderId="x"), {"/credentialStatus/1/holderId": "unexpected_field"}),
        (lambda s: s[1].pop("statusPurpose"), {"/credentialStatus/1/statusPurpose": "missing_field"}),
        (lambda s: s.__setitem__(1, "revoked"), {"/credentialStatus/1": "invalid_status_entry"}),
        (lambda s: s.clear(), {"/credentialStatus": "too_short"}),
    ],
)
def test_refused_status_arrays_name_the_item_and_field(
    change: Callable[[list[Any]], Any], expected: dict[str, str]
) -> None:
    doc = _with_entries(credential())
    change(doc["credentialStatus"])
    assert problems_of(doc) == expected

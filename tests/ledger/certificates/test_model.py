"""Building unsigned credentials, the certificate types, schemas and bundled contexts."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from jsonschema import Draft202012Validator  # type: ignore[import-untyped,unused-ignore]

from ledger import certificates
from ledger.certificates import (
    CONTEXT_FILES,
    HURONG_CONTEXT,
    VC_V2_CONTEXT,
    CertificateValidationError,
    LicenceData,
    build_credential,
    certificate_type,
    certificate_types,
    load_context,
    load_schema,
    validate_credential,
)
from ledger.errors import LedgerValueError
from tests.ledger.certificates.samples import CHAIN_ID, ISSUER, LICENCES, REGISTRY, licence

ROOT = Path(__file__).resolve().parents[3]
TYPES = sorted(LICENCES)


def build(data: Any, **overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "issuer_address": ISSUER,
        "chain_id": CHAIN_ID,
        "issuer_name": "上海市市场监督管理局",
        "registry": REGISTRY,
    }
    kwargs.update(overrides)
    return build_credential(data, **kwargs)


def refused(call: Any, *args: Any, **kwargs: Any) -> dict[str, str]:
    with pytest.raises(CertificateValidationError) as info:
        call(*args, **kwargs)
    return info.value.codes()


def test_public_surface_is_sorted_and_importable() -> None:
    assert certificates.__all__ == sorted(certificates.__all__)
    for name in certificates.__all__:
        assert getattr(certificates, name) is not None


def test_certificate_validation_error_is_a_ledger_value_error() -> None:
    assert issubclass(CertificateValidationError, LedgerValueError)
    assert issubclass(CertificateValidationError, ValueError)


@pytest.mark.parametrize("code", TYPES)
def test_every_certificate_type_builds_a_credential_that_validates(code: str) -> None:
    doc = build(licence(code))
    validate_credential(doc)
    kind = certificate_type(code)
    assert doc["@context"] == [VC_V2_CONTEXT, HURONG_CONTEXT]
    assert doc["type"] == ["VerifiableCredential", "ElectronicLicense"]
    assert doc["credentialSubject"]["type"] == kind.class_name
    assert doc["credentialSubject"]["certificateType"] == code
    assert "proof" not in doc
    for name, value in LICENCES[code]["fields"].items():
        assert doc["credentialSubject"][name] == value
    assert json.loads(json.dumps(doc, ensure_ascii=False)) == doc


def test_credential_has_the_documented_shape() -> None:
    doc = build(licence("business_licence"), credential_id="4f1c0b7e-7d1a-4b5e-9a51-3c2f1e0d9b8a")
    assert list(doc) == [
        "@context",
        "id",
        "type",
        "issuer",
        "validFrom",
        "validUntil",
        "credentialSubject",
        "credentialStatus",
    ]
    assert doc["id"] == "urn:uuid:4f1c0b7e-7d1a-4b5e-9a51-3c2f1e0d9b8a"
    assert doc["issuer"] == {"id": f"did:pkh:eip155:31337:{ISSUER}", "name": "上海市市场监督管理局"}
    assert doc["credentialStatus"] == {
        "id": f"eip155:31337:{REGISTRY}",
        "type": "HurongRegistryStatus",
        "chainId": 31337,
        "registry": REGISTRY,
    }
    assert list(doc["credentialSubject"])[:7] == [
        "type",
        "licenceNumber",
        "certificateType",
        "holderName",
        "holderId",
        "issuingProvince",
        "issuingRegion",
    ]


def test_credential_without_registry_has_no_status_and_a_fresh_uuid4() -> None:
    first = build(licence("driving_licence"), registry=None)
    second = build(licence("driving_licence"), registry=None)
    assert "credentialStatus" not in first
    assert first["id"] != second["id"]
    assert uuid.UUID(first["id"].removeprefix("urn:uuid:")).version == 4


def test_credential_id_accepts_a_urn_and_lowercases_it() -> None:
    doc = build(licence("driving_licence"), credential_id="urn:uuid:4F1C0B7E-7D1A-4B5E-9A51-3C2F1E0D9B8A")
    assert doc["id"] == "urn:uuid:4f1c0b7e-7d1a-4b5e-9a51-3c2f1e0d9b8a"
    assert refused(build, licence("driving_licence"), credential_id="not-a-uuid") == {"/id": "invalid_credential_id"}


def test_addresses_are_checksummed_and_bad_ones_refused() -> None:
    doc = build(licence("business_licence"), issuer_address=ISSUER.lower(), registry=REGISTRY.lower())
    assert doc["issuer"]["id"].endswith(ISSUER)
    assert doc["credentialStatus"]["registry"] == REGISTRY
    wrong_case = ISSUER[:2] + ISSUER[2:].swapcase()
    assert refused(build, licence("business_licence"), issuer_address=wrong_case) == {
        "/issuer/id": "address_not_checksummed"
    }
    assert refused(build, licence("business_licence"), issuer_address="0x1234") == {"/issuer/id": "invalid_address"}
    assert refused(build, licence("business_licence"), registry="registry") == {
        "/credentialStatus/registry": "invalid_address"
    }
    assert refused(build, licence("business_licence"), chain_id=0) == {"/issuer/id": "invalid_chain_id"}
    assert refused(build, licence("business_licence"), chain_id=True) == {"/issuer/id": "invalid_chain_id"}


def test_dates_are_normalised_to_utc_seconds() -> None:
    data = licence("business_licence")
    data["validFrom"] = datetime(2026, 1, 1, 8, 0, 0, 999_999, tzinfo=timezone(timedelta(hours=8)))
    data["validUntil"] = "2031-12-31T23:59:59.5+08:00"
    doc = build(data)
    assert doc["validFrom"] == "2026-01-01T00:00:00Z"
    assert doc["validUntil"] == "2031-12-31T15:59:59Z"
    record = LicenceData.from_dict(licence("business_licence") | {"validFrom": datetime(2026, 1, 1, tzinfo=UTC)})
    assert record.valid_from == "2026-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("validFrom", "2026-01-01", "invalid_datetime"),
        ("validFrom", "2026-02-30T00:00:00Z", "invalid_datetime"),
        ("validFrom", datetime(2026, 1, 1), "invalid_datetime"),
        ("validFrom", 1767225600, "invalid_type"),
        ("validUntil", "2020-01-01T00:00:00Z", "validity_period_inverted"),
        ("validUntil", "2026-01-01T00:00:00Z", "validity_period_inverted"),
    ],
)
def test_licence_data_refuses_bad_validity(field: str, value: Any, code: str) -> None:
    data = licence("business_licence") | {field: value}
    pointer = "/validUntil" if code == "validity_period_inverted" else f"/{field}"
    assert refused(LicenceData.from_dict, data) == {pointer: code}


def test_licence_data_from_snake_case_and_flat_fields() -> None:
    sample = licence("degree_certificate")
    flat = {
        "licence_number": sample["licenceNumber"],
        "certificate_type": sample["certificateType"],
        "holder_name": sample["holderName"],
        "holder_id": sample["holderId"],
        "issuing_province": sample["issuingProvince"],
        "valid_from": sample["validFrom"],
        "valid_until": sample["validUntil"],
        **sample["fields"],
    }
    assert build(flat, credential_id=str(uuid.UUID(int=1))) == build(sample, credential_id=str(uuid.UUID(int=1)))
    typed = LicenceData(
        licence_number=sample["licenceNumber"],
        certificate_type="degree_certificate",
        holder_name=sample["holderName"],
        holder_id=sample["holderId"],
        issuing_province="310000",
        valid_from=datetime(2025, 6, 30, tzinfo=UTC),
        valid_until="2125-06-30T00:00:00Z",
        fields=sample["fields"],
    )
    assert build(typed, credential_id=str(uuid.UUID(int=1))) == build(sample, credential_id=str(uuid.UUID(int=1)))


def test_licence_data_refuses_missing_reserved_and_mistyped_values() -> None:
    data = licence("business_licence")
    del data["holderId"]
    assert refused(LicenceData.from_dict, data) == {"/credentialSubject/holderId": "missing_field"}
    data = licence("business_licence")
    data["fields"]["holderName"] = "别名"
    assert refused(LicenceData.from_dict, data) == {"/credentialSubject/holderName": "reserved_field"}
    data = licence("business_licence") | {"holderName": 42}
    assert refused(LicenceData.from_dict, data) == {"/credentialSubject/holderName": "invalid_type"}
    assert refused(LicenceData.from_dict, ["not", "a", "mapping"]) == {"": "invalid_type"}


def test_builder_does_not_alias_the_callers_fields() -> None:
    data = licence("food_business_licence")
    doc = build(data)
    data["fields"]["businessItems"].append("散装食品销售")
    assert "散装食品销售" not in doc["credentialSubject"]["businessItems"]


CHINESE_TEXTS = [
    "𠀀",  # U+20000, CJK Extension B: four UTF-8 bytes, a surrogate pair in UTF-16
    "陈𠀀明",
    "𪚥𰻞𰻞面馆",  # Extension B and G characters
    "阿依古丽·买买提 Ayguli Mamat ئايگۈل مامات",  # Han, Latin and Uyghur Arabic script
    "བཀྲ་ཤིས་བདེ་ལེགས།",  # Tibetan
    "ᠪᠠᠲᠤ",  # traditional Mongolian
    "Zoë 张（e\u0301 decomposed）",  # a combining accent that must not be normalised
    "全角，标点；“引号”『』【】〔〕——……",
]


@pytest.mark.parametrize("text", CHINESE_TEXTS)
def test_chinese_text_round_trips_exactly(text: str) -> None:
    data = licence("business_licence")
    data["holderName"] = text
    data["fields"]["legalRepresentative"] = text
    data["fields"]["address"] = f"上海市{text}路1号"
    doc = build(data)
    subject = doc["credentialSubject"]
    assert subject["holderName"] == text
    assert subject["legalRepresentative"] == text
    for encoded in (json.dumps(doc, ensure_ascii=False), json.dumps(doc), rfc8785.dumps(doc).decode("utf-8")):
        assert json.loads(encoded) == doc
    canonical = rfc8785.dumps(doc)
    assert text.encode("utf-8") in canonical
    validate_credential(json.loads(canonical))


def test_rare_character_is_four_utf8_bytes_in_canonical_form() -> None:
    data = licence("driving_licence")
    doc = build(data)
    assert "陈𠀀明".encode() == b"\xe9\x99\x88\xf0\xa0\x80\x80\xe6\x98\x8e"
    assert b"\xe9\x99\x88\xf0\xa0\x80\x80\xe6\x98\x8e" in rfc8785.dumps(doc)


def test_certificate_types_list_codes_classes_and_chinese_names() -> None:
    listed = {t.code: (t.class_name, t.name, t.holder_id) for t in certificate_types()}
    assert listed == {
        "business_licence": ("BusinessLicence", "营业执照", "uscc"),
        "food_business_licence": ("FoodBusinessLicence", "食品经营许可证", "uscc"),
        "physician_certificate": ("PhysicianCertificate", "医师执业证书", "resident_id"),
        "driving_licence": ("DrivingLicence", "机动车驾驶证", "resident_id"),
        "degree_certificate": ("DegreeCertificate", "学位证书", "resident_id"),
    }
    assert refused(certificate_type, "fishing_licence") == {
        "/credentialSubject/certificateType": "unknown_certificate_type"
    }


@pytest.mark.parametrize("kind", certificate_types(), ids=lambda t: t.code)
def test_schemas_are_valid_2020_12_and_match_their_type(kind: Any) -> None:
    schema = kind.schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(f"/{kind.code}.json")
    assert schema["title"] == kind.name
    assert schema["additionalProperties"] is False
    assert schema["properties"]["type"]["const"] == kind.class_name
    assert schema["properties"]["certificateType"]["const"] == kind.code
    expected_format = {"uscc": "gb32100-uscc", "resident_id": "gb11643-resident-id"}[kind.holder_id]
    assert schema["properties"]["holderId"]["format"] == expected_format
    for name, spec in schema["properties"].items():
        assert spec.get("title"), f"{kind.code}.{name} has no title"
    assert (ROOT / "ledger" / "certificates" / "schemas" / kind.schema_file).is_file()


def test_envelope_schema_and_schema_files_are_exactly_the_known_types() -> None:
    Draft202012Validator.check_schema(load_schema("envelope"))
    folder = ROOT / "ledger" / "certificates" / "schemas"
    assert {p.stem for p in folder.glob("*.json")} == {t.code for t in certificate_types()} | {"_envelope"}
    with pytest.raises(CertificateValidationError):
        load_schema("fishing_licence")


def test_load_context_serves_both_bundled_contexts_and_nothing_else() -> None:
    v2 = load_context(VC_V2_CONTEXT)
    ours = load_context(HURONG_CONTEXT)
    assert v2["@context"]["@protected"] is True
    assert ours["@context"]["@protected"] is True
    ours["@context"]["mutated"] = True
    assert "mutated" not in load_context(HURONG_CONTEXT)["@context"]
    with pytest.raises(LedgerValueError):
        load_context("https://example.com/context.jsonld")
    assert set(CONTEXT_FILES) == {VC_V2_CONTEXT, HURONG_CONTEXT}


def test_bundled_v2_context_is_the_w3c_file_shipped_on_npm() -> None:
    shipped = ROOT / "node_modules" / "@digitalbazaar" / "credentials-context" / "contexts" / "v2.jsonld"
    bundled = ROOT / "ledger" / "certificates" / "contexts" / "credentials-v2.jsonld"
    assert json.loads(bundled.read_text(encoding="utf-8")) == json.loads(shipped.read_text(encoding="utf-8"))

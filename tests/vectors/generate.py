"""Writes the shared test vectors (`tests/vectors/*.json`) from the pure-Python reference.

    HURONG_NATIVE=0 .venv/bin/python -m tests.vectors.generate

(`HURONG_NATIVE=0`: `validation.json` is written by `validate_credential` and the GB checks running the reference.)

Documents are salted with fixed salts, so every field hash, digest, root and proof is reproducible; the files
are ASCII JSON (lone surrogates, NaN and the infinities written as Python's `json` writes them).
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

from ledger.certificates import hashing, reference
from ledger.errors import LedgerError

HERE = Path(__file__).parent
SUITES = ("default", "sm")

LICENCE: dict[str, Any] = json.loads((HERE.parents[1] / "examples" / "licences.json").read_text("utf-8"))[1]

DOCUMENTS: dict[str, dict[str, Any]] = {
    "licence": LICENCE,
    "non_bmp": {"name": "张𠀀三", "emoji": "😀👩‍👩‍👧", "tangut": "𗀀", "𠮷": "key outside the BMP"},
    "combining_marks": {"nfc": "é", "nfd": "e\u0301", "hangul": "\u1112\u1161\u11ab", "zwj": "a\u200db"},
    "control_characters": {"c0": "".join(chr(i) for i in range(0x20)), "del": "\x7f", "c1": "\x80\x9f"},
    "escapes": {"quote": '"', "backslash": "\\", "slash": "/", "short": "\b\f\n\r\t", "unicode_escape": "\\u0041"},
    "pointer_escapes": {"a/b": 1, "m~n": 2, "~1": 3, "": 4, " ": 5, "x": {"/": {"~": "deep"}}, "\n": "newline key"},
    "numbers": {
        "zero": 0,
        "negative_zero": -0.0,
        "e21": 1e21,
        "e20": 1e20,
        "smallest": 5e-324,
        "largest": 1.7976931348623157e308,
        "e_minus_7": 1.5e-7,
        "e_minus_6": 0.000001,
        "decimal": 123.456,
        "negative": -1.5,
        "max_safe": 2**53 - 1,
        "min_safe": -(2**53) + 1,
        "float_2_53": 9007199254740992.0,
        "float_int": 4.0,
        "third": 1 / 3,
        "large_mantissa": 1.2345678901234568e20,
        "e16": 1e16,
        "e_minus_5": 1.5e-5,
        "halfway_to_even": 70368744177664.12,
    },
    "literals": {"t": True, "f": False, "n": None, "list": [None, True, 0, "", []], "empty": {}, "also_empty": []},
    "nested_arrays": {"matrix": [[1, 2], [3, [4, {"k": [5]}]]], "objects": [{"a": 1}, {"a": 2}]},
    "proof_only_at_top": {"proof": {"ignored": True}, "inner": {"proof": "hashed: not at the top"}},
}

# A document the reference refuses, and why (`salt_fields`).
REFUSED: dict[str, dict[str, Any]] = {
    "int_2_53": {"n": 2**53},
    "int_2_53_plus_1": {"n": 2**53 + 1},
    "int_minus_2_53": {"n": -(2**53)},
    "int_2_64": {"n": 2**64},
    "nan": {"n": float("nan")},
    "infinity": {"n": float("inf")},
    "minus_infinity": {"n": float("-inf")},
    "lone_surrogate_value": {"s": "a\ud800b"},
    "lone_surrogate_key": {"a\udfff": "x"},
    "later_error_wins_nothing": {"a": "fine", "b": float("nan"), "c": 2**60},
    "no_fields": {"empty": {}, "proof": {"x": 1}},
    "not_an_object": ["a list"],  # type: ignore[dict-item]
}

# (document, pointers to hide) for selective disclosure.
REDACTIONS: dict[str, tuple[dict[str, Any], list[str]]] = {
    "hide_a_field": (LICENCE, ["/holderName"]),
    "hide_an_object": (LICENCE, ["/fields"]),
    "hide_array_elements": ({"list": ["a", "b", "c", "d"], "keep": 1}, ["/list/0", "/list/3"]),
    "hide_the_last_elements": ({"list": ["a", "b", "c"], "keep": 1}, ["/list/1", "/list/2"]),
    "salted_nulls_stay": ({"list": [None, "b", None], "keep": None}, ["/list/1"]),
    "hide_everything_but_one": ({"a": 1, "b": {"c": [1, 2]}, "d": "x"}, ["/b", "/d"]),
    "hide_everything": ({"a": 1, "b": [2]}, ["/a", "/b"]),
}


def salts_for(name: str, count: int) -> list[str]:
    return [hashlib.sha256(f"{name}/{i}".encode()).hexdigest()[:32] for i in range(count)]


def error_of(exc: BaseException) -> dict[str, str]:
    return {"type": type(exc).__name__, "message": str(exc)}


def field_count(document: Any) -> int:
    try:
        return len(list(hashing.iter_fields(document)))
    except LedgerError:
        return 0


def salted(name: str, suite: str, document: dict[str, Any]) -> dict[str, Any]:
    count = field_count(document)
    salts = iter(salts_for(name, count))
    case: dict[str, Any] = {"name": name, "suite": suite, "document": document, "salts": salts_for(name, count)}
    try:
        by_pointer, digest = reference.salt_fields(document, suite, salt=lambda: next(salts))
    except (LedgerError, ValueError) as exc:
        case["error"] = error_of(exc)
        return case
    case["fields"] = [
        [pointer, by_pointer[pointer], reference.field_hash(suite, by_pointer[pointer], pointer, value).hex()]
        for pointer, value in hashing.iter_fields(document)
    ]
    case["digest"] = digest.hex()
    return case


def wrap(name: str, suite: str, document: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    salts = iter(salts_for(name, field_count(document)))
    by_pointer, digest = reference.salt_fields(document, suite, salt=lambda: next(salts))
    wrapped = copy.deepcopy(document)
    wrapped["proof"] = {"suite": suite, "salts": by_pointer, "obfuscated": [], "digest": "0x" + digest.hex()}
    return wrapped, digest


def disclosed(name: str, document: dict[str, Any]) -> dict[str, Any]:
    try:
        digest = reference.recompute_digest(document)
    except (LedgerError, ValueError) as exc:
        return {"name": name, "document": document, "error": error_of(exc)}
    return {"name": name, "document": document, "digest": digest.hex()}


def disclosure_cases() -> list[dict[str, Any]]:
    cases = []
    for suite in SUITES:
        for name, (document, hidden) in REDACTIONS.items():
            wrapped, _ = wrap(name, suite, document)
            cases.append(disclosed(f"{name}/{suite}/wrapped", wrapped))
            cases.append(disclosed(f"{name}/{suite}/redacted", hashing.redact(wrapped, hidden)))
    wrapped, _ = wrap("broken", "default", {"a": 1, "b": "x", "list": ["y", None]})

    def broken(change: str, edit: Any) -> None:
        doc = copy.deepcopy(wrapped)
        edit(doc)
        cases.append(disclosed(f"broken/{change}", doc))

    broken("field_added", lambda d: d.update(c=2))
    broken("field_removed", lambda d: d.pop("b"))
    broken("null_placeholder_without_salt", lambda d: d["list"].append(None))
    broken("salt_with_final_newline", lambda d: d["proof"]["salts"].update({"/a": d["proof"]["salts"]["/a"] + "\n"}))
    broken("salt_uppercase", lambda d: d["proof"]["salts"].update({"/a": d["proof"]["salts"]["/a"].upper()}))
    broken("salt_not_a_string", lambda d: d["proof"]["salts"].update({"/a": 1}))
    broken("salts_not_an_object", lambda d: d["proof"].update(salts=[]))
    broken("obfuscated_not_hex", lambda d: d["proof"].update(obfuscated=["0x12"]))
    broken("obfuscated_with_final_newline", lambda d: d["proof"].update(obfuscated=["0x" + "ab" * 32 + "\n"]))
    broken("obfuscated_not_a_list", lambda d: d["proof"].update(obfuscated="0x"))
    broken("no_proof", lambda d: d.pop("proof"))
    broken("proof_not_an_object", lambda d: d.update(proof="x"))
    broken("suite_missing", lambda d: d["proof"].pop("suite"))
    broken("suite_unknown", lambda d: d["proof"].update(suite="md5"))
    broken("suite_not_a_string", lambda d: d["proof"].update(suite=1))
    broken("value_not_canonical", lambda d: d.update(a=float("nan")))
    broken("value_changed", lambda d: d.update(a=2))
    broken("no_fields", lambda d: [d.pop(k) for k in ("a", "b", "list")] and d["proof"].update(salts={}))
    return cases


def scalar_cases() -> list[dict[str, Any]]:
    values: list[Any] = [None, True, False, "", "张", "\ud800", 0, -0.0, 1, -1, 2**53 - 1, 2**53, 2**53 + 1]
    values += [-(2**53) + 1, -(2**53), 2**64, 1e21, 1e-7, 5e-324, 0.1, 1e300, float("nan"), float("inf")]
    values += [float("-inf"), 9007199254740993.0, 1.7976931348623157e308, 2.2250738585072014e-308, 70368744177664.12]
    cases = []
    for value in values:
        try:
            cases.append({"value": value, "canonical": reference.canonical_scalar(value)})
        except (LedgerError, ValueError) as exc:
            cases.append({"value": value, "error": error_of(exc)})
    return cases


def merkle_cases() -> list[dict[str, Any]]:
    cases = []
    for n in [*range(1, 21), 31, 32, 33, 64, 100]:
        digests = [hashlib.sha256(f"leaf {n}/{i}".encode()).digest() for i in range(n)]
        tree = reference.MerkleTree(digests)
        subsets = [digests[:1], digests[::3], digests[-2:], digests] if n > 1 else [digests]
        multi = []
        for subset in subsets:
            leaves, proof, flags = tree.multi_proof(subset)
            multi.append({"of": [d.hex() for d in subset], "digests": [d.hex() for d in leaves],
                          "proof": [h.hex() for h in proof], "flags": list(flags)})  # fmt: skip
        cases.append({
            "digests": [d.hex() for d in digests],
            "leaves": [reference.leaf_hash(d).hex() for d in digests],
            "root": tree.root.hex(),
            "order": [d.hex() for d in tree.digests()],
            "proofs": [[h.hex() for h in tree.proof(d)] for d in digests],
            "multi_proofs": multi,
        })  # fmt: skip
    return cases


VALIDATION_TYPES = ("business_licence", "food_business_licence", "physician_certificate", "driving_licence",
                    "degree_certificate")  # fmt: skip
DELETE = object()


def _base(code: str) -> dict[str, Any]:
    from ledger.certificates import build_credential
    from tests.ledger.certificates.samples import CHAIN_ID, ISSUER, REGISTRY, licence

    return build_credential(licence(code), issuer_address=ISSUER, chain_id=CHAIN_ID, issuer_name="上海市市场监督管理局",
                            registry=REGISTRY, credential_id="0f8e2a4c-1b3d-4e5f-8a9b-0c1d2e3f4a5b")  # fmt: skip


def _edited(document: dict[str, Any], edits: dict[str, Any]) -> dict[str, Any]:
    """`document` with each edit applied: a `/`-separated path (no escapes) set to a value, or removed."""
    out = copy.deepcopy(document)
    for path, value in edits.items():
        *parents, last = path.strip("/").split("/")
        target: Any = out
        for token in parents:
            target = target[int(token)] if isinstance(target, list) else target[token]
        if value is DELETE:
            del target[last]
        elif isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return out


#: Edits of the valid sample of a type, each refused for one or more codes (or still valid).
DOCUMENT_EDITS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "missing_fields",
        "business_licence",
        {"/id": DELETE, "/validFrom": DELETE, "/credentialSubject/holderId": DELETE},
    ),
    ("unexpected_fields", "business_licence", {"/extra": 1, "/issuer/x~y": "z", "/credentialSubject/额外": True}),
    (
        "wrong_types",
        "physician_certificate",
        {"/validFrom": 20240901, "/issuer": "机关", "/credentialSubject/holderName": []},
    ),
    ("bad_context", "business_licence", {"/@context": ["https://www.w3.org/ns/credentials/v2"]}),
    ("bad_type_list", "business_licence", {"/type": ["VerifiableCredential"]}),
    ("bad_id", "business_licence", {"/id": "urn:uuid:0F8E2A4C-1B3D-4E5F-8A9B-0C1D2E3F4A5B"}),
    ("id_with_final_newline", "business_licence", {"/id": "urn:uuid:0f8e2a4c-1b3d-4e5f-8a9b-0c1d2e3f4a5b\n"}),
    ("issuer_did", "business_licence", {"/issuer/id": "did:pkh:eip155:0:0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"}),
    (
        "issuer_not_checksummed",
        "business_licence",
        {"/issuer/id": "did:pkh:eip155:31337:0x15d34aaf54267db7d7c367839aaf71a00a2c6a65"},
    ),
    ("issuer_name_spaces", "business_licence", {"/issuer/name": " 上海市市场监督管理局"}),
    ("issuer_name_empty", "business_licence", {"/issuer/name": ""}),
    ("issuer_name_long", "business_licence", {"/issuer/name": "局" * 201}),
    ("name_ideographic_space", "business_licence", {"/credentialSubject/holderName": "上海浦江科技\u3000"}),
    ("datetime_bad", "business_licence", {"/validFrom": "2026-02-30T00:00:00Z", "/validUntil": "2026-01-01 00:00:00"}),
    ("datetime_offset", "business_licence", {"/validFrom": "2026-01-01T08:00:00+08:00"}),
    ("datetime_hour_24", "business_licence", {"/validUntil": "2046-12-31T24:00:00Z"}),
    ("datetime_out_of_range", "business_licence", {"/validFrom": "1899-12-31T23:59:59Z"}),
    ("period_inverted", "business_licence", {"/validUntil": "2025-01-01T00:00:00Z"}),
    (
        "status_entry",
        "business_licence",
        {"/credentialStatus/id": "eip155:1:0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0", "/credentialStatus/chainId": 1},
    ),
    ("status_chain_range", "business_licence", {"/credentialStatus/chainId": 0}),
    ("status_chain_huge", "business_licence", {"/credentialStatus/chainId": 2**53}),
    ("status_chain_float", "business_licence", {"/credentialStatus/chainId": 31337.0}),
    ("status_chain_bool", "business_licence", {"/credentialStatus/chainId": True}),
    ("status_type", "business_licence", {"/credentialStatus/type": "StatusList2021Entry"}),
    (
        "registry_address",
        "business_licence",
        {"/credentialStatus/registry": "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0"},
    ),
    ("unknown_type", "business_licence", {"/credentialSubject/certificateType": "fishing_licence"}),
    ("type_not_string", "business_licence", {"/credentialSubject/certificateType": 7}),
    ("uscc_checksum", "business_licence", {"/credentialSubject/holderId": "91310115MA1H7XY230"}),
    ("uscc_characters", "business_licence", {"/credentialSubject/holderId": "91310115MA1H7XY2IO"}),
    ("uscc_chinese", "business_licence", {"/credentialSubject/holderId": "91310115MA1H7XY2统一"}),
    ("uscc_length", "business_licence", {"/credentialSubject/holderId": "91310115MA1H7XY2"}),
    ("uscc_authority", "business_licence", {"/credentialSubject/holderId": "B1310115MA1H7XY23B"}),
    ("uscc_entity", "food_business_licence", {"/credentialSubject/holderId": "9531011500000000X0"}),
    ("uscc_region", "business_licence", {"/credentialSubject/holderId": "91999999MA1H7XY23B"}),
    ("uscc_national", "business_licence", {"/credentialSubject/holderId": "91100000MA1H7XY23B"}),
    ("uscc_number", "business_licence", {"/credentialSubject/holderId": 913101151}),
    ("licence_number", "business_licence", {"/credentialSubject/licenceNumber": "9131011"}),
    ("resident_id_checksum", "physician_certificate", {"/credentialSubject/holderId": "330106198511300421"}),
    ("resident_id_lower_x", "physician_certificate", {"/credentialSubject/holderId": "33010619851130042x"}),
    ("resident_id_format", "physician_certificate", {"/credentialSubject/holderId": "3301061985113004"}),
    (
        "resident_id_fullwidth",
        "physician_certificate",
        {"/credentialSubject/holderId": "３３０１０６１９８５１１３００４２X"},
    ),
    ("resident_id_birth_date", "physician_certificate", {"/credentialSubject/holderId": "330106198502300421"}),
    ("resident_id_future", "physician_certificate", {"/credentialSubject/holderId": "330106209901010421"}),
    ("resident_id_before_1900", "physician_certificate", {"/credentialSubject/holderId": "330106189912310421"}),
    ("resident_id_year_zero", "physician_certificate", {"/credentialSubject/holderId": "330106000001010421"}),
    ("resident_id_region", "physician_certificate", {"/credentialSubject/holderId": "999999198511300421"}),
    ("resident_id_retired", "physician_certificate", {"/credentialSubject/holderId": "110110199001010011"}),
    ("resident_id_permit", "physician_certificate", {"/credentialSubject/holderId": "810000199001010013"}),
    ("driving_number_mismatch", "driving_licence", {"/credentialSubject/licenceNumber": "440305199202290070"}),
    ("driving_classes", "driving_licence", {"/credentialSubject/vehicleClasses": ["C1", "C1", "Z9"]}),
    ("driving_classes_empty", "driving_licence", {"/credentialSubject/vehicleClasses": []}),
    ("driving_classes_many", "driving_licence", {"/credentialSubject/vehicleClasses": ["A1"] * 20}),
    ("province_not_province", "business_licence", {"/credentialSubject/issuingProvince": "310100"}),
    ("province_unknown", "business_licence", {"/credentialSubject/issuingProvince": "990000"}),
    (
        "registry_pattern",
        "business_licence",
        {"/credentialStatus/registry": "0x9fE4", "/credentialSubject/issuingRegion": DELETE},
    ),
    ("province_shape", "business_licence", {"/credentialSubject/issuingProvince": "31000"}),
    ("province_number", "business_licence", {"/credentialSubject/issuingProvince": 310000}),
    ("region_outside", "business_licence", {"/credentialSubject/issuingRegion": "330106"}),
    ("region_unknown", "business_licence", {"/credentialSubject/issuingRegion": "310199"}),
    ("region_historical", "business_licence", {"/credentialSubject/issuingRegion": "310102"}),
    ("date_bad", "business_licence", {"/credentialSubject/establishedOn": "2016-02-30"}),
    ("date_year_zero", "business_licence", {"/credentialSubject/establishedOn": "0000-01-01"}),
    ("degree_pattern", "degree_certificate", {"/credentialSubject/degree": "工学学士学位 "}),
    ("text_zero_width", "business_licence", {"/credentialSubject/holderName": "上海\u200b浦江"}),
    ("text_bidi", "business_licence", {"/credentialSubject/address": "上海\u202e路"}),
    ("text_control", "business_licence", {"/credentialSubject/legalRepresentative": "张\x07三"}),
    ("text_newline_in_line", "business_licence", {"/credentialSubject/holderName": "上海\n浦江"}),
    ("text_newline_in_running_text", "business_licence", {"/credentialSubject/businessScope": "一般项目：\n技术服务"}),
    ("text_tag_character", "business_licence", {"/credentialSubject/holderName": "上海\U000e0041"}),
    ("text_bom", "business_licence", {"/name": "\ufeff营业执照"}),
    (
        "text_kept_marks",
        "degree_certificate",
        {
            "/credentialSubject/holderName": "阿依古丽\u200d·买买提\u200e",
            "/credentialSubject/discipline": "计算机\ufe00",
        },
    ),
    ("text_in_list", "physician_certificate", {"/credentialSubject/practiceScope": ["内科专业", "急救\u2028医学"]}),
    ("non_bmp_name", "driving_licence", {"/credentialSubject/holderName": "陈𠀀𪚥明"}),
    ("lone_surrogate", "business_licence", {"/credentialSubject/holderName": "上海\ud800"}),
    ("nan", "business_licence", {"/credentialSubject/extra": float("nan")}),
    ("description_multiline", "business_licence", {"/description": "第一行\n\t第二行"}),
    ("description_empty", "business_licence", {"/description": ""}),
    ("nested_unexpected", "food_business_licence", {"/credentialSubject/businessItems": ["热食类食品制售", 1, None]}),
    (
        "everything_wrong",
        "physician_certificate",
        {
            "/id": 1,
            "/type": "VerifiableCredential",
            "/validFrom": "",
            "/credentialSubject/holderId": "X",
            "/credentialSubject/x": [1],
            "/credentialSubject/issuingRegion": "999999",
        },
    ),
]
#: The GB checks alone: (function, value, keyword arguments).
CHECK_CASES: list[tuple[str, Any, dict[str, Any]]] = [
    *[
        ("check_resident_id", v, {})
        for v in [
            "11010519491231002X",
            "110105194912310021",
            "11010519491231002x",
            None,
            "１１０１０５１９４９１２３１００２X",
            "110105194902290021",
            "",
            "1" * 19,
        ]
    ],
    ("check_resident_id", "110105209001010011", {"today": "2090-01-01"}),
    ("check_resident_id", "110105209001020011", {"today": "2090-01-01"}),
    *[
        ("check_uscc", v, {})
        for v in [
            "91310000MA1FL8XQ3Y",
            "91310000MA1FL8XQ37",
            "Z1310000MA1FL8XQ37",
            "",
            "91310000MA1FL8XQ3",
            "9131000０MA1FL8XQ37",
            7,
            "9'310000MA1FL8XQ37",
        ]
    ],
    *[
        ("check_province_code", v, {})
        for v in ["310000", "310100", "000000", "230000", "31000", 310000, "３１００００"]
    ],
    *[("check_region_code", v, {}) for v in ["310115", "999999", "31011", ["310115"]]],
    ("check_region_code", "310115", {"province": "330000"}),
    ("check_region_code", "310115", {"province": "310000"}),
    ("check_region_code", "310115", {"province": "310100"}),
    *[("check_text", v, {}) for v in ["张三", "a\tb", "a\u00adb", "\x00", "\u2066x", 5, "ok\U000e01f0"]],
    ("check_text", "a\tb\nc", {"multiline": True}),
]


def validation_cases() -> dict[str, list[dict[str, Any]]]:
    from datetime import date

    from ledger.certificates import CertificateValidationError, native, validate_credential, validation

    assert native.native is None, "write the validation vectors with HURONG_NATIVE=0 (the reference)"
    documents = []
    for code in VALIDATION_TYPES:
        documents.append({"name": f"valid_{code}", "document": _base(code), "problems": []})
    for name, code, edits in DOCUMENT_EDITS:
        document = _edited(_base(code), edits)
        try:
            validate_credential(document)
            problems: list[list[str]] = []
        except CertificateValidationError as exc:
            problems = [[p.pointer, p.code, p.message] for p in exc.problems]
        documents.append({"name": name, "document": document, "problems": problems})
    checks = []
    for function, value, kwargs in CHECK_CASES:
        call = {k: date.fromisoformat(v) if k == "today" else v for k, v in kwargs.items()}
        found = getattr(validation, function)(value, "/at", **call)
        checks.append({"check": function, "value": value, "kwargs": kwargs,
                       "problems": [[p.pointer, p.code, p.message] for p in found]})  # fmt: skip
    return {"documents": documents, "checks": checks}


def main() -> None:
    salting = [salted(name, suite, doc) for suite in SUITES for name, doc in DOCUMENTS.items()]
    salting += [salted(name, "default", doc) for name, doc in REFUSED.items()]
    salting.append(salted("unknown_suite", "md5", {"a": 1}))
    files = {
        "salting.json": salting,
        "disclosure.json": disclosure_cases(),
        "scalars.json": scalar_cases(),
        "merkle.json": merkle_cases(),
        "validation.json": validation_cases(),
    }
    for file, cases in files.items():
        text = json.dumps(cases, indent=1, ensure_ascii=True)
        (HERE / file).write_text(text + "\n", encoding="ascii")
        print(f"{file}: {sum(len(c) for c in cases.values()) if isinstance(cases, dict) else len(cases)} cases")


if __name__ == "__main__":
    main()

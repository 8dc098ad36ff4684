"""The VC 2.0 data-model checks (`ledger.certificates.vc_model`): the safe-mode expansion agrees with jsonld.js's
`safe: true` on the same documents and contexts, and the value rules accept what the standards allow."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.certificates.vc_model import (
    VC_CONTEXT_FILES,
    expansion_problems,
    parse_datetime_stamp,
    vc_problems,
)
from tests.ledger.certificates.test_jsonld import CONTEXTS, credential, expand

V2 = "https://www.w3.org/ns/credentials/v2"
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"


def doc(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "@context": [V2, {"alumniOf": "https://example.org/vocab#alumniOf"}],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:subject", "alumniOf": "同济大学"},
    }
    base.update(changes)
    return base


#: Documents jsonld.js in safe mode accepts (True) or refuses (False).
DOCUMENTS = [
    (doc(), True),
    (credential("business_licence"), True),
    (doc(**{"@context": [V2, EXAMPLES], "type": ["VerifiableCredential", "AnyType"]}), True),
    (doc(evidence=[{"type": "Evidence", "id": "urn:uuid:1"}]), False),  # Evidence: no term for it
    (doc(type=["VerifiableCredential", "Undefined"]), False),
    (doc(credentialSubject={"id": "did:example:s", "undefinedProperty": 1}), False),
    (doc(credentialSubject={"id": "relative", "alumniOf": "x"}), False),
    (doc(**{"@context": [V2, {"id": "https://example.org/id"}]}), False),
    (doc(credentialSubject={"id": "did:example:s", "alumniOf": {"nested": 1}}), False),
    (doc(name={"@value": "校友", "@language": "zh"}), True),
]


def test_safe_mode_expansion_agrees_with_jsonld_js() -> None:
    files = {url: str(CONTEXTS / name) for url, name in VC_CONTEXT_FILES.items()}
    results = expand([d for d, _ in DOCUMENTS], files)
    for (document, accepted), result in zip(DOCUMENTS, results, strict=True):
        assert result["ok"] is accepted, (document, result)
        assert (expansion_problems(document) == []) is accepted, (document, expansion_problems(document))


@pytest.mark.parametrize("tag", ["zh", "zh-Hans-CN", "en-GB-oed", "sgn-BE-FR", "de-CH-1901", "x-private", "ug-Arab"])
def test_well_formed_language_tags_are_accepted(tag: str) -> None:
    assert vc_problems(doc(name={"@value": "名", "@language": tag, "@direction": "rtl"})) == []


@pytest.mark.parametrize("tag", ["zh_CN", "", "-zh", "toolongtag1", "zh--CN", 7])
def test_malformed_language_tags_are_refused(tag: Any) -> None:
    codes = {(p.code, p.pointer) for p in vc_problems(doc(name={"@value": "名", "@language": tag}))}
    assert ("language_value", "/name/@language") in codes


@pytest.mark.parametrize(
    ("value", "good"),
    [
        ("2026-01-01T00:00:00Z", True),
        ("2026-01-01T00:00:00.123+08:00", True),
        ("2026-01-01T00:00:00-14:00", True),
        ("2026-01-01T00:00:00", False),  # no time zone
        ("2026-01-01", False),
        ("2026-13-01T00:00:00Z", False),
        ("2026-01-01T24:00:01Z", False),
        ("2026-01-01T00:00:00+15:00", False),
        (20260101, False),
    ],
)
def test_datetime_stamps_need_a_time_zone_and_a_real_instant(value: Any, good: bool) -> None:
    assert (parse_datetime_stamp(value) is not None) is good


@pytest.mark.parametrize(
    ("resource", "good"),
    [
        ({"digestSRI": "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}, True),
        ({"digestSRI": "sha512-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}, False),  # 32 bytes, not 64
        ({"digestSRI": "md5-1B2M2Y8AsgTpgAmY7PhCfg=="}, False),
        ({"digestMultibase": "uEiBZlVztZpfWHgPyslVv6-UwirFoQoRvW1htfx963sknNA"}, True),
        ({"digestMultibase": "zQmYtUc4iTCbbfVSDNKvtQqrfyezPPnFvE33wFmutw9PBBk"}, True),
        ({"digestMultibase": "uEiBZlVztZpfWHgPyslVv6"}, False),  # truncated digest
        ({"digestMultibase": "mEiBZlVztZpfWHgPyslVv6"}, False),  # base64 with padding: not allowed here
    ],
)
def test_related_resource_digests_are_checked(resource: dict[str, str], good: bool) -> None:
    problems = vc_problems(doc(relatedResource=[{"id": "https://example.org/r", **resource}]))
    assert (problems == []) is good, problems


@pytest.mark.parametrize(
    ("value", "problems"),
    [
        ({"type": "RefreshService", "id": "https://example.org/refresh"}, []),
        ([{"type": ["RefreshService"], "id": "https://example.org/refresh"}], []),
        ({"id": "https://example.org/refresh"}, [("typed_object", "/refreshService/type")]),
        ({"type": "", "id": "https://example.org/refresh"}, [("typed_object", "/refreshService/type")]),
        ([{"type": []}], [("typed_object", "/refreshService/0/type")]),
        ("https://example.org/refresh", [("typed_object", "/refreshService")]),
        ([{"type": "RefreshService"}, 5], [("typed_object", "/refreshService/1")]),
        ({"type": "RefreshService", "id": "relative"}, [("id_url", "/refreshService/id")]),
    ],
)
def test_a_refresh_service_is_a_typed_object_with_a_url_id(value: Any, problems: list[tuple[str, str]]) -> None:
    context = [V2, {"alumniOf": "https://example.org/vocab#alumniOf", "RefreshService": "https://example.org/vocab#R"}]
    found = [(p.code, p.pointer) for p in vc_problems(doc(refreshService=value, **{"@context": context}))]
    assert [f for f in found if not f[0].startswith("jsonld_")] == problems


@pytest.mark.parametrize(
    ("value", "pointer"),
    [("https://example.org/r", "/relatedResource"), (["https://example.org/r"], "/relatedResource/0"),
     ([{"id": "https://example.org/r", "digestSRI": "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}, 7],
      "/relatedResource/1"), (None, None)],
)  # fmt: skip
def test_a_related_resource_that_is_no_object_is_refused(value: Any, pointer: str | None) -> None:
    found = [(p.code, p.pointer) for p in vc_problems(doc(relatedResource=value))]
    assert [f for f in found if not f[0].startswith("jsonld_")] == ([] if pointer is None else [
        ("related_resource", pointer)])  # fmt: skip

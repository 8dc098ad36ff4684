"""Documents of every type are valid JSON-LD: jsonld.js expands them in safe mode with the bundled contexts only.

`tests/js/jsonld_expand.mjs` runs the npm `jsonld` processor (Node 22) with a document loader that serves the
two bundled context files and refuses every other URL, so nothing is fetched from the network. Safe mode turns
every dropped term into an error; compacting the expanded form again must give back the document unchanged.
"""

from __future__ import annotations

import json
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from ledger.certificates import (
    CONTEXT_FILES,
    HURONG_CONTEXT,
    VC_V2_CONTEXT,
    build_credential,
    certificate_types,
    load_context,
)
from ledger.toolchain.compiler import find_project_root, node_executable
from tests.ledger.certificates.samples import CHAIN_ID, ISSUER, LICENCES, REGISTRY, licence

ROOT = find_project_root()
SCRIPT = ROOT / "tests" / "js" / "jsonld_expand.mjs"
CONTEXTS = Path(__file__).resolve().parents[3] / "ledger" / "certificates" / "contexts"
VOCAB = "https://w3id.org/hurong/vocab#"


def expand(documents: list[dict[str, Any]], contexts: dict[str, str] | None = None) -> list[dict[str, Any]]:
    files = contexts or {url: str(CONTEXTS / name) for url, name in CONTEXT_FILES.items()}
    proc = subprocess.run(
        [node_executable(ROOT), str(SCRIPT)],
        input=json.dumps({"contexts": files, "documents": documents}).encode(),
        capture_output=True,
        check=True,
        cwd=ROOT,
        timeout=120,
    )
    output = json.loads(proc.stdout)
    results: list[dict[str, Any]] = output["results"]
    return results


def credential(code: str, *, status: bool = True) -> dict[str, Any]:
    return build_credential(
        licence(code),
        issuer_address=ISSUER,
        chain_id=CHAIN_ID,
        issuer_name="上海市市场监督管理局",
        registry=REGISTRY if status else None,
    )


def proof(**overrides: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "type": "HurongMerkleProof2026",
        "suite": "default",
        "digest": "0x3f2a9c0d8e7b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa998877",
        "salts": {
            "/credentialSubject/holderName": "9f0c1e2d3c4b5a69788796a5b4c3d2e1",
            "/type/1": "00112233445566778899aabbccddeeff",
            "/@context/0": "ffeeddccbbaa99887766554433221100",
        },
        "obfuscated": [
            "0x1b4f0e9869c4f5b0b1c4e2a5a0f9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a39281",
            "0x7c2e5d4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e",
        ],
        "merkleRoot": "0xa1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90",
        "merklePath": [
            "0x0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
            "0x5555aaaa5555aaaa5555aaaa5555aaaa5555aaaa5555aaaa5555aaaa5555aaaa",
            "0x9999888877776666555544443333222211110000ffffeeeeddddccccbbbbaaaa",
        ],
        "chainId": CHAIN_ID,
        "registry": REGISTRY,
        "anchor": {
            "transactionHash": "0x6f8c0b1f4f3e2d1c0b9a89786756453423120f0e0d0c0b0a0908070605040302",
            "blockNumber": 123,
        },
        "signature": {
            "algorithm": "Ed25519",
            "keyId": "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23c5dd9a3a5a1ef0b6a5b8c1d2",
            "value": "kNnY3r2nJ0lE4w8Zq8xv1mD3c3b9x9qS3PZ2l7l8e6w4M1qk9YbW2Qq7JZ8x3eV0a1b2c3d4e5f6g7h8i9j0kA",
        },
    }
    value.update(overrides)
    return value


def wrapped(code: str, **overrides: Any) -> dict[str, Any]:
    doc = credential(code)
    doc["proof"] = proof(**overrides)
    return doc


@cache
def _v2_terms() -> frozenset[str]:
    """Every term the v2 context defines, at the top level or scoped to one of its types (all protected)."""
    context = load_context(VC_V2_CONTEXT)["@context"]
    terms = {k for k in context if not k.startswith("@")}
    for definition in context.values():
        if isinstance(definition, dict) and isinstance(definition.get("@context"), dict):
            terms |= {k for k in definition["@context"] if not k.startswith("@")}
    return frozenset(terms)


def _vocabulary(expanded: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(expanded, list):
        for item in expanded:
            found |= _vocabulary(item)
    elif isinstance(expanded, dict):
        for key, value in expanded.items():
            if key.startswith(VOCAB):
                found.add(key.removeprefix(VOCAB))
            if key == "@type" and isinstance(value, list):
                found |= {t.removeprefix(VOCAB) for t in value if t.startswith(VOCAB)}
            if not (
                isinstance(value, list) and value and isinstance(value[0], dict) and value[0].get("@type") == "@json"
            ):
                found |= _vocabulary(value)
    return found


@pytest.mark.parametrize("code", sorted(LICENCES))
def test_every_type_expands_in_safe_mode_with_no_dropped_term(code: str) -> None:
    documents = [credential(code), credential(code, status=False), wrapped(code)]
    for document, result in zip(documents, expand(documents), strict=True):
        assert result["ok"], json.dumps(result, ensure_ascii=False)
        assert result["compacted"] == document
        subject_terms = set(document["credentialSubject"]) - {"type"}
        assert subject_terms <= _vocabulary(result["expanded"])
        assert document["credentialSubject"]["type"] in _vocabulary(result["expanded"])


def test_proof_and_status_terms_all_expand() -> None:
    document = wrapped("business_licence")
    [result] = expand([document])
    assert result["ok"], result
    found = _vocabulary(result["expanded"])
    assert set(document["proof"]) - {"type"} <= found
    assert {"HurongMerkleProof2026", "HurongRegistryStatus", "ElectronicLicense", "chainId", "registry"} <= found
    graph = result["expanded"][0]["https://w3id.org/security#proof"][0]["@graph"][0]
    assert graph[VOCAB + "salts"] == [{"@type": "@json", "@value": document["proof"]["salts"]}]
    assert [v["@value"] for v in graph[VOCAB + "merklePath"][0]["@list"]] == document["proof"]["merklePath"]
    assert graph[VOCAB + "chainId"] == [{"@type": "http://www.w3.org/2001/XMLSchema#integer", "@value": CHAIN_ID}]


def test_a_proof_without_signature_and_with_empty_lists_expands() -> None:
    document = wrapped("driving_licence", obfuscated=[], merklePath=[])
    del document["proof"]["signature"]
    [result] = expand([document])
    assert result["ok"], result
    assert result["compacted"] == document


def test_chinese_text_survives_expansion_exactly() -> None:
    document = credential("driving_licence")
    document["credentialSubject"]["holderName"] = "陈𠀀明 ئايگۈل"
    [result] = expand([document])
    subject = result["expanded"][0]["https://www.w3.org/2018/credentials#credentialSubject"][0]
    assert subject[VOCAB + "holderName"] == [{"@value": "陈𠀀明 ئايگۈل"}]


@pytest.mark.parametrize(
    ("change", "event"),
    [
        (lambda d: d["credentialSubject"].update(nickname="小张"), "invalid property"),
        (lambda d: d["proof"].update(extra="x"), "invalid property"),
        (lambda d: d["credentialStatus"].update(statusPurpose="revocation"), "invalid property"),
        (lambda d: d["credentialSubject"].update(type="UnknownLicence"), "relative @type reference"),
    ],
)
def test_safe_mode_refuses_undefined_terms(change: Any, event: str) -> None:
    document = wrapped("business_licence")
    change(document)
    [result] = expand([document])
    assert not result["ok"]
    assert result["code"] == "jsonld.ValidationError"
    assert event in {d.get("code") for d in result["details"]}


def test_hurong_terms_are_protected_against_redefinition() -> None:
    document = credential("business_licence")
    document["@context"] = [*document["@context"], {"holderName": "https://example.org/name"}]
    [result] = expand([document])
    assert not result["ok"]
    assert "protected term redefinition" in json.dumps(result)


def test_the_loader_refuses_every_url_but_the_bundled_contexts() -> None:
    document = credential("business_licence")
    document["@context"] = [VC_V2_CONTEXT, "https://w3id.org/security/data-integrity/v2"]
    [result] = expand([document])
    assert not result["ok"]
    assert "not a bundled context" in json.dumps(result)
    only_v2 = {VC_V2_CONTEXT: str(CONTEXTS / CONTEXT_FILES[VC_V2_CONTEXT])}
    [result] = expand([credential("business_licence")], only_v2)
    assert not result["ok"]


def test_hurong_context_defines_every_subject_property_at_top_level() -> None:
    context = load_context(HURONG_CONTEXT)["@context"]
    assert context["@protected"] is True
    for kind in certificate_types():
        assert kind.class_name in context
        for name in kind.schema()["properties"]:
            if name != "type":
                assert name in context, f"{kind.code}.{name} is not defined at the top level of the context"
    assert "ElectronicLicense" in context
    status = context["HurongRegistryStatus"]["@context"]
    assert {"chainId", "registry"} <= set(status)
    proof_terms = context["HurongMerkleProof2026"]["@context"]
    assert set(proof()) - {"type"} <= set(proof_terms)
    for name in ("salts", "anchor", "signature"):
        assert proof_terms[name]["@type"] == "@json"
    assert proof_terms["merklePath"]["@container"] == "@list"


def test_hurong_context_redefines_no_v2_term() -> None:
    context = load_context(HURONG_CONTEXT)["@context"]
    ours = {k for k in context if not k.startswith("@")}
    for definition in context.values():
        if isinstance(definition, dict) and isinstance(definition.get("@context"), dict):
            ours |= {k for k in definition["@context"] if not k.startswith("@")}
    assert not ours & _v2_terms()
    assert {"id", "type", "name", "description"} <= _v2_terms()

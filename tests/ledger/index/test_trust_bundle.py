"""Trust bundles built from a real index of a real chain (anvil): what they hold, their Ed25519 signature, that
any change to them is found, their age, the key file, and bad input refused with a code."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.errors import TrustBundleError
from ledger.index import trust_bundle
from ledger.index.indexer import Indexer
from tests.conftest import World
from tests.ledger import issuing
from tests.ledger.issuing import digest_of, root_of


@pytest.fixture
def indexer(world: World, tmp_path: Path) -> Iterator[Indexer]:
    indexer = Indexer(world.reader, f"sqlite:///{tmp_path / 'index'}.sqlite")
    try:
        yield indexer
    finally:
        indexer.close()


@pytest.fixture
def key(tmp_path: Path) -> trust_bundle.BundleKey:
    return trust_bundle.load_or_create_key(tmp_path / "home")


@pytest.fixture
def issued(world: World, tmp_path: Path, indexer: Indexer) -> list[dict[str, Any]]:
    docs = issuing.issue(world, tmp_path, "sh_amr", issuing.credentials(world, "sh_amr", 3))
    issuing.revoke(world, "sh_amr", docs[1], reason=3)
    indexer.sync()
    return docs


def test_a_bundle_holds_the_anchored_roots_agencies_and_statuses_of_the_index(
    world: World, indexer: Indexer, key: trust_bundle.BundleKey, issued: list[dict[str, Any]]
) -> None:
    bundle = trust_bundle.build(indexer.engine, key, now=1_800_000_000)
    payload = trust_bundle.check(bundle, key.public_document())
    assert payload["format"] == "hurong-trust-bundle/1"
    assert payload["chainId"] == world.deployment.chain_id
    assert payload["registry"] == world.reader.certificates.address
    assert payload["generatedAt"] == 1_800_000_000 and payload["keyId"] == key.key_id
    assert payload["block"]["number"] == indexer.indexed_block
    agency = issuing.agency_of(issued[0])
    roots = {(r["root"], r["agency"]) for r in payload["roots"]}
    assert (root_of(issued[0]), agency) in roots
    by_address = {a["address"]: a for a in payload["agencies"]}
    assert by_address[agency]["status"] == "active" and by_address[agency]["province"] == "310000"
    assert {p["code"] for p in payload["provinces"]} >= {"310000", "330000"}
    revoked = [s for s in payload["statuses"] if s["digest"] == digest_of(issued[1])]
    assert revoked == [{"agency": agency, "digest": digest_of(issued[1]), "status": 2, "reason": 3,
                        "successor": None, "updatedAt": revoked[0]["updatedAt"]}]  # fmt: skip
    assert all(s["digest"] != digest_of(issued[0]) for s in payload["statuses"])
    json.dumps(bundle, ensure_ascii=False)  # plain JSON all through


def test_any_change_to_the_payload_or_signature_is_refused(
    indexer: Indexer, key: trust_bundle.BundleKey, issued: list[dict[str, Any]]
) -> None:
    bundle = trust_bundle.build(indexer.engine, key)
    payload = bundle["payload"]
    value = bundle["signature"]["value"]
    flipped = ("0" if value[0] != "0" else "1") + value[1:]
    changes: list[tuple[str, Any]] = [
        ("statuses", []),
        ("roots", [*payload["roots"], dict(payload["roots"][0], root="0x" + "11" * 32)]),
        ("generatedAt", payload["generatedAt"] + 86_400),
        ("agencies", [dict(payload["agencies"][0], status="suspended"), *payload["agencies"][1:]]),
        ("block", dict(payload["block"], number=payload["block"]["number"] + 1)),
    ]
    tampered_bundles = [
        {"payload": {**payload, name: changed}, "signature": bundle["signature"]} for name, changed in changes
    ]
    tampered_bundles.append({"payload": payload, "signature": dict(bundle["signature"], value=flipped)})
    assert payload["agencies"][0]["status"] == "active"
    for tampered in tampered_bundles:
        with pytest.raises(TrustBundleError) as refused:
            trust_bundle.check(tampered, key.public_document())
        assert refused.value.code == "bad_signature"


def test_a_bundle_signed_with_another_key_is_refused(
    indexer: Indexer, key: trust_bundle.BundleKey, tmp_path: Path, issued: list[dict[str, Any]]
) -> None:
    other = trust_bundle.load_or_create_key(tmp_path / "other-home")
    assert other.public_hex != key.public_hex
    with pytest.raises(TrustBundleError) as refused:
        trust_bundle.check(trust_bundle.build(indexer.engine, other), key.public_hex)
    assert refused.value.code == "bad_signature"


def test_the_age_is_counted_from_generation_and_a_maximum_age_is_enforced(
    indexer: Indexer, key: trust_bundle.BundleKey, issued: list[dict[str, Any]]
) -> None:
    bundle = trust_bundle.build(indexer.engine, key, now=1_800_000_000)
    payload = trust_bundle.check(bundle, key.public_hex, now=1_800_007_200, max_age=7_200)
    assert trust_bundle.age_seconds(payload, 1_800_007_200) == 7_200
    assert trust_bundle.age_seconds(payload, 1_799_999_000) == 0  # a clock behind the service's
    with pytest.raises(TrustBundleError) as refused:
        trust_bundle.check(bundle, key.public_hex, now=1_800_007_201, max_age=7_200)
    assert refused.value.code == "too_old"
    assert "7201 s old" in str(refused.value)


def test_the_key_is_generated_once_private_and_read_back(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = trust_bundle.load_or_create_key(home)
    assert stat.S_IMODE((home / trust_bundle.KEY_FILE).stat().st_mode) == 0o600
    assert trust_bundle.load_or_create_key(home).public_hex == first.public_hex
    assert first.public_document() == {"algorithm": "Ed25519", "keyId": first.key_id, "publicKey": first.public_hex}
    (home / trust_bundle.KEY_FILE).write_text("{not json", encoding="ascii")
    with pytest.raises(TrustBundleError) as refused:
        trust_bundle.load_or_create_key(home)
    assert refused.value.code == "bad_key"


@pytest.mark.parametrize("public_key", [None, 12, "ab" * 31, "zz" * 32, {"publicKey": 12}, {"key": "ab" * 32}, []])
def test_a_malformed_key_is_refused(public_key: Any) -> None:
    with pytest.raises(TrustBundleError) as refused:
        trust_bundle.check({"payload": {}, "signature": {}}, public_key)
    assert refused.value.code == "bad_key"


def test_malformed_bundles_are_refused_with_a_code(
    indexer: Indexer, key: trust_bundle.BundleKey, issued: list[dict[str, Any]]
) -> None:
    good = trust_bundle.build(indexer.engine, key)
    cases: list[tuple[Any, str]] = [
        (None, "bad_bundle"),
        ([], "bad_bundle"),
        ({"payload": good["payload"]}, "bad_bundle"),
        ({**good, "extra": 1}, "bad_bundle"),
        ({"payload": {**good["payload"], "format": "other/1"}, "signature": good["signature"]}, "bad_bundle"),
        ({"payload": {**good["payload"], "generatedAt": "yesterday"}, "signature": good["signature"]}, "bad_bundle"),
        ({"payload": {**good["payload"], "generatedAt": True}, "signature": good["signature"]}, "bad_bundle"),
        (
            {"payload": good["payload"], "signature": {"algorithm": "SM2", "value": good["signature"]["value"]}},
            "bad_signature",
        ),
        ({"payload": good["payload"], "signature": {"algorithm": "Ed25519", "value": "xy" * 64}}, "bad_signature"),
        ({"payload": good["payload"], "signature": {"algorithm": "Ed25519", "value": 5}}, "bad_signature"),
    ]
    for bundle, code in cases:
        with pytest.raises(TrustBundleError) as refused:
            trust_bundle.check(bundle, key.public_hex)
        assert refused.value.code == code, bundle

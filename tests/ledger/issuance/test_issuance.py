"""The issuance pipeline: batching, journal, anchoring, refusals, and recovery after crashes."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ledger.certificates import build_credential
from ledger.certificates.merkle import verify
from ledger.chain.bootstrap import bootstrap, parse_description
from ledger.chain.client import HurongClient
from ledger.chain.node import Anvil
from ledger.issuance.failpoints import EXIT_STATUS
from ledger.issuance.issuer import IssuanceError, Issuer
from ledger.issuance.journal import Journal
from ledger.issuance.store import LocalStore, cid_v1_raw
from tests.conftest import WORLD, World
from tests.ledger.certificates.samples import LICENCES, fresh


def credentials(world_or_client: Any, n: int, kind: str = "business_licence") -> list[dict[str, Any]]:
    client = world_or_client if isinstance(world_or_client, HurongClient) else world_or_client.as_("sh_amr")
    out = []
    for i in range(n):
        licence = fresh(LICENCES[kind]) if kind == "business_licence" else copy.deepcopy(LICENCES[kind])
        licence["validFrom"] = f"2026-01-{1 + i % 28:02d}T00:00:00Z"
        out.append(
            build_credential(
                licence,
                issuer_address=client.address,
                chain_id=client.deployment.chain_id,
                issuer_name="上海市市场监督管理局",
                registry=client.certificates.address,
            )
        )
    return out


def test_issue_batches_hashes_anchors_and_journals(world: World, tmp_path: Path) -> None:
    agency = world.as_("sh_amr")
    journal = Journal(tmp_path / "journal.sqlite")
    store = LocalStore(tmp_path / "store")
    issuer = Issuer(agency, journal, max_batch=40, store=store)
    wrapped = issuer.issue(credentials(world, 100))
    assert len(wrapped) == 100
    roots = [w["proof"]["merkleRoot"] for w in wrapped]
    assert len(set(roots)) == 3  # 40 + 40 + 20
    for doc in wrapped:
        proof = doc["proof"]
        root, digest = bytes.fromhex(proof["merkleRoot"][2:]), bytes.fromhex(proof["digest"][2:])
        assert verify(root, digest, [bytes.fromhex(h[2:]) for h in proof["merklePath"]])
        assert proof["anchor"]["transactionHash"].startswith("0x") and proof["anchor"]["blockNumber"] > 0
        assert proof["chainId"] == 31337 and proof["registry"] == agency.certificates.address
        assert doc["credentialSubject"]["holderName"] == "上海浦江科技有限公司"
    for root in set(roots):
        batch = world.reader.certificates.batch(world.addr("sh_amr"), root)
        assert batch.anchored and batch.count in (40, 20)
    records = journal.batches()
    assert [r.state for r in records] == ["anchored"] * 3 and [r.count for r in records] == [40, 40, 20]
    manifest = json.loads(store.get(records[0].manifest_cid))
    assert manifest["root"] == "0x" + records[0].root.hex() and len(manifest["digests"]) == 40
    assert cid_v1_raw(store.get(records[0].manifest_cid)) == records[0].manifest_cid
    assert journal.counts() == {"anchored": 100}


def test_a_single_bad_credential_refuses_the_whole_request_before_hashing(world: World, tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    issuer = Issuer(world.as_("sh_amr"), journal)
    creds = credentials(world, 3)
    creds[1]["credentialSubject"]["holderId"] = "91310115MA1H7XY23C"  # wrong check character
    creds[2]["credentialSubject"]["certificateType"] = "driving_licence"
    with pytest.raises(IssuanceError) as info:
        issuer.issue(creds)
    codes = {(p["index"], p["pointer"]) for p in info.value.problems}
    assert (1, "/credentialSubject/holderId") in codes
    assert any(p["index"] == 2 for p in info.value.problems)
    assert journal.batches() == []


def test_credentials_of_another_issuer_province_or_ungranted_type_are_refused(world: World, tmp_path: Path) -> None:
    issuer = Issuer(world.as_("sh_pudong"), Journal(tmp_path / "j.sqlite"))
    creds = credentials(world, 1)  # issued in the name of sh_amr
    with pytest.raises(IssuanceError) as info:
        issuer.issue(creds)
    assert info.value.problems[0]["code"] == "issuer_mismatch"
    own = credentials(world.as_("sh_pudong"), 2, "food_business_licence")
    with pytest.raises(IssuanceError) as info:
        issuer.issue(own)
    assert {p["code"] for p in info.value.problems} == {"type_not_granted"}


def test_a_suspended_agency_cannot_issue_and_its_batch_is_journaled_as_failed(world: World, tmp_path: Path) -> None:
    from ledger.issuance.issuer import AnchoringFailed

    journal = Journal(tmp_path / "j.sqlite")
    issuer = Issuer(world.as_("sh_amr"), journal)
    creds = credentials(world, 2)
    world.as_("sh_admin").authorities.suspend_agency(world.addr("sh_amr"), 7).wait()
    with pytest.raises(AnchoringFailed, match="CertificateRegistryAgencyNotActive"):
        issuer.issue(creds)
    assert [b.state for b in journal.batches()] == ["failed"]


def test_the_issuer_turns_a_licence_record_into_its_own_credential(world: World, tmp_path: Path) -> None:
    from ledger.certificates import LicenceData

    agency = world.as_("sh_pudong")
    issuer = Issuer(agency, Journal(tmp_path / "j.sqlite"))
    assert issuer.agency_record.name == "上海市浦东新区市场监督管理局"
    licence = LICENCES["business_licence"]
    credential_id = "urn:uuid:12345678-1234-5678-1234-567812345678"
    made = issuer.credential(licence, credential_id=credential_id)
    assert made == build_credential(
        licence,
        issuer_address=agency.address,
        chain_id=world.deployment.chain_id,
        issuer_name="上海市浦东新区市场监督管理局",
        registry=agency.certificates.address,
        credential_id=credential_id,
    )  # fmt: skip
    assert made["issuer"]["id"] == issuer.did and made["credentialStatus"]["registry"] == issuer.registry
    from_data = issuer.credential(LicenceData.from_dict(licence), credential_id=credential_id)
    assert from_data == made
    assert issuer.credential(made) is made  # already a credential: left as it is
    assert issuer.check([made]) == []
    wrapped = issuer.issue([issuer.credential(licence)])[0]
    assert wrapped["issuer"]["name"] == "上海市浦东新区市场监督管理局"


def test_sm_suite_documents_name_the_suite_and_use_sm3(world: World, tmp_path: Path) -> None:
    from ledger.certificates.hashing import recompute_digest

    issuer = Issuer(world.as_("sh_amr"), Journal(tmp_path / "j.sqlite"), suite="sm")
    doc = issuer.issue(credentials(world, 1))[0]
    assert doc["proof"]["suite"] == "sm"
    assert "0x" + recompute_digest(doc).hex() == doc["proof"]["digest"]


# ----------------------------------------------------------------------------------------- crash recovery


@pytest.fixture
def cli_chain(tmp_path: Path) -> Any:
    with Anvil(accounts=len(WORLD["accounts"]), state=tmp_path / "chain.json") as chain:
        result = bootstrap(parse_description(WORLD), chain.url)
        result.deployment.save(tmp_path / "deployments")
        yield chain, result


def run_issue(chain: Anvil, result: Any, tmp_path: Path, inputs: list[Path], failpoint: str | None = None) -> Any:
    env = {k: v for k, v in os.environ.items() if k != "HURONG_FAILPOINTS"}
    env["HURONG_PRIVATE_KEY"] = result.keys["sh_amr"]
    if failpoint:
        env["HURONG_FAILPOINTS"] = failpoint
    cmd = [sys.executable, "-m", "ledger.cli", "issue", *map(str, inputs), "--out", str(tmp_path / "out"),
           "--journal", str(tmp_path / "journal.sqlite"), "--rpc", chain.url,
           "--deployments", str(tmp_path / "deployments"), "--batch-size", "25"]  # fmt: skip
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)


def anchored_events(client: HurongClient) -> list[Any]:
    event = client.certificates.contract.events.BatchAnchored
    return list(event.get_logs(from_block=0, to_block="latest"))


@pytest.mark.parametrize("failpoint", ["after_journal", "after_send"])
def test_a_crash_at_any_point_loses_nothing_and_anchors_each_batch_once(
    cli_chain: Any, tmp_path: Path, failpoint: str
) -> None:
    chain, result = cli_chain
    client = HurongClient.connect(chain.url, result.deployment, result.keys["sh_amr"])
    licences = tmp_path / "licences.json"
    licences.write_text(json.dumps(credentials(client, 60), ensure_ascii=False), encoding="utf-8")

    crashed = run_issue(chain, result, tmp_path, [licences], failpoint)
    assert crashed.returncode == EXIT_STATUS, crashed.stderr
    journal = Journal(tmp_path / "journal.sqlite")
    states = [b.state for b in journal.batches()]
    assert states == (["prepared"] * 3 if failpoint == "after_journal" else ["sent"] * 3)
    assert not list((tmp_path / "out").glob("*.json"))

    recovered = run_issue(chain, result, tmp_path, [])
    assert recovered.returncode == 0, recovered.stderr
    assert "recovered batch" in recovered.stdout
    assert [b.state for b in journal.batches()] == ["anchored"] * 3
    assert len(list((tmp_path / "out").glob("*.json"))) == 60
    events = anchored_events(client)
    roots = [bytes(e["args"]["root"]) for e in events]
    assert sorted(roots) == sorted(b.root for b in journal.batches())  # each root exactly once
    for batch in journal.batches():
        assert batch.tx_hash and batch.block_number

    again = run_issue(chain, result, tmp_path, [])
    assert again.returncode == 0 and "nothing to issue" in again.stdout
    assert len(anchored_events(client)) == 3


def test_a_chain_that_dies_with_the_transaction_pending_gets_it_sent_again(tmp_path: Path) -> None:
    state = tmp_path / "chain.json"
    with Anvil(accounts=len(WORLD["accounts"]), state=state) as chain:
        result = bootstrap(parse_description(WORLD), chain.url)
        result.deployment.save(tmp_path / "deployments")
        port = chain.port
    # Restart with slow blocks: the anchoring transaction sits in the mempool when the chain is stopped.
    with Anvil(accounts=2, state=state, port=port, block_time=30) as chain:
        client = HurongClient.connect(chain.url, result.deployment, result.keys["sh_amr"])
        licences = tmp_path / "licences.json"
        licences.write_text(json.dumps(credentials(client, 10), ensure_ascii=False), encoding="utf-8")
        crashed = run_issue(chain, result, tmp_path, [licences], "after_send")
        assert crashed.returncode == EXIT_STATUS, crashed.stderr
    journal = Journal(tmp_path / "journal.sqlite")
    assert [b.state for b in journal.batches()] == ["sent"]
    with Anvil(accounts=2, state=state, port=port) as chain:
        client = HurongClient.connect(chain.url, result.deployment, result.keys["sh_amr"])
        assert not client.certificates.is_anchored(result.accounts["sh_amr"], journal.batches()[0].root)
        recovered = run_issue(chain, result, tmp_path, [])
        assert recovered.returncode == 0, recovered.stderr
        assert [b.state for b in journal.batches()] == ["anchored"]
        assert client.certificates.is_anchored(result.accounts["sh_amr"], journal.batches()[0].root)
        assert len(anchored_events(client)) == 1
        assert len(list((tmp_path / "out").glob("*.json"))) == 10


def test_checking_with_native_clearing_reports_what_the_reference_alone_reports(world: World, tmp_path: Path) -> None:
    """`Issuer.check` clears a batch natively before the reference runs on the rest: the same problems, in the same
    order, as the reference run on every credential (a validator other than `validate_credential` is never cleared
    for)."""
    from ledger.certificates import validate_credential
    from ledger.certificates.clearing import cleared_by

    def reference(doc: dict[str, Any]) -> None:
        validate_credential(doc)

    agency = world.as_("sh_amr")
    creds = credentials(world, 40) + credentials(world, 3, "food_business_licence")
    creds[1]["credentialSubject"]["holderName"] = "张\u202e三"
    creds[5]["validUntil"] = creds[5]["validFrom"]
    creds[7]["credentialSubject"]["issuingProvince"] = "330000"
    creds[9]["credentialStatus"]["chainId"] = 1
    creds[11]["issuer"]["name"] = " 机关"
    creds[13]["credentialSubject"]["certificateType"] = "physician_certificate"
    del creds[17]["credentialSubject"]["holderId"]
    creds[19] = {**creds[19], "proof": {}}
    cleared_issuer = Issuer(agency, Journal(tmp_path / "a.sqlite"))
    reference_issuer = Issuer(agency, Journal(tmp_path / "b.sqlite"), validate=reference)
    problems = cleared_issuer.check(creds)
    assert problems == reference_issuer.check(creds)
    assert {p["index"] for p in problems} == {1, 5, 7, 9, 11, 13, 17, 19}
    found = cleared_by(validate_credential, creds)
    assert cleared_by(reference, creds) == [False] * len(creds)
    if any(found):  # the native core clears: every credential the reference passes (a proof is the issuer's concern)
        assert [i for i, f in enumerate(found) if not f] == [1, 5, 7, 9, 11, 13, 17]

"""The verifier on a live chain: certificates issued through the real `Issuer` by the agencies of the `world`,
then tampered with, redacted, signed, revoked, suspended, superseded, out of date, presented in other provinces
and read at older blocks. Every answer is checked check by check (outcome and code), not only by its verdict."""

from __future__ import annotations

import base64
import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ledger.certificates.hashing import redact
from ledger.chain.models import KeyAlgorithm
from ledger.errors import LedgerValueError
from ledger.issuance.issuer import AnchoringFailed
from ledger.keys.signing import generate, sign_root
from ledger.verification.verifier import (
    CHECKS,
    INVALID,
    NOT_IN_GOOD_STANDING,
    NOT_RECOGNIZED,
    VALID,
    VerificationContext,
    VerificationResult,
    Verifier,
)
from tests.conftest import World
from tests.ledger import issuing
from tests.ledger.certificates.samples import uscc
from tests.ledger.issuing import block_time, digest_of

SH, ZJ, GD, BJ = 310000, 330000, 440000, 110000

#: Every check of a valid certificate presented without a context.
ALL_PASSED: dict[str, tuple[str, str]] = {
    "format": ("passed", "ok"),
    "integrity": ("passed", "ok"),
    "inclusion": ("passed", "ok"),
    "anchoring": ("passed", "ok"),
    "issuer": ("passed", "ok"),
    "signature": ("skipped", "unsigned"),
    "status": ("passed", "ok"),
    "validity": ("passed", "ok"),
    "recognition": ("skipped", "no_context"),
}
NOT_ANCHORED = {name: ("skipped", "not_anchored") for name in ("issuer", "signature", "status")}
FORMAT_FAILED = {name: ("skipped", "format_failed") for name in CHECKS[1:]}


def outcomes(result: VerificationResult) -> dict[str, tuple[str, str]]:
    return {c.name: (c.outcome, c.code) for c in result.checks}


def expect(result: VerificationResult, verdict: str, **changes: tuple[str, str]) -> None:
    """`result` has `verdict` and the checks of a valid unsigned certificate but for `changes`."""
    assert [c.name for c in result.checks] == list(CHECKS)
    assert outcomes(result) == {**ALL_PASSED, **changes}
    assert result.verdict == verdict


def standing_of(result: VerificationResult) -> list[tuple[str, str, str]]:
    """(entity, id, status) of each `issuer_not_in_good_standing` warning of `result`."""
    assert all(w.code == NOT_IN_GOOD_STANDING for w in result.warnings)
    return [(w.details["entity"], w.details["id"], w.details["status"]) for w in result.warnings]


def seconds(rfc3339: str) -> int:
    return int(datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp())


@pytest.fixture
def verifier(world: World) -> Verifier:
    return Verifier(world.reader)


def issue(world: World, tmp_path: Path, agency: str = "sh_amr", n: int = 3, **kwargs: Any) -> list[dict[str, Any]]:
    """`n` business licences of `agency` in one batch."""
    return issuing.issue(world, tmp_path, agency, issuing.credentials(world, agency, n), **kwargs)


def grant(world: World, agency: str, code: str) -> None:
    admin = {SH: "sh_admin", ZJ: "zj_admin", GD: "gd_admin"}[
        world.reader.authorities.agency(world.addr(agency)).province
    ]
    world.as_(admin).authorities.grant_certificate_type(world.addr(agency), code).wait()


# ---------------------------------------------------------------------------------------------- valid certificates


@pytest.mark.parametrize(
    ("agency", "code", "granted"),
    [
        ("sh_amr", "business_licence", True),
        ("sh_amr", "food_business_licence", True),
        ("sh_amr", "degree_certificate", False),
        ("sh_pudong", "business_licence", True),
        ("zj_amr", "physician_certificate", False),
        ("gd_amr", "driving_licence", False),
    ],
)
def test_a_certificate_of_every_granted_type_is_valid(
    world: World, verifier: Verifier, tmp_path: Path, agency: str, code: str, granted: bool
) -> None:
    if not granted:
        grant(world, agency, code)
    info = world.reader.authorities.agency(world.addr(agency))
    assert code in info.certificate_types
    docs = issuing.issue(world, tmp_path, agency, issuing.credentials(world, agency, 3, code))
    anchor_block = docs[0]["proof"]["anchor"]["blockNumber"]
    anchored_at = int(world.reader.w3.eth.get_block(anchor_block)["timestamp"])
    head = world.reader.w3.eth.get_block("latest")

    before = int(time.time())
    for doc in docs:
        result = verifier.verify(doc)
        expect(result, VALID)
        hashes = len(doc["proof"]["merklePath"])
        assert hashes in (1, 2)  # three leaves
        assert result.check("inclusion").message_en == f"the Merkle path ({hashes} hashes) leads to the root"
        assert result.check("anchoring").details == {"anchoredAt": anchored_at, "count": 3}
        assert result.check("issuer").details == {
            "agencyName": info.name,
            "province": str(info.province),
            "region": str(info.region),
            "certificateType": code,
        }
        assert result.failed == []
        assert (result.digest, result.issuer) == (doc["proof"]["digest"], world.addr(agency))
        assert (result.issuing_province, result.certificate_type) == (str(info.province), code)
        assert (result.block_number, result.block_hash) == (head["number"], head["hash"].to_0x_hex())
        assert before <= result.checked_at <= int(time.time())
        assert result.context is None
        as_json = result.to_json()
        assert as_json["verdict"] == VALID
        assert as_json["block"] == {"number": head["number"], "hash": head["hash"].to_0x_hex()}
        assert [c["name"] for c in as_json["checks"]] == list(CHECKS)


def test_a_single_certificate_batch_has_an_empty_path(world: World, verifier: Verifier, tmp_path: Path) -> None:
    (doc,) = issue(world, tmp_path, n=1)
    assert doc["proof"]["merklePath"] == []
    result = verifier.verify(doc)
    expect(result, VALID)
    assert result.check("anchoring").details["count"] == 1


# ------------------------------------------------------------------------------------------------------ tampering


@dataclass
class Env:
    world: World
    sibling: dict[str, Any]  # another certificate of the same batch
    other: dict[str, Any]  # a certificate of another batch of the same agency


def _set(pointer: str, value: Any) -> Callable[[dict[str, Any], Env], None]:
    def mutate(doc: dict[str, Any], env: Env) -> None:
        *parents, last = pointer.strip("/").split("/")
        target = doc
        for token in parents:
            target = target[int(token)] if isinstance(target, list) else target[token]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


def _flip(h: str) -> str:
    return h[:-1] + ("0" if h[-1] != "0" else "1")


def _salt(doc: dict[str, Any], env: Env) -> None:
    salts = doc["proof"]["salts"]
    salts["/credentialSubject/holderName"] = _flip(salts["/credentialSubject/holderName"])


def _drop_salt(doc: dict[str, Any], env: Env) -> None:
    del doc["proof"]["salts"]["/credentialSubject/registeredCapital"]


def _path_element(doc: dict[str, Any], env: Env) -> None:
    doc["proof"]["merklePath"][0] = _flip(doc["proof"]["merklePath"][0])


def _path_dropped(doc: dict[str, Any], env: Env) -> None:
    doc["proof"]["merklePath"].pop()


def _path_extended(doc: dict[str, Any], env: Env) -> None:
    doc["proof"]["merklePath"].append(env.sibling["proof"]["digest"])


def _random_root(doc: dict[str, Any], env: Env) -> None:
    doc["proof"]["merkleRoot"] = "0x" + "ab" * 32


def _other_anchored_root(doc: dict[str, Any], env: Env) -> None:
    doc["proof"]["merkleRoot"] = env.other["proof"]["merkleRoot"]


def _random_digest(doc: dict[str, Any], env: Env) -> None:
    doc["proof"]["digest"] = "0x" + "cd" * 32


def _sibling_digest(doc: dict[str, Any], env: Env) -> None:
    doc["proof"]["digest"] = env.sibling["proof"]["digest"]


def _sibling_proof(doc: dict[str, Any], env: Env) -> None:
    doc["proof"] = copy.deepcopy(env.sibling["proof"])


def _issuer_of_other_agency(doc: dict[str, Any], env: Env) -> None:
    doc["issuer"]["id"] = f"did:pkh:eip155:{env.world.deployment.chain_id}:{env.world.addr('sh_pudong')}"


def _added_field(doc: dict[str, Any], env: Env) -> None:
    doc["description"] = "经核验的营业执照"


def _province(doc: dict[str, Any], env: Env) -> None:
    doc["credentialSubject"].update(issuingProvince="330000", issuingRegion="330100")


INTEGRITY = {"integrity": ("failed", "digest_mismatch")}
INCLUSION = {"inclusion": ("failed", "bad_merkle_path")}

TAMPERING: list[tuple[str, Callable[[dict[str, Any], Env], None], dict[str, tuple[str, str]]]] = [
    ("holderName", _set("/credentialSubject/holderName", "上海浦江科技有限公司二"), INTEGRITY),
    ("holderId", _set("/credentialSubject/holderId", uscc(subject="MA1K2L3M4")), INTEGRITY),
    ("licenceNumber", _set("/credentialSubject/licenceNumber", "310115000123456"), INTEGRITY),
    ("registeredCapital", _set("/credentialSubject/registeredCapital", "人民币1亿元"), INTEGRITY),
    ("businessScope", _set("/credentialSubject/businessScope", "一般项目：软件开发。"), INTEGRITY),
    ("establishedOn", _set("/credentialSubject/establishedOn", "2006-05-20"), INTEGRITY),
    ("validFrom", _set("/validFrom", "2025-01-01T00:00:00Z"), INTEGRITY),
    ("validUntil", _set("/validUntil", "2099-12-31T23:59:59Z"), INTEGRITY),
    ("issuer-name", _set("/issuer/name", "浙江省市场监督管理局"), INTEGRITY),
    ("credential-id", _set("/id", "urn:uuid:00000000-0000-4000-8000-000000000000"), INTEGRITY),
    (
        "status-registry",
        _set("/credentialStatus/registry", "0x0000000000000000000000000000000000000001"),
        {"format": ("failed", "schema"), **FORMAT_FAILED},
    ),
    ("issuingProvince", _province, {**INTEGRITY, "issuer": ("failed", "province_mismatch")}),
    (
        "certificateType",
        _set("/credentialSubject/certificateType", "food_business_licence"),
        {"format": ("failed", "schema"), **FORMAT_FAILED},
    ),
    (
        "issuer-id-garbage",
        _set("/issuer/id", "did:web:amr.sh.gov.cn"),
        {"format": ("failed", "bad_issuer"), **FORMAT_FAILED},
    ),
    (
        "issuer-id-other-agency",
        _issuer_of_other_agency,
        {**INTEGRITY, "anchoring": ("failed", "not_anchored"), **NOT_ANCHORED},
    ),
    ("added-field", _added_field, {"integrity": ("failed", "fields_mismatch")}),
    ("salt", _salt, INTEGRITY),
    ("salt-dropped", _drop_salt, {"integrity": ("failed", "fields_mismatch")}),
    ("suite", _set("/proof/suite", "sm"), INTEGRITY),
    ("path-element", _path_element, INCLUSION),
    ("path-dropped", _path_dropped, INCLUSION),
    ("path-extended", _path_extended, INCLUSION),
    ("root-random", _random_root, {**INCLUSION, "anchoring": ("failed", "not_anchored"), **NOT_ANCHORED}),
    ("root-of-other-batch", _other_anchored_root, INCLUSION),
    ("digest-random", _random_digest, {**INTEGRITY, **INCLUSION}),
    ("digest-of-sibling", _sibling_digest, {**INTEGRITY, **INCLUSION}),
    ("proof-of-sibling", _sibling_proof, INTEGRITY),
    ("chain-id", _set("/proof/chainId", 1), {"anchoring": ("failed", "wrong_chain"), **NOT_ANCHORED}),
    (
        "registry",
        _set("/proof/registry", "0x0000000000000000000000000000000000000001"),
        {"anchoring": ("failed", "wrong_registry"), **NOT_ANCHORED},
    ),
]


@pytest.mark.parametrize(("mutate", "changes"), [(m, c) for _, m, c in TAMPERING], ids=[n for n, *_ in TAMPERING])
def test_tampering_is_caught_by_the_right_check(
    world: World,
    verifier: Verifier,
    tmp_path: Path,
    mutate: Callable[[dict[str, Any], Env], None],
    changes: dict[str, tuple[str, str]],
) -> None:
    doc, sibling, _ = issue(world, tmp_path)
    (other,) = issue(world, tmp_path, n=1)
    expect(verifier.verify(doc), VALID)
    tampered = copy.deepcopy(doc)
    mutate(tampered, Env(world, sibling, other))
    assert tampered != doc
    result = verifier.verify(tampered, VerificationContext(ZJ))
    expect(result, INVALID, **{"recognition": ("skipped", "invalid"), **changes})
    assert sorted(result.failed) == sorted(name for name, (outcome, _) in changes.items() if outcome == "failed")
    expect(verifier.verify(doc), VALID)  # the original is untouched


# --------------------------------------------------------------------------------------------------------- issuer


def test_agency_suspended_after_anchoring_keeps_its_certificates_valid(
    world: World, verifier: Verifier, tmp_path: Path
) -> None:
    sh_doc = issue(world, tmp_path, n=2)[0]
    pudong_doc = issue(world, tmp_path, "sh_pudong", n=2)[0]
    assert verifier.verify(sh_doc).warnings == verifier.verify(pudong_doc).warnings == ()
    world.advance(60)
    before = world.reader.w3.eth.block_number
    world.as_("sh_admin").authorities.suspend_agency(world.addr("sh_amr"), 7).wait()
    assert not world.reader.authorities.is_active(world.addr("sh_pudong"))  # its parent is suspended

    for doc in (sh_doc, pudong_doc):
        expect(verifier.verify(doc), VALID)
        expect(verifier.verify(doc, VerificationContext(ZJ)), VALID, recognition=("passed", "rule"))
    # ...with a warning naming who is no longer in good standing: the agency itself, or a parent
    sh_amr = world.addr("sh_amr")
    assert standing_of(verifier.verify(sh_doc)) == [("agency", sh_amr, "suspended")]
    assert standing_of(verifier.verify(pudong_doc)) == [("parent", sh_amr, "suspended")]
    (warning,) = verifier.verify(pudong_doc).to_json()["warnings"]
    assert warning["code"] == NOT_IN_GOOD_STANDING and warning["details"]["name"] == "上海市市场监督管理局"
    assert "suspended today" in warning["messageEn"] and "暂停" in warning["message"]
    # today's standing, even asked about a block before the suspension
    assert standing_of(verifier.verify(sh_doc, block=before)) == [("agency", sh_amr, "suspended")]
    assert verifier.verify(sh_doc, block=before).verdict == VALID

    # anchoring while suspended is refused on chain, so no later certificate exists
    for agency in ("sh_amr", "sh_pudong"):
        with pytest.raises(AnchoringFailed) as info:
            issue(world, tmp_path, agency, n=1)
        assert info.value.cause.error_name == "CertificateRegistryAgencyNotActive"  # type: ignore[attr-defined]


def test_province_suspended_after_anchoring_keeps_its_certificates_valid(
    world: World, verifier: Verifier, tmp_path: Path
) -> None:
    doc = issue(world, tmp_path, "zj_amr", n=1)[0]
    world.advance(60)
    consortium = world.reader.consortium
    world.govern(consortium.address, consortium.encode("suspendProvince", ZJ), voters=("sh_admin", "gd_admin"))
    assert not world.reader.consortium.is_province_active(ZJ)
    expect(verifier.verify(doc), VALID)
    expect(verifier.verify(doc, VerificationContext(ZJ)), VALID, recognition=("passed", "same_province"))


def test_a_province_suspended_or_removed_by_vote_is_named_in_a_warning(
    world: World, verifier: Verifier, tmp_path: Path
) -> None:
    doc = issue(world, tmp_path, "zj_amr", n=1)[0]
    assert verifier.verify(doc).warnings == ()
    world.advance(60)
    consortium = world.reader.consortium
    voters = ("sh_admin", "gd_admin")
    receipt = world.govern(consortium.address, consortium.encode("suspendProvince", ZJ), voters=voters)
    result = verifier.verify(doc, VerificationContext(GD))
    assert result.verdict == NOT_RECOGNIZED  # Guangdong has no rule for it: the warning is beside the verdict
    assert standing_of(result) == [("province", str(ZJ), "suspended")]
    expect(verifier.verify(doc), VALID)
    (warning,) = verifier.verify(doc).warnings
    assert warning.details["since"] == block_time(world, receipt) and warning.details["name"] == "浙江省"
    assert warning.message_en.startswith("the issuing province 浙江省 (330000) is suspended today")
    assert warning.message.startswith("发证省份 浙江省（330000）目前处于暂停状态")

    world.govern(consortium.address, consortium.encode("reinstateProvince", ZJ), voters=voters)
    assert verifier.verify(doc).warnings == ()
    world.govern(consortium.address, consortium.encode("removeProvince", ZJ), voters=voters)
    assert standing_of(verifier.verify(doc)) == [("province", str(ZJ), "removed")]
    expect(verifier.verify(doc), VALID)
    # admitted again, the province starts a new membership: the agency registered in the old one is not active
    admit = consortium.encode("admitProvince", ZJ, "浙江省", [world.addr("zj_admin")])
    world.govern(consortium.address, admit, voters=voters)
    assert standing_of(verifier.verify(doc)) == [("agency", world.addr("zj_amr"), "stale_membership")]


def test_the_worlds_suspended_agencies_keep_earlier_certificates_valid_with_a_warning(
    world: World, verifier: Verifier, tmp_path: Path
) -> None:
    admin = world.as_("sh_admin").authorities
    suspended, parent, child = "sh_suspended", "sh_parent_suspended", "sh_child_of_suspended"
    for name in (suspended, parent):
        admin.reinstate_agency(world.addr(name)).wait()
    own, below = issue(world, tmp_path, suspended, n=1)[0], issue(world, tmp_path, child, n=1)[0]
    assert verifier.verify(own).warnings == verifier.verify(below).warnings == ()
    world.advance(60)  # suspended at a later time than anchored
    for name in (suspended, parent):
        admin.suspend_agency(world.addr(name), 1).wait()
    for doc in (own, below):
        expect(verifier.verify(doc, VerificationContext(ZJ)), VALID, recognition=("passed", "rule"))
    assert standing_of(verifier.verify(own)) == [("agency", world.addr(suspended), "suspended")]
    assert standing_of(verifier.verify(below)) == [("parent", world.addr(parent), "suspended")]
    many = verifier.verify_many([own, below, {"proof": {}}])
    assert [standing_of(r) for r in many] == [
        [("agency", world.addr(suspended), "suspended")],
        [("parent", world.addr(parent), "suspended")],
        [],
    ]
    # a certificate that is not anchored by its issuer carries no warning about that issuer
    forged = copy.deepcopy(own)
    forged["proof"]["merkleRoot"] = "0x" + "42" * 32
    assert verifier.verify(forged).warnings == ()


def test_type_revoked_after_anchoring_keeps_its_certificates_valid(
    world: World, verifier: Verifier, tmp_path: Path
) -> None:
    doc = issuing.issue(world, tmp_path, "sh_amr", [issuing.credential(world, "sh_amr", "food_business_licence")])[0]
    world.advance(60)
    world.as_("sh_admin").authorities.revoke_certificate_type(world.addr("sh_amr"), "food_business_licence").wait()
    assert "food_business_licence" not in world.reader.authorities.agency(world.addr("sh_amr")).certificate_types
    expect(verifier.verify(doc), VALID)


def test_type_not_granted_at_anchoring_time_is_not_authorised(world: World, verifier: Verifier, tmp_path: Path) -> None:
    assert "degree_certificate" not in world.reader.authorities.agency(world.addr("sh_amr")).certificate_types
    (doc,) = issuing.anchor_raw(world, "sh_amr", [issuing.credential(world, "sh_amr", "degree_certificate")])
    not_authorised = {"issuer": ("failed", "not_authorised")}
    result = verifier.verify(doc)
    expect(result, INVALID, **not_authorised)
    assert "degree_certificate" in result.check("issuer").message_en
    assert "degree_certificate" in result.check("issuer").message

    # a grant made after anchoring does not cover the batch
    world.advance(60)
    grant(world, "sh_amr", "degree_certificate")
    expect(verifier.verify(doc), INVALID, **not_authorised)
    # while a raw anchor of a granted type is valid: the helper wraps exactly as the Issuer does
    (granted,) = issuing.anchor_raw(world, "sh_amr", [issuing.credential(world, "sh_amr", "degree_certificate")])
    expect(verifier.verify(granted), VALID)


def test_issuing_province_other_than_the_agencys_is_a_mismatch(
    world: World, verifier: Verifier, tmp_path: Path
) -> None:
    foreign = issuing.credential(world, "sh_amr", issuingProvince="330000", issuingRegion="330100")
    (doc,) = issuing.anchor_raw(world, "sh_amr", [foreign])
    result = verifier.verify(doc, VerificationContext(ZJ))
    expect(result, INVALID, issuer=("failed", "province_mismatch"), recognition=("skipped", "invalid"))
    assert result.issuing_province == "330000"


# --------------------------------------------------------------------------------------------------------- status


def test_revoked_certificate_is_invalid(world: World, verifier: Verifier, tmp_path: Path) -> None:
    doc, sibling, by_admin = issue(world, tmp_path)
    receipt = issuing.revoke(world, "sh_amr", doc, reason=3)
    admin_receipt = issuing.revoke(world, "sh_admin", by_admin, reason=4)  # a province admin may revoke too

    result = verifier.verify(doc, VerificationContext(ZJ))
    expect(result, INVALID, status=("failed", "revoked"), recognition=("skipped", "invalid"))
    assert result.check("status").details == {
        "reason": "fraud",
        "reasonCode": 3,
        "updatedAt": block_time(world, receipt),
    }
    result = verifier.verify(by_admin)
    expect(result, INVALID, status=("failed", "revoked"))
    assert result.check("status").details == {
        "reason": "cancelled",
        "reasonCode": 4,
        "updatedAt": block_time(world, admin_receipt),
    }
    expect(verifier.verify(sibling), VALID)


def test_suspended_certificate_is_invalid_until_reinstated(world: World, verifier: Verifier, tmp_path: Path) -> None:
    doc, sibling, _ = issue(world, tmp_path)
    receipt = issuing.suspend(world, "sh_amr", doc, reason=2)
    suspended_at = receipt.block_number
    result = verifier.verify(doc)
    expect(result, INVALID, status=("failed", "suspended"))
    assert result.check("status").details == {
        "reason": "holder_request",
        "reasonCode": 2,
        "updatedAt": block_time(world, receipt),
    }
    expect(verifier.verify(sibling), VALID)

    issuing.reinstate(world, "sh_amr", doc)
    expect(verifier.verify(doc), VALID)
    expect(verifier.verify(doc, VerificationContext(ZJ)), VALID, recognition=("passed", "rule"))
    expect(verifier.verify(doc, block=suspended_at), INVALID, status=("failed", "suspended"))


def test_superseded_certificate_names_its_successor(world: World, verifier: Verifier, tmp_path: Path) -> None:
    old, _ = issue(world, tmp_path, n=2)
    (new,) = issue(world, tmp_path, n=1)
    receipt = issuing.supersede(world, "sh_amr", old, new, reason=5)

    result = verifier.verify(old)
    expect(result, INVALID, status=("failed", "superseded"))
    assert result.check("status").details == {
        "successor": digest_of(new),
        "reason": "revoked_by_authority",
        "reasonCode": 5,
        "updatedAt": block_time(world, receipt),
    }
    assert digest_of(new) in result.check("status").message_en
    assert digest_of(new) in result.check("status").message
    expect(verifier.verify(new), VALID)

    # a superseded certificate can still be revoked
    revoked = issuing.revoke(world, "sh_amr", old, reason=6)
    result = verifier.verify(old)
    expect(result, INVALID, status=("failed", "revoked"))
    assert result.check("status").details == {
        "reason": "replaced",
        "reasonCode": 6,
        "updatedAt": block_time(world, revoked),
    }


def test_revoked_batch_revokes_every_certificate_in_it(world: World, verifier: Verifier, tmp_path: Path) -> None:
    docs = issue(world, tmp_path, n=4)
    (elsewhere,) = issue(world, tmp_path, n=1)
    own = issuing.revoke(world, "sh_amr", docs[0], reason=2)
    world.advance(5)
    receipt = issuing.revoke_batch(world, "sh_admin", docs[1], reason=9)

    result = verifier.verify(docs[0])
    expect(result, INVALID, status=("failed", "revoked"))
    assert result.check("status").details == {
        "reason": "holder_request",
        "reasonCode": 2,
        "updatedAt": block_time(world, own),
    }
    for doc in docs[1:]:
        result = verifier.verify(doc)
        expect(result, INVALID, status=("failed", "revoked"))
        assert result.check("status").details == {
            "reason": "holder_deceased_or_dissolved",
            "reasonCode": 9,
            "updatedAt": block_time(world, receipt),
        }
    expect(verifier.verify(elsewhere), VALID)


def test_expired_and_not_yet_valid_certificates(world: World, verifier: Verifier, tmp_path: Path) -> None:
    expired = issuing.credential(world, "sh_amr", validFrom="2016-01-01T00:00:00Z", validUntil="2021-01-01T00:00:00Z")
    future = issuing.credential(world, "sh_amr", validFrom="2099-01-01T00:00:00Z", validUntil="2119-01-01T00:00:00Z")
    expired_doc, future_doc = issuing.issue(world, tmp_path, "sh_amr", [expired, future])

    result = verifier.verify(expired_doc, VerificationContext(ZJ))
    expect(result, INVALID, validity=("failed", "expired"), recognition=("skipped", "invalid"))
    assert result.check("validity").message_en == "expired at 2021-01-01T00:00:00Z"
    assert result.check("validity").message == "已于 2021-01-01T00:00:00Z 过期"
    result = verifier.verify(future_doc)
    expect(result, INVALID, validity=("failed", "not_yet_valid"))
    assert result.check("validity").message_en == "valid from 2099-01-01T00:00:00Z"


def test_validity_period_bounds_are_inclusive(world: World, tmp_path: Path) -> None:
    (doc,) = issue(world, tmp_path, n=1)
    start, end = seconds(doc["validFrom"]), seconds(doc["validUntil"])
    cases = {start - 1: "not_yet_valid", start: "ok", end: "ok", end + 1: "expired"}
    for now, code in cases.items():
        result = Verifier(world.reader, clock=float(now).__float__).verify(doc)
        assert result.check("validity").code == code
        assert result.checked_at == now
        assert result.verdict == (VALID if code == "ok" else INVALID)


# ---------------------------------------------------------------------------------------------------- recognition


def set_rule(world: World, admin: str, *args: Any, **kwargs: Any) -> int:
    receipt = world.as_(admin).recognition.set_rule(*args, **kwargs).wait()
    return int(receipt.event("RecognitionRuleSet").args["ruleId"])


def test_recognition_by_the_accepting_province(world: World, verifier: Verifier, tmp_path: Path) -> None:
    doc = issue(world, tmp_path, n=1)[0]
    (food,) = issuing.issue(world, tmp_path, "sh_amr", [issuing.credential(world, "sh_amr", "food_business_licence")])
    (zj_rule,) = world.reader.recognition.rules_of(ZJ)
    rule = {"recognition": ("passed", "rule")}
    no_rule = {"recognition": ("failed", "no_rule")}

    # the bootstrapped rule: Zhejiang accepts Shanghai business licences for every service item
    result = verifier.verify(doc, VerificationContext(ZJ))
    expect(result, VALID, **rule)
    assert result.check("recognition").details == {"ruleId": zj_rule, "province": str(ZJ)}
    assert result.context == VerificationContext(ZJ)
    expect(verifier.verify(doc, VerificationContext(ZJ, "company_registration")), VALID, **rule)
    # ...but not food business licences
    result = verifier.verify(food, VerificationContext(ZJ))
    expect(result, NOT_RECOGNIZED, **no_rule)
    assert result.failed == ["recognition"]
    # Guangdong has no rule
    result = verifier.verify(doc, VerificationContext(GD, "company_registration"))
    expect(result, NOT_RECOGNIZED, **no_rule)
    assert result.check("recognition").message_en == (
        "province 440000 has no rule in force for business_licence from 310000 for company_registration"
    )
    # presented in its own province: no rule needed
    result = verifier.verify(doc, VerificationContext(SH))
    expect(result, VALID, recognition=("passed", "same_province"))
    assert result.check("recognition").details == {}
    # no accepting province named: not checked
    expect(verifier.verify(doc, VerificationContext(service_item="company_registration")), VALID)


def test_recognition_rules_for_service_items_and_issuing_provinces(
    world: World, verifier: Verifier, tmp_path: Path
) -> None:
    doc = issue(world, tmp_path, n=1)[0]
    zj_doc = issue(world, tmp_path, "zj_amr", n=1)[0]
    item_rule = set_rule(world, "gd_admin", GD, SH, "business_licence", "company_registration")
    zj_rule = set_rule(world, "gd_admin", GD, ZJ, "business_licence")
    no_rule = {"recognition": ("failed", "no_rule")}

    result = verifier.verify(doc, VerificationContext(GD, "company_registration"))
    expect(result, VALID, recognition=("passed", "rule"))
    assert result.check("recognition").details == {"ruleId": item_rule, "province": str(GD)}
    expect(verifier.verify(doc, VerificationContext(GD, "tax_registration")), NOT_RECOGNIZED, **no_rule)
    expect(verifier.verify(doc, VerificationContext(GD)), NOT_RECOGNIZED, **no_rule)
    # the rule for Zhejiang certificates covers every service item, but not Shanghai's
    result = verifier.verify(zj_doc, VerificationContext(GD, "tax_registration"))
    expect(result, VALID, recognition=("passed", "rule"))
    assert result.check("recognition").details == {"ruleId": zj_rule, "province": str(GD)}
    # Zhejiang's own rule is for Shanghai certificates, not for certificates of Guangdong or Zhejiang itself
    expect(verifier.verify(zj_doc, VerificationContext(ZJ)), VALID, recognition=("passed", "same_province"))
    # a rule for any issuing province
    any_rule = set_rule(world, "gd_admin", GD, None, "business_licence")
    result = verifier.verify(doc, VerificationContext(GD, "tax_registration"))
    expect(result, VALID, recognition=("passed", "rule"))
    assert result.check("recognition").details == {"ruleId": any_rule, "province": str(GD)}


def test_revoked_and_future_rules_do_not_recognise(world: World, verifier: Verifier, tmp_path: Path) -> None:
    doc = issue(world, tmp_path, n=1)[0]
    rule_id = set_rule(world, "gd_admin", GD, SH, "business_licence")
    in_force_at = world.reader.w3.eth.block_number
    expect(verifier.verify(doc, VerificationContext(GD)), VALID, recognition=("passed", "rule"))
    world.as_("gd_admin").recognition.revoke_rule(rule_id).wait()
    expect(verifier.verify(doc, VerificationContext(GD)), NOT_RECOGNIZED, recognition=("failed", "no_rule"))
    # read before the revocation, the rule is in force
    result = verifier.verify(doc, VerificationContext(GD), block=in_force_at)
    expect(result, VALID, recognition=("passed", "rule"))
    assert result.check("recognition").details == {"ruleId": rule_id, "province": str(GD)}

    later = world.now() + 3600
    set_rule(world, "gd_admin", GD, SH, "business_licence", effective_from=later)
    expect(verifier.verify(doc, VerificationContext(GD)), NOT_RECOGNIZED, recognition=("failed", "no_rule"))


def test_context_names_a_province_level_code() -> None:
    for bad in (310115, 0, 1000000, True):
        with pytest.raises(LedgerValueError):
            VerificationContext(bad)
    with pytest.raises(LedgerValueError):
        VerificationContext(ZJ, "")


# ------------------------------------------------------------------------------------------------------ redaction


def test_redacted_certificate_stays_valid(world: World, verifier: Verifier, tmp_path: Path) -> None:
    doc = issue(world, tmp_path, n=2)[0]
    hidden = ["/credentialSubject/holderName", "/credentialSubject/registeredCapital", "/credentialSubject/address"]
    redacted = redact(doc, hidden)
    assert "holderName" not in redacted["credentialSubject"]
    assert len(redacted["proof"]["obfuscated"]) == 3
    expect(verifier.verify(redacted), VALID)
    expect(verifier.verify(redacted, VerificationContext(ZJ)), VALID, recognition=("passed", "rule"))
    # hiding more, in steps, keeps the digest
    twice = redact(redacted, ["/credentialSubject/holderId", "/issuer/name"])
    result = verifier.verify(twice)
    expect(result, VALID)
    assert result.digest == doc["proof"]["digest"]

    # an obfuscated hash tampered with no longer adds up
    broken = copy.deepcopy(redacted)
    broken["proof"]["obfuscated"][0] = _flip(broken["proof"]["obfuscated"][0])
    expect(verifier.verify(broken), INVALID, integrity=("failed", "digest_mismatch"))
    # a hidden value put back without its salt is a field added after issuance
    restored = copy.deepcopy(redacted)
    restored["credentialSubject"]["holderName"] = doc["credentialSubject"]["holderName"]
    expect(verifier.verify(restored), INVALID, integrity=("failed", "fields_mismatch"))


def test_redacted_array_elements_stay_valid(world: World, verifier: Verifier, tmp_path: Path) -> None:
    (doc,) = issuing.issue(world, tmp_path, "sh_amr", [issuing.credential(world, "sh_amr", "food_business_licence")])
    items = "/credentialSubject/businessItems"
    last = redact(doc, [f"{items}/2", "/credentialSubject/operator"])
    assert last["credentialSubject"]["businessItems"] == doc["credentialSubject"]["businessItems"][:2]
    expect(verifier.verify(last), VALID)
    expect(verifier.verify(redact(doc, [items])), VALID)


@pytest.mark.parametrize(
    ("hidden", "left"),
    [([1], [0, None, 2]), ([0, 1, 2], [])],
    ids=["middle-element", "every-element"],
)
def test_hiding_inner_array_elements_keeps_the_certificate_valid(
    world: World, verifier: Verifier, tmp_path: Path, hidden: list[int], left: list[int | None]
) -> None:
    """BUG: hiding an array element that a later element follows leaves the documented `null` placeholder (no salt,
    not a field), and hiding every element one by one leaves `[]`; `_check_format` validates the redacted body
    as is, so the schema refuses `null` (invalid_type) or `[]` (too_short, minItems 1) and a correctly redacted
    certificate fails format. Hiding the last element, or the whole array, passes."""
    (doc,) = issuing.issue(world, tmp_path, "sh_amr", [issuing.credential(world, "sh_amr", "food_business_licence")])
    items = doc["credentialSubject"]["businessItems"]
    redacted = redact(doc, [f"/credentialSubject/businessItems/{i}" for i in hidden])
    assert redacted["credentialSubject"]["businessItems"] == [None if i is None else items[i] for i in left]
    expect(verifier.verify(redacted), VALID)


@pytest.mark.parametrize("field", ["certificateType", "issuingProvince"])
def test_redacting_a_field_the_verifier_needs_fails_format(
    world: World, verifier: Verifier, tmp_path: Path, field: str
) -> None:
    doc = issue(world, tmp_path, n=1)[0]
    result = verifier.verify(redact(doc, [f"/credentialSubject/{field}"]))
    expect(result, INVALID, format=("failed", "undisclosed_field"), **FORMAT_FAILED)
    assert result.check("format").details == {"field": f"credentialSubject.{field}"}


def test_reading_at_a_block_before_the_deployment_is_refused_with_a_reason(world: World, verifier: Verifier) -> None:
    from ledger.errors import LedgerValueError

    with pytest.raises(LedgerValueError, match="before the registries were deployed"):
        verifier.verify({}, block=0)
    with pytest.raises(LedgerValueError, match="does not exist yet"):
        verifier.verify({}, block=world.reader.head()[0] + 1000)


@pytest.mark.parametrize(
    ("field", "period"),
    [
        ("validUntil", ("2016-01-01T00:00:00Z", "2021-01-01T00:00:00Z")),
        ("validFrom", ("2099-01-01T00:00:00Z", "2119-01-01T00:00:00Z")),
    ],
    ids=["expired-hides-validUntil", "not-yet-valid-hides-validFrom"],
)
def test_hiding_the_validity_period_does_not_make_a_certificate_valid(
    world: World, verifier: Verifier, tmp_path: Path, field: str, period: tuple[str, str]
) -> None:
    """BUG: `_check_format` lets the holder hide validFrom / validUntil (the schema's `missing_field` is ignored
    for redacted documents) and `_check_validity` passes a period it cannot see, so an expired certificate with
    its validUntil hidden is VALID. Like certificateType, the period must be disclosed to verify."""
    valid_from, valid_until = period
    cred = issuing.credential(world, "sh_amr", validFrom=valid_from, validUntil=valid_until)
    (doc,) = issuing.issue(world, tmp_path, "sh_amr", [cred])
    assert verifier.verify(doc).verdict == INVALID
    result = verifier.verify(redact(doc, [f"/{field}"]))
    assert result.verdict == INVALID
    expect(result, INVALID, format=("failed", "undisclosed_field"), **FORMAT_FAILED)
    assert result.check("format").details == {"field": field}


# ----------------------------------------------------------------------------------------------------- signatures


def add_key(world: World, agency: str, algorithm: KeyAlgorithm, **window: int) -> Any:
    key = generate(algorithm)
    world.as_(agency).authorities.add_signing_key(world.addr(agency), key, **window).wait()
    return key


def signed(world: World, key: Any, agency: str = "sh_amr") -> Callable[[bytes], dict[str, str]]:
    """A signer of roots with `key`, naming its id for `agency`."""
    return lambda root: sign_root(key, root, agency=world.addr(agency))


def test_ed25519_signature_of_a_registered_key(world: World, verifier: Verifier, tmp_path: Path) -> None:
    key = add_key(world, "sh_amr", KeyAlgorithm.ED25519)
    docs = issue(world, tmp_path, signer=signed(world, key))
    key_id = "0x" + key.key_id_for(world.addr("sh_amr")).hex()
    assert docs[0]["proof"]["signature"]["keyId"] == key_id
    for doc in docs:
        result = verifier.verify(doc, VerificationContext(ZJ))
        expect(result, VALID, signature=("passed", "ok"), recognition=("passed", "rule"))
        assert result.check("signature").details == {"keyId": key_id, "algorithm": "ED25519"}

    # a key revoked after anchoring still covers the batches it signed before
    world.advance(10)
    world.as_("sh_amr").authorities.revoke_signing_key(key_id).wait()
    expect(verifier.verify(docs[0]), VALID, signature=("passed", "ok"))


def test_forged_and_misplaced_signatures(world: World, verifier: Verifier, tmp_path: Path) -> None:
    key = add_key(world, "sh_amr", KeyAlgorithm.ED25519)
    doc, _ = issue(world, tmp_path, n=2, signer=signed(world, key))
    (other,) = issue(world, tmp_path, n=1, signer=signed(world, key))

    forged = copy.deepcopy(doc)
    raw = bytearray(base64.urlsafe_b64decode(forged["proof"]["signature"]["value"] + "=="))
    raw[0] ^= 1
    forged["proof"]["signature"]["value"] = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    expect(verifier.verify(forged), INVALID, signature=("failed", "bad_signature"))

    # the agency's valid signature over another root
    moved = copy.deepcopy(doc)
    moved["proof"]["signature"] = other["proof"]["signature"]
    expect(verifier.verify(moved), INVALID, signature=("failed", "bad_signature"))

    for garbage in ("not an object", {"keyId": "0x12"}, {**doc["proof"]["signature"], "value": "***"}):
        broken = copy.deepcopy(doc)
        broken["proof"]["signature"] = garbage
        expect(verifier.verify(broken), INVALID, signature=("failed", "malformed"))

    # stripping the signature leaves an unsigned (and otherwise valid) certificate
    stripped = copy.deepcopy(doc)
    del stripped["proof"]["signature"]
    expect(verifier.verify(stripped), VALID)


def signed_raw(world: World, key: Any, agency: str = "sh_amr") -> dict[str, Any]:
    """A certificate anchored by a raw call (the Issuer refuses a key it cannot verify with), signed by `key`."""
    (doc,) = issuing.anchor_raw(world, agency, issuing.credentials(world, agency, 1))
    doc["proof"]["signature"] = signed(world, key, agency)(bytes.fromhex(doc["proof"]["merkleRoot"][2:]))
    return doc


def test_signature_by_a_key_not_registered_to_the_agency(world: World, verifier: Verifier, tmp_path: Path) -> None:
    unregistered = generate(KeyAlgorithm.ED25519)
    doc = signed_raw(world, unregistered)
    expect(verifier.verify(doc), INVALID, signature=("failed", "unknown_key"))

    zj_key = add_key(world, "zj_amr", KeyAlgorithm.ED25519)  # registered, but to another agency
    doc = signed_raw(world, zj_key)
    expect(verifier.verify(doc), INVALID, signature=("failed", "unknown_key"))


def test_signature_by_a_key_registered_after_anchoring(world: World, verifier: Verifier, tmp_path: Path) -> None:
    key = generate(KeyAlgorithm.ED25519)
    doc = signed_raw(world, key)
    world.advance(10)
    world.as_("sh_amr").authorities.add_signing_key(world.addr("sh_amr"), key).wait()
    expect(verifier.verify(doc), INVALID, signature=("failed", "key_not_valid"))


def test_sm2_key_in_the_default_suite_is_the_wrong_algorithm(world: World, verifier: Verifier, tmp_path: Path) -> None:
    key = add_key(world, "sh_amr", KeyAlgorithm.SM2)
    (doc,) = issue(world, tmp_path, n=1, signer=signed(world, key))
    result = verifier.verify(doc)
    expect(result, INVALID, signature=("failed", "wrong_algorithm"))
    assert result.check("signature").message_en == "a SM2 key cannot sign in the default suite"
    assert result.check("signature").message == "SM2 密钥不能在 default 算法套件中签名"


def test_sm_suite_with_an_sm2_key(world: World, verifier: Verifier, tmp_path: Path) -> None:
    key = add_key(world, "sh_amr", KeyAlgorithm.SM2)
    docs = issue(world, tmp_path, suite="sm", signer=signed(world, key))
    assert docs[0]["proof"]["suite"] == "sm"
    assert docs[0]["proof"]["signature"]["algorithm"] == "SM2"
    for doc in docs:
        result = verifier.verify(doc, VerificationContext(ZJ))
        expect(result, VALID, signature=("passed", "ok"), recognition=("passed", "rule"))
    redacted = redact(docs[0], ["/credentialSubject/holderName"])
    expect(verifier.verify(redacted), VALID, signature=("passed", "ok"))
    tampered = copy.deepcopy(docs[0])
    tampered["credentialSubject"]["holderName"] = "假冒公司"
    expect(verifier.verify(tampered), INVALID, signature=("passed", "ok"), integrity=("failed", "digest_mismatch"))


# --------------------------------------------------------------------------------------------------------- blocks


def test_answers_name_the_block_they_were_read_at(world: World, verifier: Verifier, tmp_path: Path) -> None:
    w3 = world.reader.w3
    before_anchor = w3.eth.block_number
    doc, _ = issue(world, tmp_path, n=2)
    anchored = w3.eth.get_block("latest")
    receipt = issuing.revoke(world, "sh_amr", doc, reason=4)
    world.advance(1)
    head = w3.eth.get_block("latest")

    latest = verifier.verify(doc)
    expect(latest, INVALID, status=("failed", "revoked"))
    assert (latest.block_number, latest.block_hash) == (head["number"], head["hash"].to_0x_hex())

    old = verifier.verify(doc, block=anchored["number"])
    expect(old, VALID)
    assert (old.block_number, old.block_hash) == (anchored["number"], anchored["hash"].to_0x_hex())
    at_revocation = verifier.verify(doc, block=receipt.block_number)
    expect(at_revocation, INVALID, status=("failed", "revoked"))
    assert at_revocation.block_hash == receipt.block_hash

    early = verifier.verify(doc, block=before_anchor)
    expect(early, INVALID, anchoring=("failed", "not_anchored"), **NOT_ANCHORED)
    assert early.block_number == before_anchor

    many = verifier.verify_many([doc], block=anchored["number"])
    assert [r.verdict for r in many] == [VALID]
    assert many[0].block_hash == anchored["hash"].to_0x_hex()


# ----------------------------------------------------------------------------------------------- bulk and garbage


def counting(reads: dict[str, int], name: str, read: Callable[..., Any]) -> Callable[..., Any]:
    def counted(*args: Any, **kwargs: Any) -> Any:
        reads[name] += 1
        return read(*args, **kwargs)

    return counted


def comparable(result: VerificationResult) -> tuple[Any, ...]:
    return (result.verdict, result.checks, result.digest, result.issuer, result.block_number, result.block_hash)


def test_verify_many_agrees_with_verify(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sh = issuing.issue(world, tmp_path, "sh_amr", issuing.credentials(world, "sh_amr", 300), max_batch=100)
    pudong = issuing.issue(world, tmp_path, "sh_pudong", issuing.credentials(world, "sh_pudong", 200), max_batch=100)
    assert len({issuing.root_of(d) for d in sh}) == 3
    assert len({issuing.root_of(d) for d in pudong}) == 2

    for doc in sh[0:5]:
        issuing.revoke(world, "sh_amr", doc, reason=3)
    for doc in sh[100:105]:
        issuing.suspend(world, "sh_amr", doc, reason=2)
    for doc in sh[100:102]:
        issuing.reinstate(world, "sh_amr", doc, reason=1)
    issuing.supersede(world, "sh_amr", sh[200], sh[201], reason=5)
    issuing.supersede(world, "sh_amr", sh[202], sh[203], reason=5)
    issuing.revoke(world, "sh_amr", sh[202], reason=6)  # superseded, then revoked
    issuing.suspend(world, "sh_pudong", pudong[0], reason=2)
    issuing.revoke(world, "sh_admin", pudong[1], reason=4)
    issuing.revoke(world, "sh_pudong", pudong[150], reason=3)  # revoked before its batch is
    issuing.revoke_batch(world, "sh_admin", pudong[100], reason=8)
    tampered = copy.deepcopy(sh[250])
    tampered["credentialSubject"]["holderName"] = "假冒公司"
    docs: list[Any] = [*sh, *pudong, tampered, None, {"proof": {}}]

    context = VerificationContext(ZJ)
    reads: dict[str, int] = {}
    clients: dict[str, Any] = {"batch": world.reader.certificates, "status_of": world.reader.certificates}
    clients |= {"can_issue_at": world.reader.authorities, "agency": world.reader.authorities}
    clients["accepts"] = world.reader.recognition
    for name, client in clients.items():
        reads[name] = 0
        monkeypatch.setattr(client, name, counting(reads, name, getattr(client, name)))
    started = time.perf_counter()
    many = Verifier(world.reader).verify_many(docs, context)
    bulk_seconds = time.perf_counter() - started
    monkeypatch.undo()
    # chain reads are shared: one per root, agency, (agency, type, anchoring time) and rule question, and no
    # status read per certificate (statuses come from the agencies' events)
    anchorings = {(r.issuer, r.check("anchoring").details.get("anchoredAt")) for r in many[:500]}
    assert reads == {"batch": 5, "status_of": 0, "can_issue_at": len(anchorings), "agency": 2, "accepts": 1}
    block = many[0].block_number
    assert {(r.block_number, r.block_hash) for r in many} == {(block, many[0].block_hash)}

    single = Verifier(world.reader)
    singles = [single.verify(d, context, block=block) for d in docs]
    assert [comparable(r) for r in many] == [comparable(r) for r in singles]

    codes = [r.check("status").code for r in many]
    assert codes[0:5] == ["revoked"] * 5
    assert codes[100:105] == ["ok", "ok", "suspended", "suspended", "suspended"]
    assert (codes[200], codes[201], codes[202], codes[203]) == ("superseded", "ok", "revoked", "ok")
    assert many[200].check("status").details["successor"] == digest_of(sh[201])
    assert (codes[300], codes[301]) == ("suspended", "revoked")
    assert codes[400:500] == ["revoked"] * 100
    assert many[450].check("status").details["reasonCode"] == 3
    assert many[451].check("status").details["reasonCode"] == 8
    verdicts = [r.verdict for r in many]
    assert verdicts.count(INVALID) == 5 + 3 + 2 + 2 + 100 + 1 + 2
    assert verdicts.count(VALID) == len(docs) - verdicts.count(INVALID)
    assert many[-3].failed == ["integrity"]
    assert many[-2].check("format").code == "not_an_object"
    assert many[-1].check("format").code == "bad_proof"
    assert bulk_seconds < 20
    assert Verifier(world.reader).verify_many([]) == []


def _without(*path: str) -> Callable[[dict[str, Any]], Any]:
    def make(doc: dict[str, Any]) -> Any:
        target = doc
        for token in path[:-1]:
            target = target[token]
        del target[path[-1]]
        return doc

    return make


def _with(*path: str, value: Any) -> Callable[[dict[str, Any]], Any]:
    def make(doc: dict[str, Any]) -> Any:
        target = doc
        for token in path[:-1]:
            target = target[token]
        target[path[-1]] = value
        return doc

    return make


GARBAGE: list[tuple[str, Callable[[dict[str, Any]], Any], str]] = [
    ("none", lambda d: None, "not_an_object"),
    ("number", lambda d: 42, "not_an_object"),
    ("string", lambda d: "did:pkh:eip155:31337:0x0", "not_an_object"),
    ("list", lambda d: [d], "not_an_object"),
    ("empty", lambda d: {}, "missing_proof"),
    ("no-proof", _without("proof"), "missing_proof"),
    ("proof-string", _with("proof", value="0x00"), "missing_proof"),
    ("proof-empty", _with("proof", value={}), "bad_proof"),
    ("proof-type", _with("proof", "type", value="MerkleProof2019"), "bad_proof"),
    ("suite", _with("proof", "suite", value="sha3"), "bad_proof"),
    ("digest-short", _with("proof", "digest", value="0x1234"), "bad_proof"),
    ("digest-missing", _without("proof", "digest"), "bad_proof"),
    ("root-number", _with("proof", "merkleRoot", value=12345), "bad_proof"),
    ("path-string", _with("proof", "merklePath", value="0x" + "00" * 32), "bad_proof"),
    ("path-element", _with("proof", "merklePath", value=["0xzz"]), "bad_proof"),
    ("path-too-long", _with("proof", "merklePath", value=["0x" + "11" * 32] * 65), "bad_proof"),
    ("salts-list", _with("proof", "salts", value=[]), "bad_proof"),
    ("obfuscated-string", _with("proof", "obfuscated", value="0x"), "bad_proof"),
    ("chain-id-string", _with("proof", "chainId", value="31337"), "bad_proof"),
    ("chain-id-bool", _with("proof", "chainId", value=True), "bad_proof"),
    ("chain-id-zero", _with("proof", "chainId", value=0), "bad_proof"),
    ("registry", _with("proof", "registry", value="0x1234"), "bad_proof"),
    ("registry-missing", _without("proof", "registry"), "bad_proof"),
    ("issuer-missing", _without("issuer"), "bad_issuer"),
    ("issuer-number", _with("issuer", value=42), "bad_issuer"),
    ("issuer-id-web", _with("issuer", "id", value="did:web:amr.sh.gov.cn"), "bad_issuer"),
    ("issuer-null", _with("issuer", value=None), "bad_issuer"),
    ("issuer-list", lambda d: _with("issuer", value=[d["issuer"]["id"]])(d), "bad_issuer"),
    ("issuer-object-without-id", _with("issuer", value={"name": "上海市市场监督管理局"}), "bad_issuer"),
    ("issuer-huge-string", _with("issuer", value="did:pkh:eip155:31337:0x" + "ab" * 500_000), "bad_issuer"),
    ("issuer-id-list", lambda d: _with("issuer", "id", value=[d["issuer"]["id"]])(d), "bad_issuer"),
    ("issuer-id-object", lambda d: _with("issuer", "id", value={"id": d["issuer"]["id"]})(d), "bad_issuer"),
    ("issuer-id-number", _with("issuer", "id", value=31337), "bad_issuer"),
    ("issuer-id-huge-number", _with("issuer", "id", value=10**5000), "bad_issuer"),
    ("issuer-id-float", _with("issuer", "id", value=1e308), "bad_issuer"),
    ("issuer-id-bool", _with("issuer", "id", value=False), "bad_issuer"),
    ("issuer-id-null", _with("issuer", "id", value=None), "bad_issuer"),
    ("issuer-id-huge-string", _with("issuer", "id", value="did:pkh:eip155:" + "9" * 1_000_000), "bad_issuer"),
    ("subject-missing", _without("credentialSubject"), "missing_subject"),
    ("subject-string", _with("credentialSubject", value="上海浦江科技有限公司"), "missing_subject"),
    ("type-number", _with("credentialSubject", "certificateType", value=1), "undisclosed_field"),
    ("context", _with("@context", value=["https://www.w3.org/2018/credentials/v1"]), "schema"),
    ("valid-until-date", _with("validUntil", value="2046-12-31"), "schema"),
    ("nan", _with("credentialSubject", "holderName", value=float("nan")), "schema"),
]


@pytest.mark.parametrize(("make", "code"), [(m, c) for _, m, c in GARBAGE], ids=[n for n, *_ in GARBAGE])
def test_garbage_is_invalid_format_without_an_exception(
    world: World, verifier: Verifier, tmp_path: Path, make: Callable[[dict[str, Any]], Any], code: str
) -> None:
    document = make(issue(world, tmp_path, n=1)[0])
    result = verifier.verify(document, VerificationContext(ZJ))
    expect(result, INVALID, format=("failed", code), **FORMAT_FAILED)
    assert result.failed == ["format"]
    (many,) = verifier.verify_many([document], VerificationContext(ZJ))
    assert outcomes(many) == outcomes(result)


def test_malformed_issuers_fail_format_alone_in_a_bulk_verification(
    world: World, verifier: Verifier, tmp_path: Path
) -> None:
    docs = issue(world, tmp_path, n=3)
    bad: list[Any] = []
    for value in ([docs[0]["issuer"]["id"]], {"id": [1]}, {"id": {"id": "x"}}, 7, None, "did:pkh:" + "x" * 10**6):
        doc = copy.deepcopy(docs[0])
        doc["issuer"] = value
        bad.append(doc)
    mixed = [docs[0], *bad, docs[1], docs[2]]
    results = verifier.verify_many(mixed, VerificationContext(ZJ))
    assert [r.verdict for r in results] == [VALID, *[INVALID] * len(bad), VALID, VALID]
    for result in results[1 : 1 + len(bad)]:
        expect(result, INVALID, format=("failed", "bad_issuer"), **FORMAT_FAILED)
        assert len(result.check("format").message_en) < 300  # the rejected value is not echoed whole
    for result in (results[0], *results[-2:]):
        expect(result, VALID, recognition=("passed", "rule"))


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (_with("proof", "salts", "/credentialSubject/holderName", value="XYZ"), "fields_mismatch"),
        (_with("proof", "obfuscated", value=["not a hash"]), "fields_mismatch"),
        (_with("proof", "obfuscated", value=["0x" + "ee" * 32]), "digest_mismatch"),
    ],
    ids=["salt-not-hex", "obfuscated-not-hash", "obfuscated-extra"],
)
def test_malformed_integrity_material_fails_integrity(
    world: World, verifier: Verifier, tmp_path: Path, mutate: Callable[[dict[str, Any]], Any], code: str
) -> None:
    doc = issue(world, tmp_path, n=1)[0]
    result = verifier.verify(mutate(copy.deepcopy(doc)))
    expect(result, INVALID, integrity=("failed", code))


# ------------------------------------------------------------------------------------------------------ public API


def test_the_package_exports_its_public_names_sorted_and_the_old_module_keeps_them() -> None:
    import ledger.verification as package
    from ledger.verification import verifier as module

    assert package.__doc__ and list(package.__all__) == sorted(package.__all__)
    assert all(hasattr(package, name) for name in package.__all__)
    kept = ("ChainReader", "LruDict", "memoised", "STATUS_CACHE_AGENCIES", "READER_CACHE_SIZE", "parse_time",
            "fetch_block", "guarded", "chain_failure", "standing", "CheckResult", "VerificationWarning")  # fmt: skip
    for name in kept:
        assert getattr(module, name) is getattr(package, name), name
    assert module._issuer_address is package.issuer_address


def test_outcomes_are_an_enum_sent_as_plain_text(world: World, verifier: Verifier, tmp_path: Path) -> None:
    import json

    from ledger.verification import CheckResult, Outcome

    (doc,) = issue(world, tmp_path, n=1)
    result = verifier.verify(doc)
    assert all(isinstance(c.outcome, Outcome) for c in result.checks)
    assert result.check("format").outcome is Outcome.PASSED == "passed"
    assert result.check("signature").outcome is Outcome.SKIPPED
    sent = result.to_json()["checks"]
    assert [type(c["outcome"]) for c in sent] == [str] * len(CHECKS)
    assert json.dumps(sent[0]).startswith('{"name": "format", "outcome": "passed", "code": "ok"')
    assert CheckResult("status", "failed", "revoked", "").outcome is Outcome.FAILED  # text is accepted
    with pytest.raises(ValueError):
        CheckResult("status", "maybe", "revoked", "")


def test_verify_and_verify_many_through_a_reader(world: World, tmp_path: Path) -> None:
    docs = issue(world, tmp_path, n=3)
    now = time.time() // 1  # one moment for every call: answers compared whole carry it (`at`, `checkedAt`)
    verifier = Verifier(world.reader, clock=lambda: now)
    reader = verifier.reader()
    head = [r.to_json() for r in verifier.verify_many(docs, VerificationContext(ZJ))]
    assert [r.to_json() for r in verifier.verify_many(docs, VerificationContext(ZJ), reader=reader)] == head
    assert verifier.verify(docs[0], VerificationContext(ZJ), reader=reader).to_json() == head[0]
    assert [r.to_json() for r in verifier.verify_with(reader, docs, VerificationContext(ZJ))] == head
    # with a reader, `at` is the time to judge at: the reads stay the reader's
    later = verifier.verify(docs[0], reader=reader, at="2999-01-01T00:00:00Z")
    assert later.block_number == reader.block_number and later.at == seconds("2999-01-01T00:00:00Z")
    assert later.check("validity").code == "expired"
    with pytest.raises(LedgerValueError, match="not both"):
        verifier.verify_many(docs, reader=reader, block=reader.block_number)


def test_the_issuer_address_of_a_document_never_raises(world: World, tmp_path: Path) -> None:
    from ledger.verification import issuer_address

    (doc,) = issue(world, tmp_path, n=1)
    assert issuer_address(doc) == world.addr("sh_amr")
    assert issuer_address({"issuer": doc["issuer"]["id"]}) == world.addr("sh_amr")
    for junk in (None, [], {}, {"issuer": 7}, {"issuer": {"id": "did:web:example.org"}}, "text"):
        assert issuer_address(junk) is None

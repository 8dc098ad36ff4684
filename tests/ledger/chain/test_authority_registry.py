"""AuthorityRegistry on a live chain: the agency tree, suspensions, grants, signing keys and their histories.

Every mutating function is checked on its success path (state through the views, and the event) and refused with
its exact custom error for each role that must not call it. Account names are those of `tests.conftest.WORLD`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest
from eth_utils import keccak, to_checksum_address

from ledger.chain import contract_errors
from ledger.chain.codes import encode_code
from ledger.chain.models import NO_END, AgencyStatus, KeyAlgorithm
from ledger.chain.transactions import PendingTransaction, Receipt
from ledger.errors import LedgerValueError
from ledger.keys.signing import (
    ProofOfPossessionError,
    SigningKeyPair,
    generate,
    sign,
    sign_proof_of_possession,
    verify,
    verify_proof_of_possession,
)
from tests.conftest import SUSPENDED_PROVINCE, World, reverts

SH, ZJ = 310000, 330000
PUDONG = 310115
CHANGNING = 310105
LICENCE = "business_licence"
FOOD = "food_business_licence"
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


def fresh_address() -> str:
    return to_checksum_address("0x" + os.urandom(20).hex())


def block_time(world: World, receipt: Receipt) -> int:
    return int(world.reader.w3.eth.get_block(receipt.block_number)["timestamp"])


@pytest.fixture
def names(world: World) -> dict[str, str]:
    """Every named account's address, plus `grandchild_of_suspended`: a fresh agency registered (by the province
    admin) under `sh_child_of_suspended`, so the child of a suspended parent has a child of its own."""
    grandchild = fresh_address()
    world.as_("sh_admin").authorities.register_agency(
        grandchild, SH, world.addr("sh_child_of_suspended"), CHANGNING, "新华路街道第一市场监督管理站"
    ).wait()
    world.as_("sh_admin").authorities.grant_certificate_type(grandchild, LICENCE).wait()
    return {**world.result.accounts, "grandchild_of_suspended": grandchild}


def nothing_sent(world: World, account: str) -> tuple[int, int]:
    """Nonce of `account` and the chain head, to show that a refused call sent nothing."""
    w3 = world.reader.w3
    return w3.eth.get_transaction_count(to_checksum_address(world.addr(account))), w3.eth.block_number


def resolve(names: dict[str, str], expected: dict[str, Any]) -> dict[str, Any]:
    """Expected error arguments with account names replaced by their addresses."""
    return {
        key: names[value] if isinstance(value, str) and value in names else value for key, value in expected.items()
    }


# ---------------------------------------------------------------------------------------------- registerAgency


def test_province_admin_registers_a_top_level_agency(world: World) -> None:
    agency = world.addr("new_agency")
    count_before = world.reader.authorities.agency_count()

    receipt = world.as_("sh_admin").authorities.register_agency(agency, SH, None, 310104, "徐汇区新设机构").wait()

    assert receipt.event("AgencyRegistered").args == {
        "agency": agency,
        "province": SH,
        "parent": ZERO_ADDRESS,
        "region": 310104,
        "name": "徐汇区新设机构",
    }
    record = world.reader.authorities.agency(agency)
    assert (record.account, record.parent, record.province, record.region, record.depth) == (
        agency,
        None,
        SH,
        310104,
        1,
    )
    assert record.status == AgencyStatus.ACTIVE
    assert record.effectively_active is True
    assert record.name == "徐汇区新设机构"
    assert record.children == ()
    assert record.certificate_types == ()
    assert world.reader.authorities.is_active(agency)
    assert world.reader.authorities.agency_province(agency) == SH
    assert world.reader.authorities.agency_count() == count_before + 1
    assert world.reader.authorities.agency_at(count_before) == agency


def test_parent_agency_registers_a_child_and_an_ancestor_registers_a_grandchild(world: World) -> None:
    pudong, child, grandchild = world.addr("sh_pudong"), world.addr("new_agency"), fresh_address()

    receipt = world.as_("sh_pudong").authorities.register_agency(child, SH, pudong, PUDONG, "浦东新区直属所").wait()
    assert receipt.event("AgencyRegistered").args["parent"] == pudong
    receipt = (
        world.as_("sh_amr").authorities.register_agency(grandchild, SH, child, PUDONG, "浦东新区直属所分所").wait()
    )
    assert receipt.event("AgencyRegistered").args == {
        "agency": grandchild,
        "province": SH,
        "parent": child,
        "region": PUDONG,
        "name": "浦东新区直属所分所",
    }

    authorities = world.reader.authorities
    assert authorities.agency(child).depth == 3
    assert authorities.agency(child).parent == pudong
    assert authorities.agency(grandchild).depth == 4
    assert authorities.agency(pudong).children == (world.addr("sh_town"), child)
    assert authorities.agency(child).children == (grandchild,)
    assert authorities.is_ancestor(world.addr("sh_amr"), grandchild)
    assert authorities.is_ancestor(pudong, grandchild)
    assert not authorities.is_ancestor(grandchild, pudong)
    assert not authorities.is_ancestor(world.addr("sh_town"), grandchild)
    assert authorities.is_active(grandchild)


def test_the_agency_tree_stops_at_max_depth(world: World) -> None:
    authorities = world.reader.authorities
    assert authorities.max_depth() == 4
    deepest = fresh_address()
    world.as_("sh_admin").authorities.register_agency(deepest, SH, world.addr("sh_town"), PUDONG, "张江镇第一站").wait()
    assert authorities.agency(deepest).depth == 4

    with reverts(contract_errors.AuthorityRegistryTreeTooDeep, parent=deepest, maxDepth=4):
        world.as_("sh_admin").authorities.register_agency(fresh_address(), SH, deepest, PUDONG, "第五级").wait()


def test_a_child_must_be_in_its_parents_province(world: World) -> None:
    with reverts(contract_errors.AuthorityRegistryProvinceMismatch, parent=world.addr("zj_amr"), province=SH):
        world.as_("sh_admin").authorities.register_agency(
            world.addr("new_agency"), SH, world.addr("zj_amr"), PUDONG, "跨省下级"
        ).wait()


def test_registering_under_an_unknown_parent_is_refused(world: World) -> None:
    with reverts(contract_errors.AuthorityRegistryUnknownAgency, agency=world.addr("outsider")):
        world.as_("sh_admin").authorities.register_agency(
            world.addr("new_agency"), SH, world.addr("outsider"), PUDONG, "无上级"
        ).wait()


@pytest.mark.parametrize("region", [320115, 330000, 110000, 3101150, 31])
def test_a_region_outside_the_province_is_refused(world: World, region: int) -> None:
    with reverts(contract_errors.AuthorityRegistryInvalidRegion, region=region, province=SH):
        world.as_("sh_admin").authorities.register_agency(world.addr("new_agency"), SH, None, region, "错区划").wait()


def test_registering_an_existing_agency_is_refused(world: World) -> None:
    with reverts(contract_errors.AuthorityRegistryAgencyExists, agency=world.addr("sh_town")):
        world.as_("sh_admin").authorities.register_agency(world.addr("sh_town"), SH, None, PUDONG, "重复").wait()


def test_the_client_refuses_to_register_the_zero_address(world: World) -> None:
    nonce = world.reader.w3.eth.get_transaction_count(world.addr("sh_admin"))
    count = world.reader.authorities.agency_count()
    for parent in (None, world.addr("sh_pudong")):
        with pytest.raises(LedgerValueError, match="zero address"):
            world.as_("sh_admin").authorities.register_agency(ZERO_ADDRESS, SH, parent, PUDONG, "零地址")
    assert world.reader.w3.eth.get_transaction_count(world.addr("sh_admin")) == nonce
    assert world.reader.authorities.agency_count() == count


def test_the_contract_refuses_the_zero_address_sent_around_the_client(world: World) -> None:
    authorities = world.reader.authorities
    data = authorities.encode("registerAgency", ZERO_ADDRESS, SH, ZERO_ADDRESS, PUDONG, "零地址")
    with reverts(contract_errors.AuthorityRegistryInvalidAgency, agency=ZERO_ADDRESS):
        world.as_("sh_admin").transactor.send(authorities.address, data).wait()  # type: ignore[union-attr]


REGISTER_REFUSALS = [
    # (actor, parent or None for top level, province, expected error, expected arguments)
    (
        "outsider",
        None,
        SH,
        contract_errors.AuthorityRegistryUnauthorizedProvince,
        {"caller": "outsider", "province": SH},
    ),
    (
        "outsider",
        "sh_pudong",
        SH,
        contract_errors.AuthorityRegistryUnauthorized,
        {"caller": "outsider", "agency": "sh_pudong"},
    ),
    (
        "zj_amr",
        "sh_pudong",
        SH,
        contract_errors.AuthorityRegistryUnauthorized,
        {"caller": "zj_amr", "agency": "sh_pudong"},
    ),
    ("zj_amr", None, ZJ, contract_errors.AuthorityRegistryUnauthorizedProvince, {"caller": "zj_amr", "province": ZJ}),
    ("sh_amr", None, SH, contract_errors.AuthorityRegistryUnauthorizedProvince, {"caller": "sh_amr", "province": SH}),
    (
        "sh_town",
        "sh_pudong",
        SH,
        contract_errors.AuthorityRegistryUnauthorized,
        {"caller": "sh_town", "agency": "sh_pudong"},
    ),
    (
        "sh_parent_suspended",
        "sh_parent_suspended",
        SH,
        contract_errors.AuthorityRegistryUnauthorized,
        {"caller": "sh_parent_suspended", "agency": "sh_parent_suspended"},
    ),
    (
        "sh_parent_suspended",
        "sh_child_of_suspended",
        SH,
        contract_errors.AuthorityRegistryUnauthorized,
        {"caller": "sh_parent_suspended", "agency": "sh_child_of_suspended"},
    ),
    (
        "sh_child_of_suspended",
        "sh_child_of_suspended",
        SH,
        contract_errors.AuthorityRegistryUnauthorized,
        {"caller": "sh_child_of_suspended", "agency": "sh_child_of_suspended"},
    ),
    (
        "zj_admin",
        None,
        SH,
        contract_errors.AuthorityRegistryUnauthorizedProvince,
        {"caller": "zj_admin", "province": SH},
    ),
    (
        "zj_admin",
        "sh_pudong",
        SH,
        contract_errors.AuthorityRegistryUnauthorized,
        {"caller": "zj_admin", "agency": "sh_pudong"},
    ),
    (
        "bj_admin",
        None,
        SUSPENDED_PROVINCE,
        contract_errors.AuthorityRegistryProvinceNotActive,
        {"province": SUSPENDED_PROVINCE},
    ),
    (
        "bj_admin",
        "bj_amr",
        SUSPENDED_PROVINCE,
        contract_errors.AuthorityRegistryProvinceNotActive,
        {"province": SUSPENDED_PROVINCE},
    ),
    (
        "bj_admin",
        None,
        SH,
        contract_errors.AuthorityRegistryUnauthorizedProvince,
        {"caller": "bj_admin", "province": SH},
    ),
    (
        "bj_amr",
        "bj_amr",
        SUSPENDED_PROVINCE,
        contract_errors.AuthorityRegistryUnauthorized,
        {"caller": "bj_amr", "agency": "bj_amr"},
    ),
    (
        "bj_amr",
        "sh_pudong",
        SH,
        contract_errors.AuthorityRegistryUnauthorized,
        {"caller": "bj_amr", "agency": "sh_pudong"},
    ),
]


@pytest.mark.parametrize(
    ("actor", "parent", "province", "error", "expected"),
    REGISTER_REFUSALS,
    ids=[f"{a}-under-{p or prov}" for a, p, prov, _, _ in REGISTER_REFUSALS],
)
def test_register_agency_is_refused_to_accounts_without_rights(
    world: World, names: dict[str, str], actor: str, parent: str | None, province: int, error: type, expected: dict
) -> None:
    region = {SH: CHANGNING, ZJ: 330100, SUSPENDED_PROVINCE: 110101}[province]
    with reverts(error, **resolve(names, expected)):
        world.as_(actor).authorities.register_agency(
            names["new_agency"], province, names[parent] if parent else None, region, "无权登记"
        ).wait()
    assert world.reader.authorities.agency_status(names["new_agency"]) == AgencyStatus.NONE


def test_an_agency_has_at_most_max_children_direct_children(world: World) -> None:
    """Finding: any agency could add unlimited children, inflating the `agency` view every verification reads."""
    authorities = world.reader.authorities
    town = world.addr("sh_town")
    cap = authorities.max_children()
    assert cap == 256
    children = [fresh_address() for _ in range(cap)]
    admin, own = world.as_("sh_admin").authorities, world.as_("sh_town").authorities
    pending = [
        admin.register_agency(child, SH, town, PUDONG, f"第{i}监督管理站") for i, child in enumerate(children[:-1])
    ]
    world.reader.wait_all(pending)
    own.register_agency(children[-1], SH, town, PUDONG, "最后一个").wait()  # the parent itself, at the cap
    assert authorities.agency(town).children == tuple(children)

    for actor in ("sh_town", "sh_pudong", "sh_admin"):
        with reverts(contract_errors.AuthorityRegistryTooManyChildren, parent=town, children=cap, maxChildren=cap):
            world.as_(actor).authorities.register_agency(world.addr("new_agency"), SH, town, PUDONG, "多余").wait()
    assert authorities.agency_status(world.addr("new_agency")) == AgencyStatus.NONE
    # only that parent is full
    pudong = world.addr("sh_pudong")
    world.as_("sh_admin").authorities.register_agency(world.addr("new_agency"), SH, pudong, PUDONG, "下级").wait()


# ------------------------------------------------------------------------------------ suspend / reinstate agency


def test_province_admin_suspends_and_reinstates_an_agency(world: World) -> None:
    town = world.addr("sh_town")
    authorities = world.as_("sh_admin2").authorities

    receipt = authorities.suspend_agency(town, 7).wait()
    assert receipt.event("AgencySuspended").args == {"agency": town, "by": world.addr("sh_admin2"), "reason": 7}
    assert world.reader.authorities.agency_status(town) == AgencyStatus.SUSPENDED
    assert not world.reader.authorities.is_active(town)
    assert world.reader.authorities.agency(town).effectively_active is False

    receipt = authorities.reinstate_agency(town).wait()
    assert receipt.event("AgencyReinstated").args == {"agency": town, "by": world.addr("sh_admin2")}
    assert world.reader.authorities.agency_status(town) == AgencyStatus.ACTIVE
    assert world.reader.authorities.is_active(town)


def test_an_ancestor_suspends_and_reinstates_a_descendant(world: World) -> None:
    town, amr = world.addr("sh_town"), world.addr("sh_amr")

    receipt = world.as_("sh_amr").authorities.suspend_agency(town, 3).wait()
    assert receipt.event("AgencySuspended").args == {"agency": town, "by": amr, "reason": 3}
    assert world.reader.authorities.agency_status(town) == AgencyStatus.SUSPENDED

    receipt = world.as_("sh_pudong").authorities.reinstate_agency(town).wait()
    assert receipt.event("AgencyReinstated").args == {"agency": town, "by": world.addr("sh_pudong")}
    assert world.reader.authorities.is_active(town)


def test_suspending_a_parent_deactivates_its_descendants_and_reinstating_it_restores_them(world: World) -> None:
    authorities = world.reader.authorities
    amr, pudong, town = world.addr("sh_amr"), world.addr("sh_pudong"), world.addr("sh_town")

    world.as_("sh_admin").authorities.suspend_agency(amr, 1).wait()

    assert authorities.agency_status(amr) == AgencyStatus.SUSPENDED
    for descendant in (pudong, town):
        assert authorities.agency_status(descendant) == AgencyStatus.ACTIVE
        assert not authorities.is_active(descendant)
        assert authorities.agency(descendant).effectively_active is False
    with reverts(contract_errors.AuthorityRegistryUnauthorized, caller=pudong, agency=town):
        world.as_("sh_pudong").authorities.suspend_agency(town).wait()

    world.as_("sh_admin").authorities.reinstate_agency(amr).wait()

    for agency in (amr, pudong, town):
        assert authorities.agency_status(agency) == AgencyStatus.ACTIVE
        assert authorities.is_active(agency)


def test_suspending_an_agency_that_is_not_active_is_refused(world: World) -> None:
    with reverts(contract_errors.AuthorityRegistryAgencyNotActive, agency=world.addr("sh_suspended")):
        world.as_("sh_admin").authorities.suspend_agency(world.addr("sh_suspended")).wait()


def test_reinstating_an_agency_that_is_not_suspended_is_refused(world: World) -> None:
    with reverts(contract_errors.AuthorityRegistryAgencyNotSuspended, agency=world.addr("sh_child_of_suspended")):
        world.as_("sh_admin").authorities.reinstate_agency(world.addr("sh_child_of_suspended")).wait()


def test_suspending_an_unknown_agency_is_refused(world: World) -> None:
    with reverts(contract_errors.AuthorityRegistryUnknownAgency, agency=world.addr("outsider")):
        world.as_("sh_admin").authorities.suspend_agency(world.addr("outsider")).wait()


def unauthorized(actor: str, target: str) -> tuple[str, str, type, dict[str, Any]]:
    return actor, target, contract_errors.AuthorityRegistryUnauthorized, {"caller": actor, "agency": target}


BJ_ADMIN_ON_BJ_AMR = (
    "bj_admin",
    "bj_amr",
    contract_errors.AuthorityRegistryProvinceNotActive,
    {"province": SUSPENDED_PROVINCE},
)

# (actor, target agency, error, arguments): every role that must not manage the target agency.
MANAGE_REFUSALS = [
    unauthorized("outsider", "sh_town"),
    unauthorized("zj_amr", "sh_town"),
    unauthorized("sh_town", "sh_pudong"),
    unauthorized("sh_pudong", "sh_pudong"),
    unauthorized("sh_suspended", "sh_suspended"),
    unauthorized("sh_parent_suspended", "sh_child_of_suspended"),
    unauthorized("sh_child_of_suspended", "grandchild_of_suspended"),
    unauthorized("zj_admin", "sh_town"),
    unauthorized("gd_admin", "zj_amr"),
    BJ_ADMIN_ON_BJ_AMR,
    unauthorized("bj_admin", "sh_town"),
    unauthorized("bj_amr", "bj_amr"),
    unauthorized("bj_amr", "sh_town"),
]
MANAGE_IDS = [f"{actor}-on-{target}" for actor, target, _, _ in MANAGE_REFUSALS]


@pytest.mark.parametrize(("actor", "target", "error", "expected"), MANAGE_REFUSALS, ids=MANAGE_IDS)
def test_suspend_agency_is_refused_to_accounts_without_rights(
    world: World, names: dict[str, str], actor: str, target: str, error: type, expected: dict
) -> None:
    status_before = world.reader.authorities.agency_status(names[target])
    with reverts(error, **resolve(names, expected)):
        world.as_(actor).authorities.suspend_agency(names[target], 1).wait()
    assert world.reader.authorities.agency_status(names[target]) == status_before


@pytest.mark.parametrize(("actor", "target", "error", "expected"), MANAGE_REFUSALS, ids=MANAGE_IDS)
def test_reinstate_agency_is_refused_to_accounts_without_rights(
    world: World, names: dict[str, str], actor: str, target: str, error: type, expected: dict
) -> None:
    agency = names[target]
    if target == "bj_amr":  # its province is suspended: suspend the agency while the province is reinstated
        consortium = world.reader.consortium
        world.govern(consortium.address, consortium.encode("reinstateProvince", SUSPENDED_PROVINCE))
        world.as_("bj_admin").authorities.suspend_agency(agency, 1).wait()
        world.govern(consortium.address, consortium.encode("suspendProvince", SUSPENDED_PROVINCE))
    elif world.reader.authorities.agency_status(agency) == AgencyStatus.ACTIVE:
        world.as_("zj_admin" if target == "zj_amr" else "sh_admin").authorities.suspend_agency(agency, 1).wait()

    with reverts(error, **resolve(names, expected)):
        world.as_(actor).authorities.reinstate_agency(agency).wait()
    assert world.reader.authorities.agency_status(agency) == AgencyStatus.SUSPENDED


# ------------------------------------------------------------------------------------------ certificate types


def test_province_admin_grants_and_revokes_a_certificate_type(world: World) -> None:
    pudong, admin = world.addr("sh_pudong"), world.addr("sh_admin")

    receipt = world.as_("sh_admin").authorities.grant_certificate_type(pudong, FOOD).wait()
    assert receipt.event("CertificateTypeGranted").args == {
        "agency": pudong,
        "certificateType": encode_code(FOOD),
        "by": admin,
    }
    assert world.reader.authorities.is_granted(pudong, FOOD)
    assert world.reader.authorities.agency(pudong).certificate_types == (LICENCE, FOOD)

    receipt = world.as_("sh_admin").authorities.revoke_certificate_type(pudong, FOOD).wait()
    assert receipt.event("CertificateTypeRevoked").args == {
        "agency": pudong,
        "certificateType": encode_code(FOOD),
        "by": admin,
    }
    assert not world.reader.authorities.is_granted(pudong, FOOD)
    assert world.reader.authorities.agency(pudong).certificate_types == (LICENCE,)


def test_an_ancestor_grants_and_revokes_a_type_it_holds(world: World) -> None:
    town, amr = world.addr("sh_town"), world.addr("sh_amr")

    receipt = world.as_("sh_amr").authorities.grant_certificate_type(town, FOOD).wait()
    assert receipt.event("CertificateTypeGranted").args == {
        "agency": town,
        "certificateType": encode_code(FOOD),
        "by": amr,
    }
    assert world.reader.authorities.is_granted(town, FOOD)

    receipt = world.as_("sh_amr").authorities.revoke_certificate_type(town, FOOD).wait()
    assert receipt.event("CertificateTypeRevoked").args["by"] == amr
    assert not world.reader.authorities.is_granted(town, FOOD)


def test_an_ancestor_may_not_grant_a_type_it_does_not_hold(world: World) -> None:
    assert not world.reader.authorities.is_granted(world.addr("sh_pudong"), FOOD)
    with reverts(
        contract_errors.AuthorityRegistryTypeNotGranted,
        agency=world.addr("sh_pudong"),
        certificateType=encode_code(FOOD),
    ):
        world.as_("sh_pudong").authorities.grant_certificate_type(world.addr("sh_town"), FOOD).wait()
    assert not world.reader.authorities.is_granted(world.addr("sh_town"), FOOD)


def test_granting_a_type_already_granted_is_refused(world: World) -> None:
    town = world.addr("sh_town")
    with reverts(
        contract_errors.AuthorityRegistryTypeAlreadyGranted, agency=town, certificateType=encode_code(LICENCE)
    ):
        world.as_("sh_admin").authorities.grant_certificate_type(town, LICENCE).wait()


def test_revoking_a_type_not_granted_is_refused(world: World) -> None:
    town = world.addr("sh_town")
    with reverts(contract_errors.AuthorityRegistryTypeNotGranted, agency=town, certificateType=encode_code(FOOD)):
        world.as_("sh_admin").authorities.revoke_certificate_type(town, FOOD).wait()


@pytest.mark.parametrize("suspended", [False, True], ids=["active agency", "suspended agency"])
def test_a_province_admin_who_is_also_an_agency_elsewhere_grants_as_admin(world: World, suspended: bool) -> None:
    # zj_admin is registered as an agency of Shanghai holding no types; as Zhejiang's admin it still grants.
    zj_admin, zj_amr = world.addr("zj_admin"), world.addr("zj_amr")
    world.as_("sh_admin").authorities.register_agency(zj_admin, SH, None, 310101, "驻沪办事处").wait()
    if suspended:
        world.as_("sh_admin").authorities.suspend_agency(zj_admin, 1).wait()
    assert world.reader.authorities.agency(zj_admin).certificate_types == ()

    receipt = world.as_("zj_admin").authorities.grant_certificate_type(zj_amr, FOOD).wait()

    assert receipt.event("CertificateTypeGranted").args == {
        "agency": zj_amr,
        "certificateType": encode_code(FOOD),
        "by": zj_admin,
    }
    assert world.reader.authorities.is_granted(zj_amr, FOOD)
    assert not world.reader.authorities.is_granted(zj_admin, FOOD)


def test_an_agency_that_is_not_an_admin_still_grants_only_types_it_holds(world: World) -> None:
    # the admin exemption does not extend to an agency of the same province acting as an ancestor
    amr, town = world.addr("sh_amr"), world.addr("sh_town")
    world.as_("sh_admin").authorities.revoke_certificate_type(amr, FOOD).wait()
    with reverts(contract_errors.AuthorityRegistryTypeNotGranted, agency=amr, certificateType=encode_code(FOOD)):
        world.as_("sh_amr").authorities.grant_certificate_type(town, FOOD).wait()


@pytest.mark.parametrize(("actor", "target", "error", "expected"), MANAGE_REFUSALS, ids=MANAGE_IDS)
def test_grant_certificate_type_is_refused_to_accounts_without_rights(
    world: World, names: dict[str, str], actor: str, target: str, error: type, expected: dict
) -> None:
    with reverts(error, **resolve(names, expected)):
        world.as_(actor).authorities.grant_certificate_type(names[target], FOOD).wait()
    assert not world.reader.authorities.is_granted(names[target], FOOD)


@pytest.mark.parametrize(("actor", "target", "error", "expected"), MANAGE_REFUSALS, ids=MANAGE_IDS)
def test_revoke_certificate_type_is_refused_to_accounts_without_rights(
    world: World, names: dict[str, str], actor: str, target: str, error: type, expected: dict
) -> None:
    with reverts(error, **resolve(names, expected)):
        world.as_(actor).authorities.revoke_certificate_type(names[target], LICENCE).wait()
    assert world.reader.authorities.is_granted(names[target], LICENCE)


# ------------------------------------------------------------------------------------------------ signing keys


def ed25519() -> SigningKeyPair:
    return generate(KeyAlgorithm.ED25519)


def shaped_proof(algorithm: KeyAlgorithm) -> bytes:
    """Bytes with the shape of a signature of `algorithm` (all the registry can check) but proving nothing."""
    if algorithm is KeyAlgorithm.SM2:
        return bytes.fromhex("3044" + "0220" + "11" * 32 + "0220" + "22" * 32)
    return b"\x33" * 64


def raw_add_signing_key(
    world: World,
    actor: str,
    agency: str,
    algorithm: KeyAlgorithm,
    public_key: bytes,
    valid_from: int = 0,
    valid_until: int = 0,
    proof: bytes | None = None,
) -> PendingTransaction:
    """`addSigningKey` sent as is, around the client's check of the proof, to reach the registry's own checks."""
    client = world.as_(actor)
    proof = shaped_proof(algorithm) if proof is None else proof
    args = (agency, int(algorithm), public_key, valid_from, valid_until, proof)
    assert client.transactor is not None
    return client.transactor.send(client.authorities.address, client.authorities.encode("addSigningKey", *args))


def registry_key_id(agency: str, algorithm: KeyAlgorithm, public_key: bytes) -> bytes:
    """`keccak256(abi.encodePacked(agency, algorithm, key))`, computed here independently of `ledger.keys.signing`."""
    return keccak(bytes.fromhex(agency[2:]) + bytes([int(algorithm)]) + public_key)


def possession(world: World, agency: str, key: SigningKeyPair) -> bytes:
    return sign_proof_of_possession(
        key, chain_id=world.deployment.chain_id, registry=world.reader.authorities.address, agency=agency
    )


def test_an_agency_adds_its_own_ed25519_key_with_its_proof_of_possession(world: World) -> None:
    town = world.addr("sh_town")
    key = ed25519()
    key_id = registry_key_id(town, KeyAlgorithm.ED25519, key.public_key)

    receipt = world.as_("sh_town").authorities.add_signing_key(town, key).wait()

    now = block_time(world, receipt)
    args = receipt.event("SigningKeyAdded").args
    assert args == {
        "agency": town,
        "keyId": key_id,
        "algorithm": KeyAlgorithm.ED25519,
        "validFrom": now,
        "validUntil": NO_END,
        "publicKey": key.public_key,
        "proofOfPossession": possession(world, town, key),
    }
    assert key.key_id_for(town) == key_id
    assert world.reader.authorities.key_id_of(town, KeyAlgorithm.ED25519, key.public_key) == key_id
    message = world.reader.authorities.proof_of_possession_message(town, key_id)
    assert len(message) == 136
    assert verify(KeyAlgorithm.ED25519, key.public_key, message, args["proofOfPossession"])
    assert verify_proof_of_possession(
        KeyAlgorithm.ED25519,
        args["publicKey"],
        args["proofOfPossession"],
        chain_id=world.deployment.chain_id,
        registry=world.reader.authorities.address,
        agency=town,
    )
    registered = world.reader.authorities.signing_key(key_id)
    assert (registered.key_id, registered.agency, registered.algorithm) == (key_id, town, KeyAlgorithm.ED25519)
    assert (registered.valid_from, registered.valid_until, registered.public_key) == (now, NO_END, key.public_key)
    assert world.reader.authorities.signing_keys_of(town) == [key_id]
    assert world.reader.authorities.is_key_valid_at(town, key_id, now)
    assert world.reader.authorities.signing_key_revoked_at(key_id) is None


@pytest.mark.parametrize("form", [64, 65], ids=["64-bytes", "65-bytes"])
def test_a_province_admin_adds_an_sm2_key_for_an_agency_stored_in_its_64_byte_form(world: World, form: int) -> None:
    """The key's holder signs the proof; the admin who registers it need not hold the key."""
    town = world.addr("sh_town")
    key = generate(KeyAlgorithm.SM2)
    public_key = key.public_key if form == 64 else b"\x04" + key.public_key
    key_id = registry_key_id(town, KeyAlgorithm.SM2, key.public_key)
    now = world.now()
    receipt = (
        world.as_("sh_admin")
        .authorities.add_signing_key_with_proof(
            town, KeyAlgorithm.SM2, public_key, possession(world, town, key), now + 10, now + 1000
        )
        .wait()
    )

    args = receipt.event("SigningKeyAdded").args
    assert (args["agency"], args["keyId"], args["algorithm"]) == (town, key_id, KeyAlgorithm.SM2)
    assert (args["validFrom"], args["validUntil"], args["publicKey"]) == (now + 10, now + 1000, key.public_key)
    registered = world.reader.authorities.signing_key(key_id)
    assert (registered.agency, registered.algorithm, registered.public_key) == (town, KeyAlgorithm.SM2, key.public_key)
    assert (registered.valid_from, registered.valid_until) == (now + 10, now + 1000)
    assert world.reader.authorities.key_id_of(town, KeyAlgorithm.SM2, public_key) == key_id == key.key_id_for(town)
    assert world.reader.authorities.is_key_valid_at(town, key_id, now + 10)


@pytest.mark.parametrize("first", [64, 65], ids=["64-then-65", "65-then-64"])
def test_the_two_forms_of_one_sm2_key_are_one_key(world: World, first: int) -> None:
    town = world.addr("sh_town")
    key = generate(KeyAlgorithm.SM2)
    forms = {64: key.public_key, 65: b"\x04" + key.public_key}
    second = 65 if first == 64 else 64
    proof = possession(world, town, key)
    world.as_("sh_town").authorities.add_signing_key_with_proof(town, KeyAlgorithm.SM2, forms[first], proof).wait()
    with reverts(contract_errors.AuthorityRegistryKeyExists, keyId=key.key_id_for(town)):
        world.as_("sh_admin").authorities.add_signing_key_with_proof(
            town, KeyAlgorithm.SM2, forms[second], proof
        ).wait()
    assert world.reader.authorities.signing_keys_of(town) == [key.key_id_for(town)]


def test_another_agency_can_neither_take_a_keys_id_nor_block_its_registration(world: World) -> None:
    """Finding: any agency could register another agency's public key first. Ids are per agency now, and a
    registration without a proof by the key is refused by the client and recognisable on chain."""
    town, zj_amr = world.addr("sh_town"), world.addr("zj_amr")
    key = ed25519()
    nonce = nothing_sent(world, "zj_amr")
    with pytest.raises(ProofOfPossessionError):
        world.as_("zj_amr").authorities.add_signing_key_with_proof(
            zj_amr, KeyAlgorithm.ED25519, key.public_key, shaped_proof(KeyAlgorithm.ED25519)
        )
    assert nothing_sent(world, "zj_amr") == nonce
    # Sent around the client, the registry takes the key under zj_amr's own id, with a proof that does not verify.
    squat = raw_add_signing_key(world, "zj_amr", zj_amr, KeyAlgorithm.ED25519, key.public_key).wait()
    squatted = squat.event("SigningKeyAdded").args
    assert squatted["keyId"] == key.key_id_for(zj_amr) != key.key_id_for(town)
    assert not verify_proof_of_possession(
        KeyAlgorithm.ED25519,
        squatted["publicKey"],
        squatted["proofOfPossession"],
        chain_id=world.deployment.chain_id,
        registry=world.reader.authorities.address,
        agency=zj_amr,
    )

    receipt = world.as_("sh_town").authorities.add_signing_key(town, key).wait()

    assert receipt.event("SigningKeyAdded").args["keyId"] == key.key_id_for(town)
    assert world.reader.authorities.signing_key(key.key_id_for(town)).agency == town
    assert not world.reader.authorities.is_key_valid_at(town, key.key_id_for(zj_amr), world.now())


def test_a_key_registered_twice_for_one_agency_is_refused(world: World) -> None:
    town, key = world.addr("sh_town"), ed25519()
    world.as_("sh_town").authorities.add_signing_key(town, key).wait()
    with reverts(contract_errors.AuthorityRegistryKeyExists, keyId=key.key_id_for(town)):
        world.as_("sh_admin").authorities.add_signing_key(town, key).wait()


def proof_variants(world: World, agency: str, key: SigningKeyPair) -> dict[str, bytes]:
    """Proofs of possession that must not pass for `key` registered for `agency` here."""
    chain_id, registry = world.deployment.chain_id, world.reader.authorities.address
    other = ed25519() if key.algorithm is KeyAlgorithm.ED25519 else generate(KeyAlgorithm.SM2)
    good = possession(world, agency, key)
    return {
        "another-agency": sign_proof_of_possession(
            key, chain_id=chain_id, registry=registry, agency=world.addr("zj_amr")
        ),
        "another-chain": sign_proof_of_possession(key, chain_id=chain_id + 1, registry=registry, agency=agency),
        "another-registry": sign_proof_of_possession(
            key, chain_id=chain_id, registry=world.reader.certificates.address, agency=agency
        ),
        "another-key": sign_proof_of_possession(other, chain_id=chain_id, registry=registry, agency=agency),
        "the-root-signature-instead": sign(key, keccak(b"root")),
        "tampered": good[:-1] + bytes([good[-1] ^ 1]),
        "empty": b"",
    }


@pytest.mark.parametrize("algorithm", [KeyAlgorithm.ED25519, KeyAlgorithm.SM2], ids=["Ed25519", "SM2"])
def test_the_client_refuses_to_register_a_key_without_a_valid_proof_of_possession(
    world: World, algorithm: KeyAlgorithm
) -> None:
    town = world.addr("sh_town")
    key = generate(algorithm)
    before = nothing_sent(world, "sh_admin")
    for name, proof in proof_variants(world, town, key).items():
        with pytest.raises(ProofOfPossessionError, match="proof of possession"):
            world.as_("sh_admin").authorities.add_signing_key_with_proof(town, algorithm, key.public_key, proof)
        assert nothing_sent(world, "sh_admin") == before, name
    assert world.reader.authorities.signing_keys_of(town) == []


def test_add_signing_key_takes_a_key_pair(world: World) -> None:
    old_style: list[Any] = [world.addr("sh_town"), KeyAlgorithm.ED25519, os.urandom(32)]
    with pytest.raises(LedgerValueError, match="SigningKeyPair"):
        world.as_("sh_town").authorities.add_signing_key(*old_style)


@pytest.mark.parametrize(
    ("algorithm", "proof"),
    [
        (KeyAlgorithm.ED25519, b""),
        (KeyAlgorithm.ED25519, b"\x01" * 63),
        (KeyAlgorithm.ED25519, shaped_proof(KeyAlgorithm.SM2)),
        (KeyAlgorithm.SM2, b""),
        (KeyAlgorithm.SM2, shaped_proof(KeyAlgorithm.ED25519)),
        (KeyAlgorithm.SM2, b"\x30\x05" + b"\x02" * 4),
    ],
    ids=["ed25519-empty", "ed25519-63", "ed25519-der", "sm2-empty", "sm2-64-raw", "sm2-bad-length-byte"],
)
def test_the_registry_refuses_a_proof_not_shaped_as_a_signature(
    world: World, algorithm: KeyAlgorithm, proof: bytes
) -> None:
    town = world.addr("sh_town")
    public_key = generate(algorithm).public_key
    key_id = registry_key_id(town, algorithm, public_key)
    with reverts(contract_errors.AuthorityRegistryInvalidKeyProof, keyId=key_id, length=len(proof)):
        raw_add_signing_key(world, "sh_town", town, algorithm, public_key, proof=proof).wait()
    assert world.reader.authorities.signing_keys_of(town) == []


@pytest.mark.parametrize(
    ("algorithm", "public_key"),
    [
        (KeyAlgorithm.ED25519, os.urandom(31)),
        (KeyAlgorithm.ED25519, os.urandom(33)),
        (KeyAlgorithm.ED25519, os.urandom(64)),
        (KeyAlgorithm.SM2, os.urandom(32)),
        (KeyAlgorithm.SM2, os.urandom(63)),
        (KeyAlgorithm.SM2, b"\x02" + os.urandom(64)),
        (KeyAlgorithm.SM2, b"\x04" + os.urandom(65)),
        (KeyAlgorithm.NONE, os.urandom(32)),
    ],
    ids=["ed25519-31", "ed25519-33", "ed25519-64", "sm2-32", "sm2-63", "sm2-65-not-uncompressed", "sm2-66", "none"],
)
def test_a_key_of_the_wrong_length_or_algorithm_is_refused(
    world: World, algorithm: KeyAlgorithm, public_key: bytes
) -> None:
    town = world.addr("sh_town")
    with pytest.raises(LedgerValueError):  # the client cannot even check a proof for it
        world.as_("sh_town").authorities.add_signing_key_with_proof(
            town, algorithm, public_key, shaped_proof(KeyAlgorithm.ED25519)
        )
    with reverts(contract_errors.AuthorityRegistryInvalidKey, keyId=registry_key_id(town, algorithm, public_key)):
        raw_add_signing_key(world, "sh_town", town, algorithm, public_key).wait()
    assert world.reader.authorities.signing_keys_of(town) == []


def test_a_key_window_that_ends_before_it_starts_is_refused(world: World) -> None:
    now = world.now()
    with reverts(contract_errors.AuthorityRegistryInvalidKeyWindow, validFrom=now + 100, validUntil=now + 100):
        world.as_("sh_town").authorities.add_signing_key(world.addr("sh_town"), ed25519(), now + 100, now + 100).wait()


@pytest.mark.parametrize("actor", ["sh_town", "sh_admin"])
@pytest.mark.parametrize(("back", "until"), [(1, 0), (3_600, 0), (3_600, 60)], ids=["1s", "1h", "1h-ends-later"])
def test_a_key_window_that_starts_in_the_past_is_refused(world: World, actor: str, back: int, until: int) -> None:
    now = world.now()
    valid_until = now + until if until else 0
    with reverts(
        contract_errors.AuthorityRegistryInvalidKeyWindow,
        validFrom=now - back,
        validUntil=valid_until or NO_END,
    ):
        world.as_(actor).authorities.add_signing_key(world.addr("sh_town"), ed25519(), now - back, valid_until).wait()
    assert world.reader.authorities.signing_keys_of(world.addr("sh_town")) == []


def test_a_key_window_may_start_at_the_block_that_registers_it(world: World) -> None:
    town = world.addr("sh_town")
    at = world.now() + 5
    world.rpc("evm_setNextBlockTimestamp", [at])
    receipt = world.as_("sh_town").authorities.add_signing_key(town, ed25519(), at).wait()
    assert block_time(world, receipt) == at
    key = world.reader.authorities.signing_key(receipt.event("SigningKeyAdded").args["keyId"])
    assert (key.valid_from, key.valid_until) == (at, NO_END)


def test_a_key_window_that_starts_now_is_refused_once_mined_later(world: World) -> None:
    """A window starting at the latest block's time passes the estimate but is in the past when mined later."""
    town = world.addr("sh_town")
    now = world.now()
    world.rpc("evm_setNextBlockTimestamp", [now + 2])
    with reverts(contract_errors.AuthorityRegistryInvalidKeyWindow, validFrom=now, validUntil=NO_END):
        world.as_("sh_town").authorities.add_signing_key(town, ed25519(), now).wait()


def test_an_unknown_key_cannot_be_read(world: World) -> None:
    key_id = keccak(os.urandom(32))
    with reverts(contract_errors.AuthorityRegistryUnknownKey, keyId=key_id):
        world.reader.authorities.signing_key(key_id)
    with reverts(contract_errors.AuthorityRegistryUnknownKey, keyId=key_id):
        world.reader.authorities.signing_key_revoked_at(key_id)


def key_unauthorized(actor: str, target: str) -> tuple[str, str, type, dict[str, Any]]:
    return actor, target, contract_errors.AuthorityRegistryUnauthorized, {"caller": actor, "agency": target}


def key_inactive(actor: str) -> tuple[str, str, type, dict[str, Any]]:
    return actor, actor, contract_errors.AuthorityRegistryAgencyNotActive, {"agency": actor}


# (actor, key's agency, error, arguments): only the agency itself (effectively active) and its province's admins.
KEY_REFUSALS = [
    key_unauthorized("outsider", "sh_town"),
    key_unauthorized("sh_pudong", "sh_town"),
    key_unauthorized("sh_amr", "sh_town"),
    key_unauthorized("zj_amr", "sh_town"),
    key_inactive("sh_suspended"),
    key_unauthorized("sh_parent_suspended", "sh_child_of_suspended"),
    key_inactive("sh_child_of_suspended"),
    key_unauthorized("zj_admin", "sh_town"),
    BJ_ADMIN_ON_BJ_AMR,
    key_unauthorized("bj_admin", "sh_town"),
    key_inactive("bj_amr"),
    key_unauthorized("bj_amr", "sh_town"),
]
KEY_IDS = [f"{actor}-for-{target}" for actor, target, _, _ in KEY_REFUSALS]


@pytest.mark.parametrize(("actor", "target", "error", "expected"), KEY_REFUSALS, ids=KEY_IDS)
def test_add_signing_key_is_refused_to_accounts_without_rights(
    world: World, names: dict[str, str], actor: str, target: str, error: type, expected: dict
) -> None:
    with reverts(error, **resolve(names, expected)):
        world.as_(actor).authorities.add_signing_key(names[target], ed25519()).wait()
    assert world.reader.authorities.signing_keys_of(names[target]) == []


def test_an_agency_revokes_its_own_key(world: World) -> None:
    town = world.addr("sh_town")
    receipt = world.as_("sh_town").authorities.add_signing_key(town, ed25519()).wait()
    key_id = receipt.event("SigningKeyAdded").args["keyId"]
    added_at = block_time(world, receipt)
    world.advance(60)

    receipt = world.as_("sh_town").authorities.revoke_signing_key(key_id).wait()

    revoked_at = block_time(world, receipt)
    assert receipt.event("SigningKeyRevoked").args == {"agency": town, "keyId": key_id, "validUntil": revoked_at}
    key = world.reader.authorities.signing_key(key_id)
    assert (key.valid_from, key.valid_until) == (added_at, revoked_at)
    assert world.reader.authorities.signing_key_revoked_at(key_id) == revoked_at
    assert world.reader.authorities.is_key_valid_at(town, key_id, revoked_at - 1)
    assert not world.reader.authorities.is_key_valid_at(town, key_id, revoked_at)
    with reverts(contract_errors.AuthorityRegistryInvalidKeyWindow, validFrom=added_at, validUntil=revoked_at):
        world.as_("sh_town").authorities.revoke_signing_key(key_id).wait()


def test_a_province_admin_revokes_an_agencys_key_even_after_the_agency_is_suspended(world: World) -> None:
    town = world.addr("sh_town")
    receipt = world.as_("sh_town").authorities.add_signing_key(town, ed25519()).wait()
    key_id = receipt.event("SigningKeyAdded").args["keyId"]
    world.as_("sh_admin").authorities.suspend_agency(town, 9).wait()

    with reverts(contract_errors.AuthorityRegistryAgencyNotActive, agency=town):
        world.as_("sh_town").authorities.revoke_signing_key(key_id).wait()
    receipt = world.as_("sh_admin2").authorities.revoke_signing_key(key_id).wait()

    revoked_at = block_time(world, receipt)
    assert receipt.event("SigningKeyRevoked").args == {"agency": town, "keyId": key_id, "validUntil": revoked_at}
    assert world.reader.authorities.signing_key(key_id).valid_until == revoked_at


def test_revoking_an_unknown_key_is_refused(world: World) -> None:
    key_id = keccak(os.urandom(32))
    with reverts(contract_errors.AuthorityRegistryUnknownKey, keyId=key_id):
        world.as_("sh_admin").authorities.revoke_signing_key(key_id).wait()


@pytest.mark.parametrize(("actor", "target", "error", "expected"), KEY_REFUSALS, ids=KEY_IDS)
def test_revoke_signing_key_is_refused_to_accounts_without_rights(
    world: World, names: dict[str, str], actor: str, target: str, error: type, expected: dict
) -> None:
    agency = names[target]
    key = ed25519()
    key_id = key.key_id_for(agency)
    if target == "bj_amr":  # the province is suspended: the key is added while it is reinstated
        consortium = world.reader.consortium
        world.govern(consortium.address, consortium.encode("reinstateProvince", SUSPENDED_PROVINCE))
        world.as_("bj_amr").authorities.add_signing_key(agency, key).wait()
        world.govern(consortium.address, consortium.encode("suspendProvince", SUSPENDED_PROVINCE))
    else:
        world.as_("sh_admin").authorities.add_signing_key(agency, key).wait()

    with reverts(error, **resolve(names, expected)):
        world.as_(actor).authorities.revoke_signing_key(key_id).wait()
    assert world.reader.authorities.signing_key(key_id).valid_until == NO_END


def test_a_key_is_valid_only_inside_its_window(world: World) -> None:
    town = world.addr("sh_town")
    start = world.now() + 100
    receipt = world.as_("sh_town").authorities.add_signing_key(town, ed25519(), start, start + 100).wait()
    key_id = receipt.event("SigningKeyAdded").args["keyId"]
    authorities = world.reader.authorities

    assert [authorities.is_key_valid_at(town, key_id, t) for t in (start - 1, start, start + 99, start + 100)] == [
        False,
        True,
        True,
        False,
    ]
    assert not authorities.is_key_valid_at(world.addr("sh_pudong"), key_id, start)
    assert not authorities.is_key_valid_at(town, keccak(b"unknown"), start)
    world.advance(300)
    assert authorities.signing_key_revoked_at(key_id) is None  # its window ended; it was never revoked


# --------------------------------------------------------------------------------------------- history views


def test_was_active_at_follows_the_agencys_and_its_ancestors_history(world: World) -> None:
    authorities = world.reader.authorities
    pudong, town = world.addr("sh_pudong"), world.addr("sh_town")
    before = world.now()
    world.advance(10)
    suspended_at = block_time(world, world.as_("sh_admin").authorities.suspend_agency(pudong).wait())
    world.advance(10)
    reinstated_at = block_time(world, world.as_("sh_admin").authorities.reinstate_agency(pudong).wait())
    world.advance(10)

    for agency in (pudong, town):
        history = [authorities.was_active_at(agency, t) for t in (before, suspended_at, reinstated_at - 1)]
        assert [*history, authorities.was_active_at(agency, reinstated_at)] == [True, False, False, True]
    assert authorities.was_active_at(world.addr("sh_amr"), suspended_at)
    assert not authorities.was_active_at(world.addr("outsider"), before)


def test_was_active_at_is_false_before_registration(world: World) -> None:
    agency = world.addr("new_agency")
    before = world.now()
    world.advance(10)
    registered_at = block_time(
        world, world.as_("sh_admin").authorities.register_agency(agency, SH, None, 310101, "新机构").wait()
    )
    assert not world.reader.authorities.was_active_at(agency, before)
    assert world.reader.authorities.was_active_at(agency, registered_at)


def test_was_active_at_follows_the_provinces_history(world: World) -> None:
    bj_amr = world.addr("bj_amr")
    consortium = world.reader.consortium
    world.advance(10)
    world.govern(consortium.address, consortium.encode("reinstateProvince", SUSPENDED_PROVINCE))
    reinstated_at = consortium.province(SUSPENDED_PROVINCE).status_since
    world.advance(10)
    world.govern(consortium.address, consortium.encode("suspendProvince", SUSPENDED_PROVINCE))
    suspended_at = consortium.province(SUSPENDED_PROVINCE).status_since
    world.advance(10)

    authorities = world.reader.authorities
    assert authorities.agency_status(bj_amr) == AgencyStatus.ACTIVE
    moments = (reinstated_at - 1, reinstated_at, suspended_at - 1, suspended_at, world.now())
    assert [authorities.was_active_at(bj_amr, t) for t in moments] == [False, True, True, False, False]


def test_was_granted_at_and_can_issue_at_follow_grants_and_suspensions(world: World) -> None:
    authorities = world.reader.authorities
    pudong = world.addr("sh_pudong")
    world.advance(10)
    granted_at = block_time(world, world.as_("sh_admin").authorities.grant_certificate_type(pudong, FOOD).wait())
    world.advance(10)
    revoked_at = block_time(world, world.as_("sh_admin").authorities.revoke_certificate_type(pudong, FOOD).wait())
    world.advance(10)
    suspended_at = block_time(world, world.as_("sh_admin").authorities.suspend_agency(world.addr("sh_amr")).wait())
    world.advance(10)

    moments = (granted_at - 1, granted_at, revoked_at - 1, revoked_at)
    assert [authorities.was_granted_at(pudong, FOOD, t) for t in moments] == [False, True, True, False]
    assert [authorities.can_issue_at(pudong, FOOD, t) for t in moments] == [False, True, True, False]
    assert authorities.was_granted_at(pudong, LICENCE, suspended_at)
    assert authorities.can_issue_at(pudong, LICENCE, suspended_at - 1)
    assert not authorities.can_issue_at(pudong, LICENCE, suspended_at)
    assert not authorities.can_issue_at(world.addr("bj_amr"), LICENCE, world.now())


# ------------------------------------------------------------------------------ membership epochs of provinces

GD = 440000
GUANGZHOU = 440100


@dataclass
class Readmitted:
    """广东省 removed and admitted again (same admin account): `gd_amr` and its child `child` belong to the first
    membership. `key_id` is a key of `gd_amr` added before the removal; `before` a time when all were active."""

    child: str
    key_id: bytes
    before: int
    removed_at: int
    readmitted_at: int


@pytest.fixture
def readmitted(world: World) -> Readmitted:
    gd_amr, child = world.addr("gd_amr"), fresh_address()
    world.as_("gd_amr").authorities.register_agency(child, GD, gd_amr, GUANGZHOU, "广州市市场监督管理局").wait()
    receipt = world.as_("gd_amr").authorities.add_signing_key(gd_amr, generate(KeyAlgorithm.ED25519)).wait()
    before = block_time(world, receipt)
    world.advance(10)
    consortium = world.reader.consortium
    removed = world.govern(consortium.address, consortium.encode("removeProvince", GD))
    world.advance(10)
    admitted = world.govern(
        consortium.address, consortium.encode("admitProvince", GD, "广东省", [world.addr("gd_admin")])
    )
    world.advance(10)
    return Readmitted(
        child,
        receipt.event("SigningKeyAdded").args["keyId"],
        before,
        block_time(world, removed),
        block_time(world, admitted),
    )


def test_agencies_of_a_readmitted_province_stay_inactive(world: World, readmitted: Readmitted) -> None:
    authorities, consortium = world.reader.authorities, world.reader.consortium
    gd_amr, gd_admin = world.addr("gd_amr"), world.addr("gd_admin")
    assert consortium.province_epoch(GD) == (2, True)
    assert consortium.province(GD).admins == (gd_admin,)

    for agency in (gd_amr, readmitted.child):
        assert authorities.agency_status(agency) == AgencyStatus.ACTIVE  # their own status never changed
        assert not authorities.is_active(agency)
        assert authorities.agency(agency).effectively_active is False
        assert authorities.agency_province(agency) == GD
    assert not authorities.can_manage_certificates_of(gd_admin, gd_amr)
    assert not authorities.can_manage_certificates_of(gd_amr, gd_amr)
    assert not authorities.can_manage_certificates_of(gd_admin, readmitted.child)


def test_was_active_at_keeps_the_first_membership_and_ignores_the_second(world: World, readmitted: Readmitted) -> None:
    authorities = world.reader.authorities
    moments = (
        readmitted.before,
        readmitted.removed_at - 1,
        readmitted.removed_at,
        readmitted.readmitted_at - 1,
        readmitted.readmitted_at,
        world.now(),
    )
    expected = [True, True, False, False, False, False]
    for agency in (world.addr("gd_amr"), readmitted.child):
        assert [authorities.was_active_at(agency, t) for t in moments] == expected
    assert [authorities.can_issue_at(world.addr("gd_amr"), LICENCE, t) for t in moments] == expected
    assert authorities.was_granted_at(world.addr("gd_amr"), LICENCE, world.now())
    # the key stays valid inside its window: only the agency's activity ends with its membership
    assert authorities.is_key_valid_at(world.addr("gd_amr"), readmitted.key_id, world.now())


STALE_ADMIN_ACTIONS = {
    "suspend_agency": lambda w, a, r: a.suspend_agency(w.addr("gd_amr"), 1),
    "reinstate_agency": lambda w, a, r: a.reinstate_agency(w.addr("gd_amr")),
    "grant_certificate_type": lambda w, a, r: a.grant_certificate_type(w.addr("gd_amr"), FOOD),
    "revoke_certificate_type": lambda w, a, r: a.revoke_certificate_type(w.addr("gd_amr"), LICENCE),
    "add_signing_key": lambda w, a, r: a.add_signing_key(w.addr("gd_amr"), generate(KeyAlgorithm.ED25519)),
    "revoke_signing_key": lambda w, a, r: a.revoke_signing_key(r.key_id),
    "register_agency": lambda w, a, r: a.register_agency(fresh_address(), GD, w.addr("gd_amr"), GUANGZHOU, "下级"),
}


@pytest.mark.parametrize("action", list(STALE_ADMIN_ACTIONS))
def test_an_admin_of_the_new_membership_cannot_manage_an_agency_of_the_old_one(
    world: World, readmitted: Readmitted, action: str
) -> None:
    gd_amr = world.addr("gd_amr")
    count = world.reader.authorities.agency_count()
    with reverts(contract_errors.AuthorityRegistryStaleAgency, agency=gd_amr, province=GD):
        STALE_ADMIN_ACTIONS[action](world, world.as_("gd_admin").authorities, readmitted)
    with reverts(contract_errors.AuthorityRegistryStaleAgency, agency=readmitted.child, province=GD):
        world.as_("gd_admin").authorities.suspend_agency(readmitted.child, 1).wait()
    authorities = world.reader.authorities
    assert authorities.agency(gd_amr).certificate_types == (LICENCE,)
    assert authorities.agency_status(gd_amr) == AgencyStatus.ACTIVE
    assert authorities.signing_keys_of(gd_amr) == [readmitted.key_id]
    assert authorities.agency_count() == count


def test_an_agency_of_the_old_membership_can_no_longer_act(world: World, readmitted: Readmitted) -> None:
    gd_amr = world.addr("gd_amr")
    own = world.as_("gd_amr").authorities
    with reverts(contract_errors.AuthorityRegistryAgencyNotActive, agency=gd_amr):
        own.add_signing_key(gd_amr, generate(KeyAlgorithm.ED25519)).wait()
    with reverts(contract_errors.AuthorityRegistryAgencyNotActive, agency=gd_amr):
        own.revoke_signing_key(readmitted.key_id).wait()
    with reverts(contract_errors.AuthorityRegistryUnauthorized, caller=gd_amr, agency=gd_amr):
        own.register_agency(fresh_address(), GD, gd_amr, GUANGZHOU, "下级").wait()
    with reverts(contract_errors.AuthorityRegistryUnauthorized, caller=gd_amr, agency=readmitted.child):
        own.suspend_agency(readmitted.child, 1).wait()


def test_an_agency_of_the_old_membership_cannot_be_registered_again(world: World, readmitted: Readmitted) -> None:
    with reverts(contract_errors.AuthorityRegistryAgencyExists, agency=world.addr("gd_amr")):
        world.as_("gd_admin").authorities.register_agency(
            world.addr("gd_amr"), GD, None, GD, "广东省市场监督管理局"
        ).wait()


def test_the_new_membership_registers_and_manages_its_own_agencies(world: World, readmitted: Readmitted) -> None:
    authorities, agency = world.reader.authorities, world.addr("new_agency")
    receipt = world.as_("gd_admin").authorities.register_agency(agency, GD, None, GUANGZHOU, "广州市").wait()
    world.as_("gd_admin").authorities.grant_certificate_type(agency, LICENCE).wait()
    assert authorities.is_active(agency)
    assert authorities.was_active_at(agency, block_time(world, receipt))
    assert not authorities.was_active_at(agency, readmitted.before)
    assert authorities.can_manage_certificates_of(world.addr("gd_admin"), agency)
    world.as_("gd_admin").authorities.suspend_agency(agency, 1).wait()
    assert authorities.agency_status(agency) == AgencyStatus.SUSPENDED


def test_a_suspended_and_reinstated_province_keeps_its_membership(world: World) -> None:
    """Suspension is not removal: the epoch stays and the agencies come back with the province."""
    bj_amr, consortium = world.addr("bj_amr"), world.reader.consortium
    assert consortium.province_epoch(SUSPENDED_PROVINCE) == (1, False)
    world.govern(consortium.address, consortium.encode("reinstateProvince", SUSPENDED_PROVINCE))
    assert consortium.province_epoch(SUSPENDED_PROVINCE) == (1, True)
    assert world.reader.authorities.is_active(bj_amr)
    assert world.reader.authorities.can_manage_certificates_of(world.addr("bj_admin"), bj_amr)
    world.as_("bj_admin").authorities.grant_certificate_type(bj_amr, FOOD).wait()
    assert world.reader.authorities.is_granted(bj_amr, FOOD)

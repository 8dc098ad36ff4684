"""The typed client: validation before sending, decoded reverts, local nonces, historical reads."""

from __future__ import annotations

import os

import pytest
from eth_abi import encode
from eth_utils import to_checksum_address

from ledger.chain import contract_errors
from ledger.chain.contract_errors import CertificateRegistryAlreadyAnchored, ConsortiumUnknownProvince
from ledger.chain.models import AgencyStatus
from ledger.chain.reverts import decode_revert
from ledger.chain.transactions import Transactor
from ledger.errors import ContractRevertError, LedgerValueError, TransactionFailed, UnknownContractError
from tests.conftest import World, reverts

AGENCY = "0x" + "11" * 20

# FRESH_BLOCK_NOTE: anvil (`--prune-history 512`) keeps the state of the last 512 blocks mined, reverted ones
# included, so the session snapshot's block that every test starts on is no longer readable late in the session.
# Tests that read "before" state mine a block of their own first.


def test_views_raise_decoded_custom_errors(world: World) -> None:
    with reverts(ConsortiumUnknownProvince, code=120000):
        world.reader.consortium.province(120000)


def test_decode_revert_builds_the_class_with_its_arguments() -> None:
    agency = "0x" + "ab" * 20
    data = CertificateRegistryAlreadyAnchored.selector + encode(["address", "bytes32"], [agency, b"\x01" * 32]).hex()
    error = decode_revert(data, tx_hash="0xabc")
    assert isinstance(error, CertificateRegistryAlreadyAnchored)
    assert isinstance(error, ContractRevertError)
    checksummed = to_checksum_address(agency)
    assert error.arguments == {"agency": checksummed, "root": b"\x01" * 32}
    assert error.agency == checksummed and error.root == b"\x01" * 32 and error.tx_hash == "0xabc"
    assert f"CertificateRegistryAlreadyAnchored(agency='{checksummed}', root=0x0101" in str(error)


def test_the_old_single_argument_certificate_errors_no_longer_decode() -> None:
    """Selectors of the errors before batches were keyed by agency (`AlreadyAnchored(bytes32)` and the like)."""
    for old in ("0xc899bba1", "0x187b93e3", "0x5ee92607", "0x8ae51c70"):
        assert isinstance(decode_revert(old + "01" * 32), UnknownContractError)


def test_unknown_selectors_and_truncated_data_decode_to_unknown_contract_error() -> None:
    assert isinstance(decode_revert("0xdeadbeef"), UnknownContractError)
    truncated = contract_errors.ConsortiumThresholdNotReached.selector + "00" * 40
    assert isinstance(decode_revert(truncated), UnknownContractError)


def test_a_read_only_client_refuses_to_send(world: World) -> None:
    with pytest.raises(LedgerValueError, match="no account"):
        world.reader.certificates.anchor(os.urandom(32), 1, "")


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.certificates.anchor("0x1234", 1, ""),
        lambda c: c.certificates.anchor(os.urandom(32), -1, ""),
        lambda c: c.certificates.anchor(os.urandom(32), 2**32, ""),
        lambda c: c.certificates.revoke(AGENCY, os.urandom(32), os.urandom(32), "0x" + "00" * 32, 1),
        lambda c: c.certificates.revoke(AGENCY, os.urandom(32), os.urandom(32), [], 70000),
        lambda c: c.certificates.suspend("0x1234", os.urandom(32), os.urandom(32), [], 1),
        lambda c: c.certificates.reinstate(AGENCY[:-2], os.urandom(32), os.urandom(32), [], 1),
        lambda c: c.certificates.supersede(None, os.urandom(32), os.urandom(32), [], os.urandom(32), 1),
        lambda c: c.certificates.revoke_multiple("agency", os.urandom(32), [os.urandom(32)], [], [], 1),
        lambda c: c.certificates.revoke_batch(os.urandom(20), os.urandom(32), 1),
        lambda c: c.certificates.revoke_batch(AGENCY, os.urandom(32), -1),
        lambda c: c.authorities.suspend_agency("0xnot-an-address", 1),
        lambda c: c.authorities.grant_certificate_type("0x" + "11" * 20, ""),
        lambda c: c.recognition.set_rule(330000, 310000, "business licence"),
        lambda c: c.consortium.add_province_admin(310001, "0x" + "11" * 20),
        lambda c: c.consortium.propose("0x" + "11" * 20, 123, 1, "x"),
    ],
    ids=["short root", "negative count", "count overflow", "proof as string", "reason overflow",
         "short agency", "truncated agency", "no agency", "agency not an address",
         "agency as bytes", "negative batch reason", "bad address", "empty type code", "type code with space",
         "non-province code", "proposal data not bytes"],
)  # fmt: skip
def test_malformed_arguments_are_refused_before_anything_is_sent(world: World, call) -> None:  # type: ignore[no-untyped-def]
    agency = world.as_("sh_amr")
    nonce = world.reader.w3.eth.get_transaction_count(world.addr("sh_amr"))
    with pytest.raises(LedgerValueError):
        call(agency)
    assert world.reader.w3.eth.get_transaction_count(world.addr("sh_amr")) == nonce


def test_many_transactions_are_in_flight_at_once_with_consecutive_nonces(world: World) -> None:
    agency = world.as_("sh_amr")
    roots = [os.urandom(32) for _ in range(40)]
    pending = [agency.certificates.anchor(r, 100, "", gas=120_000) for r in roots]
    nonces = [p.tx["nonce"] for p in pending]
    assert nonces == list(range(nonces[0], nonces[0] + 40))
    receipts = world.reader.wait_all(pending)
    assert all(r.event("BatchAnchored").args["root"] == root for r, root in zip(receipts, roots, strict=True))


@pytest.mark.parametrize(
    "view",
    [
        lambda c: c.batch("0x1234", os.urandom(32)),
        lambda c: c.is_anchored(None, os.urandom(32)),
        lambda c: c.certificate_status("not an address", os.urandom(32), os.urandom(32)),
        lambda c: c.certificate_status(AGENCY, os.urandom(32), b"short"),
        lambda c: c.batch(AGENCY, "0x12"),
    ],
    ids=["batch", "is_anchored", "certificate_status", "short digest", "short root"],
)
def test_certificate_views_refuse_a_malformed_agency_root_or_digest(world: World, view) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(LedgerValueError):
        view(world.reader.certificates)


def test_a_transaction_reverted_after_mining_raises_its_decoded_error_with_the_hash(world: World) -> None:
    agency = world.as_("sh_amr")
    root = os.urandom(32)
    first = agency.certificates.anchor(root, 1, "", gas=200_000)
    second = agency.certificates.anchor(root, 1, "", gas=200_000)
    first.wait()
    with reverts(CertificateRegistryAlreadyAnchored, agency=world.addr("sh_amr"), root=root) as _:
        second.wait()
    with pytest.raises(CertificateRegistryAlreadyAnchored) as info:
        second.wait()
    assert info.value.tx_hash == second.tx_hash


def test_nonces_recover_after_a_transaction_is_sent_outside_the_client(world: World) -> None:
    agency = world.as_("sh_amr")
    agency.certificates.anchor(os.urandom(32), 1, "").wait()
    other = world.reader.as_account(world.key("sh_amr"))
    assert other.transactor is agency.transactor
    outside = Transactor(world.reader.w3, world.key("sh_amr"))
    outside.send(agency.certificates.address, agency.certificates.encode("anchor", os.urandom(32), 1, bytes(32))).wait()
    agency.certificates.anchor(os.urandom(32), 1, "").wait()


def test_reads_at_an_earlier_block_see_the_earlier_state(world: World) -> None:
    agency = world.as_("sh_amr")
    root = os.urandom(32)
    world.rpc("evm_mine", [])  # read at a block mined in this test: see FRESH_BLOCK_NOTE
    before = world.reader.head()[0]
    agency.certificates.anchor(root, 5, "").wait()
    amr = world.addr("sh_amr")
    assert world.reader.certificates.is_anchored(amr, root)
    assert not world.reader.certificates.is_anchored(amr, root, block_identifier=before)
    assert not world.reader.certificates.batch(amr, root, block_identifier=before).anchored


# ------------------------------------------------------------------------------------------ gas estimation
# A status toggle (agency, grant, province) writes a checkpoint keyed by the block timestamp. anvil estimates gas
# against the latest block's timestamp: when the previous checkpoint of the same key was written in that second,
# the estimate covers only an update of the last checkpoint, while a transaction mined in a later second pushes a
# new one (~22,000 gas more): the Transactor's headroom covers it. These tests use a Transactor as built by
# default.


def _default_transactor(world: World, name: str) -> Transactor:
    return Transactor(world.reader.w3, world.key(name))


def test_a_toggle_mined_in_the_second_after_its_estimate_does_not_run_out_of_gas(world: World) -> None:
    town, authorities = world.addr("sh_town"), world.reader.authorities
    world.as_("sh_admin").authorities.suspend_agency(town, 1).wait()
    world.rpc("evm_setNextBlockTimestamp", [world.now() + 1])
    _default_transactor(world, "sh_admin2").send(
        authorities.address, authorities.encode("reinstateAgency", town)
    ).wait()
    assert authorities.agency_status(town) == AgencyStatus.ACTIVE


def test_a_client_toggle_mined_in_the_second_after_its_estimate_succeeds(world: World) -> None:
    town, authorities = world.addr("sh_town"), world.reader.authorities
    world.as_("sh_admin").authorities.suspend_agency(town, 1).wait()
    world.rpc("evm_setNextBlockTimestamp", [world.now() + 1])
    receipt = world.as_("sh_admin2").authorities.reinstate_agency(town).wait()
    assert receipt.event("AgencyReinstated").args["agency"] == town
    assert authorities.agency_status(town) == AgencyStatus.ACTIVE


def test_a_transaction_that_runs_out_of_gas_raises_transaction_failed_with_its_hash(world: World) -> None:
    authorities = world.reader.authorities
    pending = _default_transactor(world, "sh_admin2").send(
        authorities.address, authorities.encode("suspendAgency", world.addr("sh_town"), 1), gas=40_000
    )
    with pytest.raises(TransactionFailed) as info:
        pending.wait()
    assert info.value.tx_hash == pending.tx_hash
    assert world.reader.w3.eth.get_transaction_receipt(pending.tx_hash)["status"] == 0

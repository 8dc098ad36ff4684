"""The typed client: validation before sending, decoded reverts, local nonces, historical reads."""

from __future__ import annotations

import os

import pytest
from eth_abi import encode

from ledger import contract_errors
from ledger.contract_errors import CertificateRegistryAlreadyAnchored, ConsortiumUnknownProvince
from ledger.errors import ContractRevertError, LedgerValueError, UnknownContractError
from ledger.reverts import decode_revert
from tests.conftest import World, reverts


def test_views_raise_decoded_custom_errors(world: World) -> None:
    with reverts(ConsortiumUnknownProvince, code=120000):
        world.reader.consortium.province(120000)


def test_decode_revert_builds_the_class_with_its_arguments() -> None:
    data = CertificateRegistryAlreadyAnchored.selector + encode(["bytes32"], [b"\x01" * 32]).hex()
    error = decode_revert(data, tx_hash="0xabc")
    assert isinstance(error, CertificateRegistryAlreadyAnchored)
    assert isinstance(error, ContractRevertError)
    assert error.root == b"\x01" * 32 and error.tx_hash == "0xabc"
    assert "CertificateRegistryAlreadyAnchored(root=0x0101" in str(error)


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
        lambda c: c.certificates.revoke(os.urandom(32), os.urandom(32), "0x" + "00" * 32, 1),
        lambda c: c.certificates.revoke(os.urandom(32), os.urandom(32), [], 70000),
        lambda c: c.authorities.suspend_agency("0xnot-an-address", 1),
        lambda c: c.authorities.grant_certificate_type("0x" + "11" * 20, ""),
        lambda c: c.recognition.set_rule(330000, 310000, "business licence"),
        lambda c: c.consortium.add_province_admin(310001, "0x" + "11" * 20),
        lambda c: c.consortium.propose("0x" + "11" * 20, 123, 1, "x"),
    ],
    ids=["short root", "negative count", "count overflow", "proof as string", "reason overflow", "bad address",
         "empty type code", "type code with space", "non-province code", "proposal data not bytes"],
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


def test_a_transaction_reverted_after_mining_raises_its_decoded_error_with_the_hash(world: World) -> None:
    agency = world.as_("sh_amr")
    root = os.urandom(32)
    first = agency.certificates.anchor(root, 1, "", gas=200_000)
    second = agency.certificates.anchor(root, 1, "", gas=200_000)
    first.wait()
    with reverts(CertificateRegistryAlreadyAnchored, root=root) as _:
        second.wait()
    with pytest.raises(CertificateRegistryAlreadyAnchored) as info:
        second.wait()
    assert info.value.tx_hash == second.tx_hash


def test_nonces_recover_after_a_transaction_is_sent_outside_the_client(world: World) -> None:
    agency = world.as_("sh_amr")
    agency.certificates.anchor(os.urandom(32), 1, "").wait()
    other = world.reader.as_account(world.key("sh_amr"))
    assert other.transactor is agency.transactor
    from ledger.transactions import Transactor

    outside = Transactor(world.reader.w3, world.key("sh_amr"))
    outside.send(agency.certificates.address, agency.certificates.encode("anchor", os.urandom(32), 1, "")).wait()
    agency.certificates.anchor(os.urandom(32), 1, "").wait()


def test_reads_at_an_earlier_block_see_the_earlier_state(world: World) -> None:
    agency = world.as_("sh_amr")
    root = os.urandom(32)
    before = world.reader.head()[0]
    agency.certificates.anchor(root, 5, "").wait()
    assert world.reader.certificates.is_anchored(root)
    assert not world.reader.certificates.is_anchored(root, block_identifier=before)

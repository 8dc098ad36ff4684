"""The Consortium contract through the typed client, on a live anvil chain.

Every mutating function: its success path (state read back through the views and the event in the receipt)
and the exact custom error, with its arguments, for every role that must not call it. The m-of-n governance:
thresholds, expiry, double votes, cancellation, votes of provinces suspended after voting, governance-only
functions, errors of the target bubbling up from `execute`, and the status history behind
`wasProvinceActiveAt`.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_utils import to_checksum_address

from ledger.chain import contract_errors as errors
from ledger.chain.models import ProposalState, Province, ProvinceStatus
from ledger.chain.transactions import Receipt
from ledger.errors import ContractRevertError, LedgerValueError
from tests.conftest import World, reverts

SH, ZJ, GD, BJ = 310000, 330000, 440000, 110000
JS = 320000  # 江苏省: a valid province code that is not a member
DAY = 86_400
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"

#: Accounts that administer no province: an outsider and agencies of this and other provinces,
#: including a suspended agency and a child of a suspended parent.
NON_ADMINS = ["outsider", "sh_amr", "zj_amr", "gd_amr", "sh_suspended", "sh_child_of_suspended"]

# FRESH_BLOCK_NOTE: anvil (`--prune-history 512`) keeps the state of the last 512 blocks mined, reverted ones
# included, so the session snapshot's block that every test starts on is no longer readable late in the session.
# Tests that read "before" state mine a block of their own first.


# ---------------------------------------------------------------------------------------------- helpers


def block_time(world: World, receipt: Receipt) -> int:
    return int(world.reader.w3.eth.get_block(receipt.block_number)["timestamp"])


def govern(world: World, fn: str, *args: Any, voters: tuple[str, ...] = ("sh_admin", "zj_admin")) -> Receipt:
    """Run `Consortium.fn(*args)` through propose, votes and execute."""
    consortium = world.reader.consortium
    receipt: Receipt = world.govern(consortium.address, consortium.encode(fn, *args), voters)
    return receipt


def admit_jiangsu_data(world: World) -> str:
    return world.reader.consortium.encode("admitProvince", JS, "江苏省", [world.addr("new_admin")])


def propose(world: World, proposer: str = "sh_admin", *, lifetime: int = DAY, data: str | None = None) -> int:
    """Open a proposal (by default: admit 江苏省 with `new_admin`) and return its id."""
    consortium = world.reader.consortium
    receipt = (
        world.as_(proposer)
        .consortium.propose(consortium.address, data or admit_jiangsu_data(world), world.now() + lifetime, "江苏省入盟")
        .wait()
    )
    return int(receipt.event("ProposalCreated").args["proposalId"])


def event_names(receipt: Receipt) -> list[str]:
    return [e.name for e in receipt.events]


def nothing_sent(world: World, account: str) -> tuple[int, int]:
    """Nonce of `account` and the chain head, to show that a refused call sent nothing."""
    w3 = world.reader.w3
    return w3.eth.get_transaction_count(to_checksum_address(world.addr(account))), w3.eth.block_number


# ---------------------------------------------------------------------------------------------- bootstrap views


def test_bootstrap_views_show_the_founding_provinces_admins_and_threshold(world: World) -> None:
    c = world.reader.consortium
    assert c.province_codes() == [SH, ZJ, GD, BJ]
    assert c.threshold() == 2
    assert c.configured_threshold() == 2
    assert c.active_province_count() == 3
    sh = c.province(SH)
    assert (sh.code, sh.status, sh.epoch, sh.name) == (SH, ProvinceStatus.ACTIVE, 1, "上海市")
    assert [p.epoch for p in c.provinces()] == [1, 1, 1, 1]
    assert c.province_epoch(SH) == (1, True)
    assert c.province_epoch(BJ) == (1, False)
    assert c.province_epoch(JS) == (0, False)
    assert sh.admins == (world.addr("sh_admin"), world.addr("sh_admin2"))
    assert c.province(BJ).status == ProvinceStatus.SUSPENDED
    assert c.province_of_admin(world.addr("zj_admin")) == ZJ
    assert c.province_of_admin(world.addr("outsider")) is None
    assert c.is_province_admin(SH, world.addr("sh_admin2"))
    assert not c.is_province_admin(ZJ, world.addr("sh_admin2"))
    assert c.province_status(JS) == ProvinceStatus.NONE
    assert c.proposal_count() == 1  # the suspension of 110000 in the fixture
    assert c.proposal_state(1) == ProposalState.EXECUTED
    assert c.proposal_state(2) == ProposalState.NONE


def test_province_view_refuses_a_code_never_admitted(world: World) -> None:
    with reverts(errors.ConsortiumUnknownProvince, code=JS):
        world.reader.consortium.province(JS)


def test_proposal_view_refuses_an_unknown_id(world: World) -> None:
    with reverts(errors.ConsortiumUnknownProposal, proposalId=99):
        world.reader.consortium.proposal(99)
    with reverts(errors.ConsortiumUnknownProposal, proposalId=99):
        world.reader.consortium.proposal_votes(99)


def test_provinces_at_an_earlier_block_lists_the_provinces_of_that_block(world: World) -> None:
    c = world.reader.consortium
    world.rpc("evm_mine", [])  # read at a block mined in this test: see FRESH_BLOCK_NOTE
    before = world.reader.head()[0]
    govern(world, "admitProvince", JS, "江苏省", [world.addr("new_admin")])
    assert [p.code for p in c.provinces()] == [SH, ZJ, GD, BJ, JS]
    assert c.province_codes(block_identifier=before) == [SH, ZJ, GD, BJ]
    old = c.provinces(block_identifier=before)
    assert [p.code for p in old] == [SH, ZJ, GD, BJ]
    assert old == [c.province(code, block_identifier=before) for code in (SH, ZJ, GD, BJ)]


def test_provinces_at_an_earlier_block_show_the_statuses_epochs_and_admins_of_that_block(world: World) -> None:
    c = world.reader.consortium
    world.rpc("evm_mine", [])  # read at a block mined in this test: see FRESH_BLOCK_NOTE
    before = world.reader.head()[0]
    current = c.provinces()
    govern(world, "removeProvince", GD)
    govern(world, "admitProvince", GD, "广东省", [world.addr("new_admin")])
    govern(world, "reinstateProvince", BJ)

    assert c.provinces(block_identifier=before) == current
    old_gd = c.provinces(block_identifier=before)[2]
    assert (old_gd.status, old_gd.epoch, old_gd.admins) == (ProvinceStatus.ACTIVE, 1, (world.addr("gd_admin"),))
    new_gd = c.provinces()[2]
    assert (new_gd.status, new_gd.epoch, new_gd.admins) == (ProvinceStatus.ACTIVE, 2, (world.addr("new_admin"),))
    assert [p.status for p in c.provinces(block_identifier=before)][3] == ProvinceStatus.SUSPENDED
    assert c.province_epoch(GD, block_identifier=before) == (1, True)
    assert c.province_epoch(BJ, block_identifier=before) == (1, False)
    assert c.threshold(block_identifier=before) == 2


# ---------------------------------------------------------------------------------------------- propose


def test_propose_records_the_proposal_and_emits_proposal_created(world: World) -> None:
    c = world.reader.consortium
    data = admit_jiangsu_data(world)
    expires_at = world.now() + DAY
    receipt = world.as_("sh_admin").consortium.propose(c.address, data, expires_at, "江苏省入盟").wait()
    args = receipt.event("ProposalCreated").args
    assert args["proposalId"] == 2
    assert args["proposer"] == SH
    assert args["target"] == c.address
    assert args["data"] == bytes.fromhex(data[2:])
    assert args["expiresAt"] == expires_at
    assert args["description"] == "江苏省入盟"
    proposal = c.proposal(2)
    assert proposal.proposer == SH
    assert proposal.state == ProposalState.PENDING
    assert proposal.created_at == block_time(world, receipt)
    assert proposal.expires_at == expires_at
    assert proposal.target == c.address
    assert proposal.data == bytes.fromhex(data[2:])
    assert proposal.description == "江苏省入盟"
    assert proposal.voters == ()  # the proposer's vote is not cast automatically
    assert c.proposal_count() == 2
    assert c.proposal_votes(2) == 0


@pytest.mark.parametrize("account", NON_ADMINS)
def test_propose_refuses_an_account_that_administers_no_province(world: World, account: str) -> None:
    c = world.reader.consortium
    with reverts(errors.ConsortiumNotProvinceAdmin, account=world.addr(account)):
        world.as_(account).consortium.propose(c.address, admit_jiangsu_data(world), world.now() + DAY, "x").wait()


def test_propose_refuses_an_admin_of_the_suspended_province(world: World) -> None:
    c = world.reader.consortium
    with reverts(errors.ConsortiumProvinceNotActive, code=BJ):
        world.as_("bj_admin").consortium.propose(c.address, admit_jiangsu_data(world), world.now() + DAY, "x").wait()


def test_propose_refuses_a_target_that_is_not_a_contract(world: World) -> None:
    outsider = world.addr("outsider")
    with reverts(errors.ConsortiumInvalidTarget, target=outsider):
        world.as_("sh_admin").consortium.propose(outsider, b"", world.now() + DAY, "x").wait()


@pytest.mark.parametrize("offset", [-DAY, 0, 90 * DAY + 3_600], ids=["past", "now", "beyond 90 days"])
def test_propose_refuses_an_expiry_not_in_the_next_90_days(world: World, offset: int) -> None:
    c = world.reader.consortium
    expires_at = world.now() + offset
    with reverts(errors.ConsortiumInvalidExpiry, expiresAt=expires_at):
        world.as_("sh_admin").consortium.propose(c.address, admit_jiangsu_data(world), expires_at, "x").wait()


def test_propose_accepts_an_expiry_just_under_90_days(world: World) -> None:
    expires_at = world.now() + 90 * DAY - 60
    c = world.reader.consortium
    receipt = world.as_("zj_admin").consortium.propose(c.address, b"", expires_at, "long vote").wait()
    assert receipt.event("ProposalCreated").args["expiresAt"] == expires_at
    assert c.proposal(2).proposer == ZJ


@pytest.mark.parametrize(
    "data",
    ["0xzz", "0x123", "0x0x12", "1234", "", 1234, None, ["0x12"], "0x12 34"],
    ids=["non-hex digits", "odd length", "double prefix", "no prefix", "empty string", "int", "None", "list", "space"],
)
def test_propose_refuses_malformed_hex_data_before_anything_is_sent(world: World, data: Any) -> None:
    before = nothing_sent(world, "sh_admin")
    with pytest.raises(LedgerValueError, match="proposal data"):
        world.as_("sh_admin").consortium.propose(world.reader.consortium.address, data, world.now() + DAY, "x")
    assert nothing_sent(world, "sh_admin") == before


@pytest.mark.parametrize("data", ["0x", "0xABcd12", b"", b"\xab\xcd"], ids=["0x", "mixed case", "b''", "bytes"])
def test_propose_accepts_well_formed_hex_or_bytes(world: World, data: str | bytes) -> None:
    c = world.reader.consortium
    receipt = world.as_("sh_admin").consortium.propose(c.address, data, world.now() + DAY, "x").wait()
    expected = bytes.fromhex(data[2:]) if isinstance(data, str) else data
    assert receipt.event("ProposalCreated").args["data"] == expected
    assert c.proposal(c.proposal_count()).data == expected


# ---------------------------------------------------------------------------------------------- vote


def test_vote_records_the_province_vote_and_emits_vote_cast(world: World) -> None:
    c = world.reader.consortium
    pid = propose(world)
    receipt = world.as_("zj_admin").consortium.vote(pid).wait()
    args = receipt.event("VoteCast").args
    assert (args["proposalId"], args["province"], args["voter"]) == (pid, ZJ, world.addr("zj_admin"))
    assert c.has_voted(pid, ZJ)
    assert not c.has_voted(pid, SH)
    assert c.proposal(pid).voters == (ZJ,)
    assert c.proposal_votes(pid) == 1
    assert c.proposal_state(pid) == ProposalState.PENDING


def test_vote_reaching_the_threshold_makes_the_proposal_approved(world: World) -> None:
    c = world.reader.consortium
    pid = propose(world)
    world.as_("sh_admin2").consortium.vote(pid).wait()
    world.as_("gd_admin").consortium.vote(pid).wait()
    assert c.proposal(pid).voters == (SH, GD)
    assert c.proposal_votes(pid) == 2
    assert c.proposal_state(pid) == ProposalState.APPROVED


def test_vote_refuses_a_second_vote_from_the_same_province(world: World) -> None:
    pid = propose(world)
    world.as_("sh_admin").consortium.vote(pid).wait()
    with reverts(errors.ConsortiumAlreadyVoted, proposalId=pid, province=SH):
        world.as_("sh_admin").consortium.vote(pid).wait()
    with reverts(errors.ConsortiumAlreadyVoted, proposalId=pid, province=SH):
        world.as_("sh_admin2").consortium.vote(pid).wait()
    assert world.reader.consortium.proposal_votes(pid) == 1


@pytest.mark.parametrize("account", NON_ADMINS)
def test_vote_refuses_an_account_that_administers_no_province(world: World, account: str) -> None:
    pid = propose(world)
    with reverts(errors.ConsortiumNotProvinceAdmin, account=world.addr(account)):
        world.as_(account).consortium.vote(pid).wait()


def test_vote_refuses_an_admin_of_the_suspended_province(world: World) -> None:
    pid = propose(world)
    with reverts(errors.ConsortiumProvinceNotActive, code=BJ):
        world.as_("bj_admin").consortium.vote(pid).wait()
    assert not world.reader.consortium.has_voted(pid, BJ)


def test_vote_refuses_an_unknown_proposal(world: World) -> None:
    with reverts(errors.ConsortiumUnknownProposal, proposalId=99):
        world.as_("sh_admin").consortium.vote(99).wait()


def test_vote_refuses_an_expired_proposal(world: World) -> None:
    pid = propose(world, lifetime=600)
    expires_at = world.reader.consortium.proposal(pid).expires_at
    world.advance(1_000)
    assert world.reader.consortium.proposal_state(pid) == ProposalState.EXPIRED
    with reverts(errors.ConsortiumProposalExpired, proposalId=pid, expiresAt=expires_at):
        world.as_("zj_admin").consortium.vote(pid).wait()


def test_vote_refuses_an_executed_proposal(world: World) -> None:
    receipt = govern(world, "setThreshold", 3)
    pid = receipt.event("ProposalExecuted").args["proposalId"]
    with reverts(errors.ConsortiumProposalNotPending, proposalId=pid, state=ProposalState.EXECUTED):
        world.as_("gd_admin").consortium.vote(pid).wait()


# ---------------------------------------------------------------------------------------------- execute


def test_execute_performs_an_approved_call_and_emits_proposal_executed(world: World) -> None:
    c = world.reader.consortium
    pid = propose(world, "zj_admin", data=c.encode("setThreshold", 3))
    world.as_("sh_admin").consortium.vote(pid).wait()
    world.as_("gd_admin").consortium.vote(pid).wait()
    receipt = world.as_("gd_admin").consortium.execute(pid).wait()
    executed = receipt.event("ProposalExecuted").args
    assert (executed["proposalId"], executed["executor"]) == (pid, world.addr("gd_admin"))
    changed = receipt.event("ThresholdChanged").args
    assert (changed["oldThreshold"], changed["newThreshold"]) == (2, 3)
    assert c.threshold() == 3
    assert c.proposal_state(pid) == ProposalState.EXECUTED


def test_execute_refuses_when_no_province_voted(world: World) -> None:
    pid = propose(world)
    with reverts(errors.ConsortiumThresholdNotReached, proposalId=pid, votes=0, threshold=2):
        world.as_("sh_admin").consortium.execute(pid).wait()


def test_execute_refuses_when_the_threshold_is_not_reached(world: World) -> None:
    pid = propose(world)
    world.as_("sh_admin").consortium.vote(pid).wait()
    with reverts(errors.ConsortiumThresholdNotReached, proposalId=pid, votes=1, threshold=2):
        world.as_("sh_admin").consortium.execute(pid).wait()
    assert world.reader.consortium.province_status(JS) == ProvinceStatus.NONE
    assert world.reader.consortium.proposal_state(pid) == ProposalState.PENDING


def test_execute_refuses_a_proposal_executed_already(world: World) -> None:
    receipt = govern(world, "setThreshold", 1)
    pid = receipt.event("ProposalExecuted").args["proposalId"]
    with reverts(errors.ConsortiumProposalNotPending, proposalId=pid, state=ProposalState.EXECUTED):
        world.as_("sh_admin").consortium.execute(pid).wait()


def test_execute_refuses_an_approved_proposal_once_it_expired(world: World) -> None:
    c = world.reader.consortium
    pid = propose(world, lifetime=600)
    world.as_("sh_admin").consortium.vote(pid).wait()
    world.as_("zj_admin").consortium.vote(pid).wait()
    assert c.proposal_state(pid) == ProposalState.APPROVED
    world.advance(1_000)
    assert c.proposal_state(pid) == ProposalState.EXPIRED
    with reverts(errors.ConsortiumProposalExpired, proposalId=pid, expiresAt=c.proposal(pid).expires_at):
        world.as_("sh_admin").consortium.execute(pid).wait()
    assert c.province_status(JS) == ProvinceStatus.NONE


@pytest.mark.parametrize("account", NON_ADMINS)
def test_execute_refuses_an_account_that_administers_no_province(world: World, account: str) -> None:
    pid = propose(world)
    world.as_("sh_admin").consortium.vote(pid).wait()
    world.as_("zj_admin").consortium.vote(pid).wait()
    with reverts(errors.ConsortiumNotProvinceAdmin, account=world.addr(account)):
        world.as_(account).consortium.execute(pid).wait()


def test_execute_refuses_an_admin_of_the_suspended_province(world: World) -> None:
    pid = propose(world)
    world.as_("sh_admin").consortium.vote(pid).wait()
    world.as_("zj_admin").consortium.vote(pid).wait()
    with reverts(errors.ConsortiumProvinceNotActive, code=BJ):
        world.as_("bj_admin").consortium.execute(pid).wait()


def test_execute_bubbles_up_the_custom_error_of_the_failing_call(world: World) -> None:
    c = world.reader.consortium
    with reverts(errors.ConsortiumProvinceExists, code=SH):
        govern(world, "admitProvince", SH, "上海市", [world.addr("new_admin")])
    pid = c.proposal_count()
    assert c.proposal_state(pid) == ProposalState.APPROVED  # the failed execution changed nothing
    assert c.province_of_admin(world.addr("new_admin")) is None


def test_execute_mined_with_a_failing_call_reverts_with_the_target_error(world: World) -> None:
    c = world.reader.consortium
    pid = propose(world, data=c.encode("setThreshold", 9))
    world.as_("sh_admin").consortium.vote(pid).wait()
    world.as_("zj_admin").consortium.vote(pid).wait()
    pending = world.as_("sh_admin").transactor.send(c.address, c.encode("execute", pid), gas=500_000)  # type: ignore[union-attr]
    with reverts(errors.ConsortiumInvalidThreshold, threshold=9, activeProvinces=3):
        pending.wait()
    assert c.threshold() == 2
    assert c.proposal_state(pid) == ProposalState.APPROVED


def test_votes_of_a_province_suspended_after_voting_no_longer_count(world: World) -> None:
    c = world.reader.consortium
    pid = propose(world)
    world.as_("sh_admin").consortium.vote(pid).wait()
    world.as_("zj_admin").consortium.vote(pid).wait()
    assert c.proposal_state(pid) == ProposalState.APPROVED
    govern(world, "suspendProvince", ZJ, voters=("sh_admin", "gd_admin"))
    assert c.has_voted(pid, ZJ)
    assert c.proposal(pid).voters == (SH, ZJ)
    assert c.proposal_votes(pid) == 1
    assert c.proposal_state(pid) == ProposalState.PENDING
    with reverts(errors.ConsortiumThresholdNotReached, proposalId=pid, votes=1, threshold=2):
        world.as_("sh_admin").consortium.execute(pid).wait()
    world.as_("gd_admin").consortium.vote(pid).wait()
    world.as_("sh_admin").consortium.execute(pid).wait()
    assert c.province_status(JS) == ProvinceStatus.ACTIVE


def test_votes_of_a_reinstated_province_count_again(world: World) -> None:
    c = world.reader.consortium
    pid = propose(world)
    world.as_("zj_admin").consortium.vote(pid).wait()
    govern(world, "suspendProvince", ZJ, voters=("sh_admin", "gd_admin"))
    world.as_("sh_admin").consortium.vote(pid).wait()
    assert c.proposal_votes(pid) == 1
    govern(world, "reinstateProvince", ZJ, voters=("sh_admin", "gd_admin"))
    assert c.proposal_votes(pid) == 2
    assert c.proposal_state(pid) == ProposalState.APPROVED


# ---------------------------------------------------------------------------------------------- cancel


def test_cancel_by_the_proposer_withdraws_the_proposal(world: World) -> None:
    c = world.reader.consortium
    pid = propose(world)
    receipt = world.as_("sh_admin").consortium.cancel(pid).wait()
    assert receipt.event("ProposalCancelled").args["proposalId"] == pid
    assert c.proposal_state(pid) == ProposalState.CANCELLED
    assert c.proposal(pid).state == ProposalState.CANCELLED


def test_cancel_by_another_admin_of_the_proposing_province_withdraws_the_proposal(world: World) -> None:
    pid = propose(world, "sh_admin")
    receipt = world.as_("sh_admin2").consortium.cancel(pid).wait()
    assert receipt.event("ProposalCancelled").args["proposalId"] == pid
    assert world.reader.consortium.proposal_state(pid) == ProposalState.CANCELLED


@pytest.mark.parametrize(("account", "province"), [("zj_admin", ZJ), ("gd_admin", GD)])
def test_cancel_refuses_an_admin_of_another_province(world: World, account: str, province: int) -> None:
    pid = propose(world, "sh_admin")
    with reverts(errors.ConsortiumNotProposer, proposalId=pid, province=province):
        world.as_(account).consortium.cancel(pid).wait()
    assert world.reader.consortium.proposal_state(pid) == ProposalState.PENDING


@pytest.mark.parametrize("account", NON_ADMINS)
def test_cancel_refuses_an_account_that_administers_no_province(world: World, account: str) -> None:
    pid = propose(world)
    with reverts(errors.ConsortiumNotProvinceAdmin, account=world.addr(account)):
        world.as_(account).consortium.cancel(pid).wait()


def test_cancel_refuses_an_admin_of_the_suspended_province(world: World) -> None:
    pid = propose(world)
    with reverts(errors.ConsortiumProvinceNotActive, code=BJ):
        world.as_("bj_admin").consortium.cancel(pid).wait()


def test_cancel_refuses_an_expired_proposal(world: World) -> None:
    pid = propose(world, lifetime=600)
    expires_at = world.reader.consortium.proposal(pid).expires_at
    world.advance(1_000)
    with reverts(errors.ConsortiumProposalExpired, proposalId=pid, expiresAt=expires_at):
        world.as_("sh_admin").consortium.cancel(pid).wait()


def test_a_cancelled_proposal_can_no_longer_be_voted_executed_or_cancelled(world: World) -> None:
    pid = propose(world)
    world.as_("sh_admin").consortium.vote(pid).wait()
    world.as_("zj_admin").consortium.vote(pid).wait()
    world.as_("sh_admin").consortium.cancel(pid).wait()
    cancelled = ProposalState.CANCELLED
    with reverts(errors.ConsortiumProposalNotPending, proposalId=pid, state=cancelled):
        world.as_("gd_admin").consortium.vote(pid).wait()
    with reverts(errors.ConsortiumProposalNotPending, proposalId=pid, state=cancelled):
        world.as_("sh_admin").consortium.execute(pid).wait()
    with reverts(errors.ConsortiumProposalNotPending, proposalId=pid, state=cancelled):
        world.as_("sh_admin").consortium.cancel(pid).wait()
    assert world.reader.consortium.province_status(JS) == ProvinceStatus.NONE


# ---------------------------------------------------------------------------------------------- governance-only

GOVERNANCE_ONLY = {
    "admitProvince": lambda w, c: c.admit_province(JS, "江苏省", [w.addr("new_admin")]),
    "suspendProvince": lambda w, c: c.suspend_province(GD),
    "reinstateProvince": lambda w, c: c.reinstate_province(BJ),
    "removeProvince": lambda w, c: c.remove_province(GD),
    "setThreshold": lambda w, c: c.set_threshold(1),
}


@pytest.mark.parametrize("account", ["sh_admin", "zj_admin", "bj_admin", "outsider", "zj_amr", "sh_suspended"])
@pytest.mark.parametrize("function", list(GOVERNANCE_ONLY))
def test_governance_only_functions_refuse_a_direct_call(world: World, function: str, account: str) -> None:
    c = world.reader.consortium
    with reverts(errors.ConsortiumOnlyGovernance, caller=world.addr(account)):
        GOVERNANCE_ONLY[function](world, world.as_(account).consortium).wait()
    assert c.province_codes() == [SH, ZJ, GD, BJ]
    assert [c.province_status(code) for code in (GD, BJ)] == [ProvinceStatus.ACTIVE, ProvinceStatus.SUSPENDED]
    assert c.threshold() == 2


# ----- admitProvince


def test_admit_province_through_governance_adds_an_active_province_with_its_admins(world: World) -> None:
    c = world.reader.consortium
    admins = [world.addr("new_admin"), world.addr("outsider")]
    receipt = govern(world, "admitProvince", JS, "江苏省", admins)
    admitted = receipt.event("ProvinceAdmitted").args
    assert (admitted["code"], admitted["name"], list(admitted["admins"])) == (JS, "江苏省", admins)
    added = [(e.args["code"], e.args["account"]) for e in receipt.events if e.name == "ProvinceAdminAdded"]
    assert added == [(JS, admins[0]), (JS, admins[1])]
    assert c.province(JS) == Province(JS, ProvinceStatus.ACTIVE, block_time(world, receipt), 1, "江苏省", tuple(admins))
    assert c.province_epoch(JS) == (1, True)
    assert c.province_codes() == [SH, ZJ, GD, BJ, JS]
    assert c.active_province_count() == 4
    assert c.province_of_admin(admins[1]) == JS
    assert c.was_province_active_at(JS, block_time(world, receipt))
    # the new province votes at once
    pid = propose(world, "new_admin", data=c.encode("setThreshold", 3))
    assert world.as_("outsider").consortium.vote(pid).wait().event("VoteCast").args["province"] == JS


@pytest.mark.parametrize(
    ("code", "admins", "error", "expected"),
    [
        (SH, ["new_admin"], errors.ConsortiumProvinceExists, {"code": SH}),
        (BJ, ["new_admin"], errors.ConsortiumProvinceExists, {"code": BJ}),
        (JS, [], errors.ConsortiumInvalidAdmin, {"account": ZERO_ADDRESS}),
        (JS, ["zj_admin"], errors.ConsortiumAdminAlreadyAssigned, {"account": "zj_admin", "code": ZJ}),
        (JS, ["new_admin", "new_admin"], errors.ConsortiumAdminAlreadyAssigned, {"account": "new_admin", "code": JS}),
        (123, ["new_admin"], errors.ConsortiumInvalidProvinceCode, {"code": 123}),
        (310100, ["new_admin"], errors.ConsortiumInvalidProvinceCode, {"code": 310100}),
        (900000, ["new_admin"], errors.ConsortiumInvalidProvinceCode, {"code": 900000}),
    ],
    ids=["member", "suspended member", "no admins", "admin of another province", "duplicate admin",
         "short code", "city code", "beyond 829999"],
)  # fmt: skip
def test_admit_province_through_governance_bubbles_up_its_refusals(
    world: World, code: int, admins: list[str], error: type[ContractRevertError], expected: dict[str, Any]
) -> None:
    if expected.get("account", ZERO_ADDRESS) != ZERO_ADDRESS:
        expected = {**expected, "account": world.addr(expected["account"])}
    c = world.reader.consortium
    with reverts(error, **expected):
        govern(world, "admitProvince", code, "某省", [world.addr(a) for a in admins])
    assert c.province_codes() == [SH, ZJ, GD, BJ]
    assert c.active_province_count() == 3


def test_admit_province_through_governance_readmits_a_removed_province(world: World) -> None:
    c = world.reader.consortium
    govern(world, "removeProvince", GD)
    receipt = govern(world, "admitProvince", GD, "广东省", [world.addr("new_admin")])
    assert receipt.event("ProvinceAdmitted").args["code"] == GD
    assert c.province(GD).admins == (world.addr("new_admin"),)
    assert c.province(GD).status == ProvinceStatus.ACTIVE
    assert c.province_codes() == [SH, ZJ, GD, BJ]  # not listed twice
    assert c.active_province_count() == 3
    assert c.province_of_admin(world.addr("gd_admin")) is None
    assert c.province(GD).epoch == 2  # a new membership
    assert c.province_epoch(GD) == (2, True)


def test_the_authority_registrys_mirror_follows_every_governance_path_in_the_same_transaction(world: World) -> None:
    c, mirror = world.reader.consortium, world.reader.authorities
    assert c.authority_registry() == mirror.address

    def agrees() -> None:
        for code in [*c.province_codes(), JS]:
            epoch, active = c.province_epoch(code)
            assert mirror.province_active_epoch(code) == (epoch if active else 0)

    agrees()
    for step in (("suspendProvince", GD), ("reinstateProvince", GD), ("removeProvince", GD),
                 ("admitProvince", GD, "广东省", [world.addr("new_admin")]),
                 ("admitProvince", JS, "江苏省", [world.addr("outsider")])):  # fmt: skip
        receipt = govern(world, *step)
        block = receipt.block_number
        epoch, active = c.province_epoch(step[1], block_identifier=block)
        assert mirror.province_active_epoch(step[1], block_identifier=block) == (epoch if active else 0)
        agrees()
    assert mirror.province_active_epoch(GD) == 2


# ----- suspendProvince


def test_suspend_province_through_governance_takes_away_the_vote_and_the_admins_powers(world: World) -> None:
    c = world.reader.consortium
    receipt = govern(world, "suspendProvince", GD)
    assert receipt.event("ProvinceSuspended").args["code"] == GD
    assert "ThresholdChanged" not in event_names(receipt)  # 2 of 2 active provinces is still reachable
    assert c.province_status(GD) == ProvinceStatus.SUSPENDED
    assert c.province(GD).status_since == block_time(world, receipt)
    assert not c.is_province_active(GD)
    assert c.active_province_count() == 2
    assert c.threshold() == 2
    assert c.province(GD).admins == (world.addr("gd_admin"),)  # admins are kept
    with reverts(errors.ConsortiumProvinceNotActive, code=GD):
        world.as_("gd_admin").consortium.propose(c.address, b"", world.now() + DAY, "x").wait()


def test_suspend_province_lowers_the_effective_threshold_but_keeps_the_configured_one(world: World) -> None:
    c = world.reader.consortium
    govern(world, "setThreshold", 3)
    receipt = govern(world, "suspendProvince", GD, voters=("sh_admin", "zj_admin", "gd_admin"))
    assert "ThresholdChanged" not in event_names(receipt)
    assert receipt.event("ProvinceSuspended").args["code"] == GD
    assert c.threshold() == 2
    assert c.configured_threshold() == 3
    assert c.active_province_count() == 2
    # the two provinces left govern with two votes
    receipt = govern(world, "admitProvince", JS, "江苏省", [world.addr("new_admin")])
    assert receipt.event("ProvinceAdmitted").args["code"] == JS
    assert (c.threshold(), c.configured_threshold(), c.active_province_count()) == (3, 3, 3)


def test_reinstating_a_province_restores_the_configured_threshold(world: World) -> None:
    c = world.reader.consortium
    govern(world, "setThreshold", 3)
    govern(world, "suspendProvince", GD, voters=("sh_admin", "zj_admin", "gd_admin"))
    assert (c.threshold(), c.configured_threshold()) == (2, 3)

    receipt = govern(world, "reinstateProvince", GD)

    assert "ThresholdChanged" not in event_names(receipt)
    assert (c.threshold(), c.configured_threshold(), c.active_province_count()) == (3, 3, 3)
    pid = propose(world)
    world.as_("sh_admin").consortium.vote(pid).wait()
    world.as_("zj_admin").consortium.vote(pid).wait()
    assert c.proposal_state(pid) == ProposalState.PENDING
    with reverts(errors.ConsortiumThresholdNotReached, proposalId=pid, votes=2, threshold=3):
        world.as_("sh_admin").consortium.execute(pid).wait()


def test_the_state_of_an_open_proposal_follows_the_effective_threshold(world: World) -> None:
    c = world.reader.consortium
    govern(world, "setThreshold", 3)
    pid = propose(world)
    world.as_("sh_admin").consortium.vote(pid).wait()
    world.as_("zj_admin").consortium.vote(pid).wait()
    assert c.proposal_state(pid) == ProposalState.PENDING

    govern(world, "suspendProvince", GD, voters=("sh_admin", "zj_admin", "gd_admin"))
    assert c.proposal_state(pid) == ProposalState.APPROVED  # 2 of the 2 active provinces
    govern(world, "reinstateProvince", GD)
    assert c.proposal_state(pid) == ProposalState.PENDING  # 2 of 3 again
    govern(world, "suspendProvince", GD, voters=("sh_admin", "zj_admin", "gd_admin"))
    receipt = world.as_("zj_admin").consortium.execute(pid).wait()
    assert receipt.event("ProposalExecuted").args["proposalId"] == pid
    assert c.province_status(JS) == ProvinceStatus.ACTIVE


def test_set_threshold_cannot_exceed_the_active_provinces_while_some_are_suspended(world: World) -> None:
    c = world.reader.consortium
    govern(world, "setThreshold", 3)
    govern(world, "suspendProvince", GD, voters=("sh_admin", "zj_admin", "gd_admin"))
    with reverts(errors.ConsortiumInvalidThreshold, threshold=3, activeProvinces=2):
        govern(world, "setThreshold", 3)
    receipt = govern(world, "setThreshold", 1)
    changed = receipt.event("ThresholdChanged").args
    assert (changed["oldThreshold"], changed["newThreshold"]) == (3, 1)
    assert (c.threshold(), c.configured_threshold()) == (1, 1)


def test_suspend_province_refuses_a_province_that_is_not_active(world: World) -> None:
    with reverts(errors.ConsortiumProvinceNotActive, code=BJ):
        govern(world, "suspendProvince", BJ)
    with reverts(errors.ConsortiumProvinceNotActive, code=JS):
        govern(world, "suspendProvince", JS)
    assert world.reader.consortium.active_province_count() == 3


def test_suspend_province_refuses_the_last_active_province(world: World) -> None:
    c = world.reader.consortium
    govern(world, "suspendProvince", GD)
    receipt = govern(world, "suspendProvince", ZJ)
    assert "ThresholdChanged" not in event_names(receipt)
    assert (c.threshold(), c.configured_threshold(), c.active_province_count()) == (1, 2, 1)
    with reverts(errors.ConsortiumLastActiveProvince, code=SH):
        govern(world, "suspendProvince", SH, voters=("sh_admin",))
    assert c.is_province_active(SH)
    govern(world, "reinstateProvince", ZJ, voters=("sh_admin",))
    assert (c.threshold(), c.configured_threshold(), c.active_province_count()) == (2, 2, 2)


# ----- reinstateProvince


def test_reinstate_province_through_governance_restores_the_vote(world: World) -> None:
    c = world.reader.consortium
    receipt = govern(world, "reinstateProvince", BJ)
    assert receipt.event("ProvinceReinstated").args["code"] == BJ
    assert c.province_status(BJ) == ProvinceStatus.ACTIVE
    assert c.province(BJ).status_since == block_time(world, receipt)
    assert c.active_province_count() == 4
    assert c.threshold() == 2
    pid = propose(world, "bj_admin")
    assert world.as_("bj_admin").consortium.vote(pid).wait().event("VoteCast").args["province"] == BJ


@pytest.mark.parametrize("code", [SH, JS], ids=["active", "never admitted"])
def test_reinstate_province_refuses_a_province_that_is_not_suspended(world: World, code: int) -> None:
    with reverts(errors.ConsortiumProvinceNotSuspended, code=code):
        govern(world, "reinstateProvince", code)


# ----- removeProvince


def test_remove_province_through_governance_releases_its_admins(world: World) -> None:
    c = world.reader.consortium
    gd_admin = world.addr("gd_admin")
    receipt = govern(world, "removeProvince", GD)
    assert receipt.event("ProvinceRemoved").args["code"] == GD
    released = receipt.event("ProvinceAdminRemoved").args
    assert (released["code"], released["account"]) == (GD, gd_admin)
    assert c.province(GD).status == ProvinceStatus.REMOVED
    assert c.province(GD).admins == ()
    assert c.province_of_admin(gd_admin) is None
    assert not c.is_province_admin(GD, gd_admin)
    assert c.active_province_count() == 2
    assert c.province_codes() == [SH, ZJ, GD, BJ]
    with reverts(errors.ConsortiumNotProvinceAdmin, account=gd_admin):
        world.as_("gd_admin").consortium.propose(c.address, b"", world.now() + DAY, "x").wait()
    # the released account can administer another province
    world.as_("sh_admin").consortium.add_province_admin(SH, gd_admin).wait()
    assert c.province_of_admin(gd_admin) == SH


def test_remove_province_through_governance_removes_a_suspended_province(world: World) -> None:
    c = world.reader.consortium
    receipt = govern(world, "removeProvince", BJ)
    assert event_names(receipt).count("ProvinceRemoved") == 1
    assert c.province_status(BJ) == ProvinceStatus.REMOVED
    assert c.province_of_admin(world.addr("bj_admin")) is None
    assert c.active_province_count() == 3
    assert c.threshold() == 2
    assert c.province_epoch(BJ) == (1, False)


def test_remove_province_lowers_the_effective_threshold_until_a_province_is_admitted(world: World) -> None:
    c = world.reader.consortium
    govern(world, "setThreshold", 3)
    receipt = govern(world, "removeProvince", GD, voters=("sh_admin", "zj_admin", "gd_admin"))
    assert "ThresholdChanged" not in event_names(receipt)
    assert (c.threshold(), c.configured_threshold(), c.active_province_count()) == (2, 3, 2)
    govern(world, "admitProvince", GD, "广东省", [world.addr("gd_admin")])
    assert (c.threshold(), c.configured_threshold(), c.active_province_count()) == (3, 3, 3)


@pytest.mark.parametrize("code", [JS, 0], ids=["never admitted", "zero"])
def test_remove_province_refuses_an_unknown_province(world: World, code: int) -> None:
    with reverts(errors.ConsortiumUnknownProvince, code=code):
        govern(world, "removeProvince", code)


def test_remove_province_refuses_a_province_removed_already(world: World) -> None:
    govern(world, "removeProvince", GD)
    with reverts(errors.ConsortiumUnknownProvince, code=GD):
        govern(world, "removeProvince", GD)


# ----- setThreshold


def test_set_threshold_through_governance_changes_the_threshold(world: World) -> None:
    c = world.reader.consortium
    receipt = govern(world, "setThreshold", 3)
    changed = receipt.event("ThresholdChanged").args
    assert (changed["oldThreshold"], changed["newThreshold"]) == (2, 3)
    assert c.threshold() == 3
    assert c.configured_threshold() == 3
    pid = propose(world)
    world.as_("sh_admin").consortium.vote(pid).wait()
    world.as_("zj_admin").consortium.vote(pid).wait()
    with reverts(errors.ConsortiumThresholdNotReached, proposalId=pid, votes=2, threshold=3):
        world.as_("sh_admin").consortium.execute(pid).wait()


@pytest.mark.parametrize("threshold", [0, 4])
def test_set_threshold_refuses_zero_or_more_than_the_active_provinces(world: World, threshold: int) -> None:
    with reverts(errors.ConsortiumInvalidThreshold, threshold=threshold, activeProvinces=3):
        govern(world, "setThreshold", threshold)
    assert world.reader.consortium.threshold() == 2
    assert world.reader.consortium.configured_threshold() == 2


# ---------------------------------------------------------------------------------------------- province admins


def test_add_province_admin_by_an_admin_adds_the_account(world: World) -> None:
    c = world.reader.consortium
    new_admin = world.addr("new_admin")
    receipt = world.as_("sh_admin2").consortium.add_province_admin(SH, new_admin).wait()
    added = receipt.event("ProvinceAdminAdded").args
    assert (added["code"], added["account"]) == (SH, new_admin)
    assert c.province(SH).admins == (world.addr("sh_admin"), world.addr("sh_admin2"), new_admin)
    assert c.province_of_admin(new_admin) == SH
    assert c.is_province_admin(SH, new_admin)
    # the new admin acts for the province; its vote is the province's one vote
    pid = propose(world, "zj_admin")
    assert world.as_("new_admin").consortium.vote(pid).wait().event("VoteCast").args["province"] == SH
    with reverts(errors.ConsortiumAlreadyVoted, proposalId=pid, province=SH):
        world.as_("sh_admin").consortium.vote(pid).wait()


@pytest.mark.parametrize("account", [*NON_ADMINS, "zj_admin", "gd_admin", "bj_admin"])
def test_add_province_admin_refuses_anyone_but_an_admin_of_the_province(world: World, account: str) -> None:
    with reverts(errors.ConsortiumUnauthorizedAdmin, account=world.addr(account), code=SH):
        world.as_(account).consortium.add_province_admin(SH, world.addr("new_admin")).wait()
    assert world.reader.consortium.province_of_admin(world.addr("new_admin")) is None


def test_add_province_admin_refuses_an_admin_of_the_suspended_province(world: World) -> None:
    with reverts(errors.ConsortiumProvinceNotActive, code=BJ):
        world.as_("bj_admin").consortium.add_province_admin(BJ, world.addr("new_admin")).wait()


@pytest.mark.parametrize(("account", "province"), [("zj_admin", ZJ), ("sh_admin2", SH), ("bj_admin", BJ)])
def test_add_province_admin_refuses_an_account_already_assigned(world: World, account: str, province: int) -> None:
    with reverts(errors.ConsortiumAdminAlreadyAssigned, account=world.addr(account), code=province):
        world.as_("sh_admin").consortium.add_province_admin(SH, world.addr(account)).wait()


def test_add_province_admin_refuses_the_zero_address(world: World) -> None:
    with reverts(errors.ConsortiumInvalidAdmin, account=ZERO_ADDRESS):
        world.as_("sh_admin").consortium.add_province_admin(SH, ZERO_ADDRESS).wait()


def test_add_province_admin_through_governance_reaches_a_suspended_province(world: World) -> None:
    c = world.reader.consortium
    receipt = govern(world, "addProvinceAdmin", BJ, world.addr("new_admin"))
    added = receipt.event("ProvinceAdminAdded").args
    assert (added["code"], added["account"]) == (BJ, world.addr("new_admin"))
    assert c.province(BJ).admins == (world.addr("bj_admin"), world.addr("new_admin"))


def test_add_province_admin_through_governance_refuses_an_unknown_province(world: World) -> None:
    with reverts(errors.ConsortiumUnknownProvince, code=JS):
        govern(world, "addProvinceAdmin", JS, world.addr("new_admin"))


def test_remove_province_admin_by_an_admin_removes_the_account(world: World) -> None:
    c = world.reader.consortium
    sh_admin2 = world.addr("sh_admin2")
    receipt = world.as_("sh_admin").consortium.remove_province_admin(SH, sh_admin2).wait()
    removed = receipt.event("ProvinceAdminRemoved").args
    assert (removed["code"], removed["account"]) == (SH, sh_admin2)
    assert c.province(SH).admins == (world.addr("sh_admin"),)
    assert c.province_of_admin(sh_admin2) is None
    assert not c.is_province_admin(SH, sh_admin2)
    with reverts(errors.ConsortiumNotProvinceAdmin, account=sh_admin2):
        world.as_("sh_admin2").consortium.propose(c.address, b"", world.now() + DAY, "x").wait()


def test_remove_province_admin_lets_an_admin_remove_itself(world: World) -> None:
    world.as_("sh_admin2").consortium.remove_province_admin(SH, world.addr("sh_admin2")).wait()
    assert world.reader.consortium.province(SH).admins == (world.addr("sh_admin"),)


def test_remove_province_admin_refuses_to_remove_the_last_admin(world: World) -> None:
    with reverts(errors.ConsortiumLastAdmin, code=ZJ):
        world.as_("zj_admin").consortium.remove_province_admin(ZJ, world.addr("zj_admin")).wait()
    world.as_("sh_admin").consortium.remove_province_admin(SH, world.addr("sh_admin2")).wait()
    with reverts(errors.ConsortiumLastAdmin, code=SH):
        world.as_("sh_admin").consortium.remove_province_admin(SH, world.addr("sh_admin")).wait()
    assert world.reader.consortium.province(SH).admins == (world.addr("sh_admin"),)


@pytest.mark.parametrize("account", ["zj_admin", "outsider", "sh_amr"])
def test_remove_province_admin_refuses_an_account_that_is_not_admin_of_the_province(world: World, account: str) -> None:
    with reverts(errors.ConsortiumNotAdminOfProvince, account=world.addr(account), code=SH):
        world.as_("sh_admin").consortium.remove_province_admin(SH, world.addr(account)).wait()


@pytest.mark.parametrize("account", [*NON_ADMINS, "zj_admin", "gd_admin", "bj_admin"])
def test_remove_province_admin_refuses_anyone_but_an_admin_of_the_province(world: World, account: str) -> None:
    with reverts(errors.ConsortiumUnauthorizedAdmin, account=world.addr(account), code=SH):
        world.as_(account).consortium.remove_province_admin(SH, world.addr("sh_admin2")).wait()
    assert world.reader.consortium.is_province_admin(SH, world.addr("sh_admin2"))


def test_remove_province_admin_refuses_an_admin_of_the_suspended_province(world: World) -> None:
    govern(world, "addProvinceAdmin", BJ, world.addr("new_admin"))
    with reverts(errors.ConsortiumProvinceNotActive, code=BJ):
        world.as_("bj_admin").consortium.remove_province_admin(BJ, world.addr("new_admin")).wait()


def test_remove_province_admin_through_governance_reaches_a_suspended_province(world: World) -> None:
    c = world.reader.consortium
    govern(world, "addProvinceAdmin", BJ, world.addr("new_admin"))
    receipt = govern(world, "removeProvinceAdmin", BJ, world.addr("bj_admin"))
    removed = receipt.event("ProvinceAdminRemoved").args
    assert (removed["code"], removed["account"]) == (BJ, world.addr("bj_admin"))
    assert c.province(BJ).admins == (world.addr("new_admin"),)


# ---------------------------------------------------------------------------------------------- history


def test_was_province_active_at_answers_for_past_timestamps(world: World) -> None:
    c = world.reader.consortium
    world.advance(100)
    admitted = block_time(world, govern(world, "admitProvince", JS, "江苏省", [world.addr("new_admin")]))
    world.advance(100)
    suspended = block_time(world, govern(world, "suspendProvince", JS))
    world.advance(100)
    reinstated = block_time(world, govern(world, "reinstateProvince", JS))
    world.advance(100)
    removed = block_time(world, govern(world, "removeProvince", JS))
    assert admitted < suspended < reinstated < removed
    expected = {
        admitted - 1: False,
        admitted: True,
        suspended - 1: True,
        suspended: False,
        reinstated - 1: False,
        reinstated: True,
        removed - 1: True,
        removed: False,
        world.now(): False,
    }
    assert {t: c.was_province_active_at(JS, t) for t in expected} == expected


def test_each_admission_starts_a_new_epoch_and_a_suspension_keeps_it(world: World) -> None:
    c = world.reader.consortium
    moments: dict[str, Receipt] = {}
    steps = [
        ("admitted", ("admitProvince", JS, "江苏省", [world.addr("new_admin")])),
        ("suspended", ("suspendProvince", JS)),
        ("reinstated", ("reinstateProvince", JS)),
        ("removed", ("removeProvince", JS)),
        ("readmitted", ("admitProvince", JS, "江苏省", [world.addr("new_admin")])),
    ]
    for name, (fn, *args) in steps:
        world.advance(100)
        moments[name] = govern(world, fn, *args)
    world.advance(100)
    t = {name: block_time(world, receipt) for name, receipt in moments.items()}

    expected = {
        t["admitted"] - 1: 0,
        t["admitted"]: 1,
        t["suspended"] - 1: 1,
        t["suspended"]: 0,
        t["reinstated"] - 1: 0,
        t["reinstated"]: 1,
        t["removed"] - 1: 1,
        t["removed"]: 0,
        t["readmitted"] - 1: 0,
        t["readmitted"]: 2,
        world.now(): 2,
    }
    assert {at: c.province_epoch_at(JS, at) for at in expected} == expected
    assert {at: c.was_province_active_at(JS, at) for at in expected} == {at: e != 0 for at, e in expected.items()}
    assert [c.province_epoch(JS, block_identifier=r.block_number) for r in moments.values()] == [
        (1, True),
        (1, False),
        (1, True),
        (1, False),
        (2, True),
    ]
    assert [c.province(JS, block_identifier=r.block_number).epoch for r in moments.values()] == [1, 1, 1, 1, 2]
    assert c.province_epoch_at(SH, world.now()) == 1
    assert c.province_epoch_at(BJ, world.now()) == 0
    assert c.province_epoch_at(GD + 10_000, world.now()) == 0  # never admitted


def test_was_province_active_at_knows_the_suspended_province_was_active_before(world: World) -> None:
    c = world.reader.consortium
    deployed = world.deployment.contracts["Consortium"].block_number
    admitted = int(world.reader.w3.eth.get_block(deployed)["timestamp"])
    suspended = c.province(BJ).status_since
    assert admitted <= suspended
    assert not c.was_province_active_at(BJ, admitted - 1)  # before the consortium existed
    # bootstrap may admit and suspend within one second: then the later status of that second wins
    assert c.was_province_active_at(BJ, suspended - 1) == (admitted < suspended)
    assert not c.was_province_active_at(BJ, suspended)
    assert not c.was_province_active_at(BJ, world.now())
    assert c.was_province_active_at(SH, suspended)
    assert not c.was_province_active_at(JS, suspended)


# ---------------------------------------------------------------------------------------------- client validation

BAD_CODES = [0, 123, 310001, 310100, 100000, 830000, 900000, True, "310000", 310000.0]

SENDS_WITH_A_CODE = {
    "admit_province": lambda w, c, code: c.admit_province(code, "某省", [w.addr("new_admin")]),
    "suspend_province": lambda w, c, code: c.suspend_province(code),
    "reinstate_province": lambda w, c, code: c.reinstate_province(code),
    "remove_province": lambda w, c, code: c.remove_province(code),
    "add_province_admin": lambda w, c, code: c.add_province_admin(code, w.addr("new_admin")),
    "remove_province_admin": lambda w, c, code: c.remove_province_admin(code, w.addr("sh_admin2")),
}


@pytest.mark.parametrize("code", BAD_CODES, ids=repr)
@pytest.mark.parametrize("method", list(SENDS_WITH_A_CODE))
def test_a_malformed_province_code_is_refused_before_anything_is_sent(world: World, method: str, code: Any) -> None:
    before = nothing_sent(world, "sh_admin")
    with pytest.raises(LedgerValueError, match="province"):
        SENDS_WITH_A_CODE[method](world, world.as_("sh_admin").consortium, code)
    assert nothing_sent(world, "sh_admin") == before


@pytest.mark.parametrize("code", BAD_CODES, ids=repr)
def test_the_province_view_refuses_a_malformed_code_without_asking_the_chain(world: World, code: Any) -> None:
    with pytest.raises(LedgerValueError, match="province"):
        world.reader.consortium.province(code)


@pytest.mark.parametrize(
    "call",
    [
        lambda w, c: c.admit_province(JS, "江苏省", ["0x1234"]),
        lambda w, c: c.add_province_admin(SH, "not an address"),
        lambda w, c: c.set_threshold(-1),
        lambda w, c: c.vote(-1),
        lambda w, c: c.propose(w.addr("outsider"), b"", 2**48, "x"),
    ],
    ids=["bad admin", "bad account", "negative threshold", "negative proposal id", "expiry beyond uint48"],
)
def test_other_malformed_arguments_are_refused_before_anything_is_sent(world: World, call: Any) -> None:
    before = nothing_sent(world, "sh_admin")
    with pytest.raises(LedgerValueError):
        call(world, world.as_("sh_admin").consortium)
    assert nothing_sent(world, "sh_admin") == before

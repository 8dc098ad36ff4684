// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Vm} from "forge-std/Vm.sol";
import {HurongFixture} from "./HurongFixture.sol";
import {Consortium} from "../../contracts/Consortium.sol";
import {IConsortium} from "../../contracts/interfaces/IConsortium.sol";

contract ConsortiumTest is HurongFixture {
    // ================================================================== constructor

    function test_constructor_bootstrapsProvincesAdminsAndThreshold() public view {
        assertEq(consortium.threshold(), 2);
        assertEq(consortium.configuredThreshold(), 2);
        assertEq(consortium.activeProvinceCount(), 3);
        uint32[] memory codes = consortium.provinceCodes();
        assertEq(codes.length, 3);
        assertEq(codes[0], SH);
        assertEq(codes[1], ZJ);
        assertEq(codes[2], GD);

        IConsortium.ProvinceView memory sh = consortium.province(SH);
        assertEq(sh.code, SH);
        assertEq(uint8(sh.status), uint8(IConsortium.ProvinceStatus.Active));
        assertEq(sh.statusSince, START);
        assertEq(sh.epoch, 1);
        assertEq(sh.name, unicode"上海市");
        assertEq(sh.admins, _one(shAdmin));
        assertEq(consortium.province(ZJ).name, unicode"浙江省");
        assertEq(consortium.province(GD).name, unicode"广东省");

        assertEq(consortium.provinceOfAdmin(gdAdmin), GD);
        assertTrue(consortium.isProvinceAdmin(ZJ, zjAdmin));
        assertFalse(consortium.isProvinceAdmin(SH, zjAdmin));
        assertFalse(consortium.isProvinceAdmin(0, outsider));
        assertTrue(consortium.isProvinceActive(SH));
        assertTrue(consortium.wasProvinceActiveAt(SH, START));
        assertFalse(consortium.wasProvinceActiveAt(SH, START - 1));
        (uint32 epoch, bool active) = consortium.provinceEpoch(SH);
        assertEq(epoch, 1);
        assertTrue(active);
        assertEq(consortium.provinceEpochAt(SH, START), 1);
        assertEq(consortium.provinceEpochAt(SH, START - 1), 0);
        (epoch, active) = consortium.provinceEpoch(JS);
        assertEq(epoch, 0);
        assertFalse(active);
        assertEq(consortium.provinceEpochAt(JS, START), 0);
        assertEq(consortium.proposalCount(), 0);
    }

    function test_constructor_emitsAdmissionsAndThreshold() public {
        vm.expectEmit();
        emit IConsortium.ProvinceAdmitted(SH, unicode"上海市", _one(shAdmin));
        vm.expectEmit();
        emit IConsortium.ProvinceAdminAdded(SH, shAdmin);
        vm.expectEmit();
        emit IConsortium.ProvinceAdmitted(ZJ, unicode"浙江省", _one(zjAdmin));
        vm.expectEmit();
        emit IConsortium.ProvinceAdminAdded(ZJ, zjAdmin);
        vm.expectEmit();
        emit IConsortium.ProvinceAdmitted(GD, unicode"广东省", _one(gdAdmin));
        vm.expectEmit();
        emit IConsortium.ProvinceAdminAdded(GD, gdAdmin);
        vm.expectEmit();
        emit IConsortium.ThresholdChanged(0, 3);
        new Consortium(_initialProvinces(), 3, _nextRegistry());
    }

    function test_constructor_revertsForZeroThreshold() public {
        IConsortium.InitialProvince[] memory provinces = _initialProvinces();
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInvalidThreshold.selector, 0, 3));
        new Consortium(provinces, 0, _nextRegistry());
    }

    function test_constructor_revertsForThresholdAboveProvinceCount() public {
        IConsortium.InitialProvince[] memory provinces = _initialProvinces();
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInvalidThreshold.selector, 4, 3));
        new Consortium(provinces, 4, _nextRegistry());
    }

    function test_constructor_revertsWithoutProvinces() public {
        IConsortium.InitialProvince[] memory provinces = new IConsortium.InitialProvince[](0);
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInvalidThreshold.selector, 1, 0));
        new Consortium(provinces, 1, _nextRegistry());
    }

    function test_constructor_revertsForCityLevelCode() public {
        IConsortium.InitialProvince[] memory provinces = _initialProvinces();
        provinces[1].code = 330100;
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInvalidProvinceCode.selector, 330100));
        new Consortium(provinces, 2, _nextRegistry());
    }

    function test_constructor_revertsForDuplicateCode() public {
        IConsortium.InitialProvince[] memory provinces = _initialProvinces();
        provinces[2].code = SH;
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumProvinceExists.selector, SH));
        new Consortium(provinces, 2, _nextRegistry());
    }

    function test_constructor_revertsForAdminOfTwoProvinces() public {
        IConsortium.InitialProvince[] memory provinces = _initialProvinces();
        provinces[1].admins = _one(shAdmin);
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumAdminAlreadyAssigned.selector, shAdmin, SH));
        new Consortium(provinces, 2, _nextRegistry());
    }

    function test_constructor_revertsForZeroAdmin() public {
        IConsortium.InitialProvince[] memory provinces = _initialProvinces();
        provinces[0].admins = _one(address(0));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInvalidAdmin.selector, address(0)));
        new Consortium(provinces, 2, _nextRegistry());
    }

    function test_constructor_revertsForProvinceWithoutAdmins() public {
        IConsortium.InitialProvince[] memory provinces = _initialProvinces();
        provinces[0].admins = new address[](0);
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInvalidAdmin.selector, address(0)));
        new Consortium(provinces, 2, _nextRegistry());
    }

    // ================================================================== invalid codes

    function test_admitProvince_revertsForInvalidCodes() public {
        uint32[5] memory invalid = [uint32(0), 100000, 830000, 310100, 310001];
        for (uint256 i = 0; i < invalid.length; ++i) {
            uint256 id = _proposeApproved(
                abi.encodeCall(IConsortium.admitProvince, (invalid[i], "invalid", _one(jsAdmin)))
            );
            vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInvalidProvinceCode.selector, invalid[i]));
            vm.prank(shAdmin);
            consortium.execute(id);
        }
    }

    function test_admitProvince_acceptsBoundaryCodes() public {
        _govern(abi.encodeCall(IConsortium.admitProvince, (110000, unicode"北京市", _one(makeAddr("bj")))));
        _govern(abi.encodeCall(IConsortium.admitProvince, (820000, unicode"澳门特别行政区", _one(makeAddr("mo")))));
        assertTrue(consortium.isProvinceActive(110000));
        assertTrue(consortium.isProvinceActive(820000));
    }

    // ================================================================== propose

    function test_propose_recordsAPendingProposal() public {
        bytes memory data = abi.encodeCall(IConsortium.setThreshold, (3));
        uint48 expiresAt = _now() + VOTING_PERIOD;
        vm.expectEmit();
        emit IConsortium.ProposalCreated(1, SH, address(consortium), data, expiresAt, unicode"门槛提高到3");
        vm.prank(shAdmin);
        uint256 id = consortium.propose(address(consortium), data, expiresAt, unicode"门槛提高到3");

        assertEq(id, 1);
        assertEq(consortium.proposalCount(), 1);
        IConsortium.ProposalView memory p = consortium.proposal(id);
        assertEq(p.proposer, SH);
        assertEq(uint8(p.state), uint8(IConsortium.ProposalState.Pending));
        assertEq(p.createdAt, START);
        assertEq(p.expiresAt, expiresAt);
        assertEq(p.target, address(consortium));
        assertEq(p.data, data);
        assertEq(p.description, unicode"门槛提高到3");
        assertEq(p.voters.length, 0);
        assertEq(consortium.proposalVotes(id), 0);
        assertFalse(consortium.hasVoted(id, SH));
    }

    function test_propose_revertsForOutsider() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumNotProvinceAdmin.selector, outsider));
        vm.prank(outsider);
        consortium.propose(address(consortium), "", _now() + 1, "");
    }

    function test_propose_revertsForAdminOfSuspendedProvince() public {
        _suspendProvince(GD);
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumProvinceNotActive.selector, GD));
        vm.prank(gdAdmin);
        consortium.propose(address(consortium), "", _now() + 1, "");
    }

    function test_propose_revertsForTargetWithoutCode() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInvalidTarget.selector, outsider));
        vm.prank(shAdmin);
        consortium.propose(outsider, "", _now() + 1, "");
    }

    function test_propose_revertsForExpiryNotInTheFuture() public {
        uint48 now_ = _now();
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInvalidExpiry.selector, now_));
        vm.prank(shAdmin);
        consortium.propose(address(consortium), "", now_, "");
    }

    function test_propose_revertsForExpiryBeyondMaximumLifetime() public {
        uint48 expiresAt = _now() + 90 days + 1;
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInvalidExpiry.selector, expiresAt));
        vm.prank(shAdmin);
        consortium.propose(address(consortium), "", expiresAt, "");
    }

    function test_propose_acceptsMaximumLifetime() public {
        vm.prank(shAdmin);
        uint256 id = consortium.propose(address(consortium), "", _now() + 90 days, "");
        assertEq(consortium.proposal(id).expiresAt, START + 90 days);
    }

    // ================================================================== vote

    function test_vote_reachesThresholdWithTheSecondProvince() public {
        uint256 id = _propose(shAdmin, abi.encodeCall(IConsortium.setThreshold, (3)));

        vm.expectEmit();
        emit IConsortium.VoteCast(id, SH, shAdmin);
        _vote(shAdmin, id);
        assertTrue(consortium.hasVoted(id, SH));
        assertEq(consortium.proposalVotes(id), 1);
        assertEq(uint8(consortium.proposalState(id)), uint8(IConsortium.ProposalState.Pending));

        _vote(zjAdmin, id);
        assertEq(consortium.proposalVotes(id), 2);
        assertEq(uint8(consortium.proposalState(id)), uint8(IConsortium.ProposalState.Approved));

        // An approved proposal stays open to further votes.
        _vote(gdAdmin, id);
        uint32[] memory voters = consortium.proposal(id).voters;
        assertEq(voters.length, 3);
        assertEq(voters[0], SH);
        assertEq(voters[1], ZJ);
        assertEq(voters[2], GD);
    }

    function test_vote_revertsForADoubleVote() public {
        uint256 id = _propose(shAdmin, abi.encodeCall(IConsortium.setThreshold, (3)));
        _vote(zjAdmin, id);
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumAlreadyVoted.selector, id, ZJ));
        vm.prank(zjAdmin);
        consortium.vote(id);
    }

    function test_vote_revertsForASecondAdminOfAProvinceThatVoted() public {
        address zjDeputy = makeAddr("zjDeputy");
        vm.prank(zjAdmin);
        consortium.addProvinceAdmin(ZJ, zjDeputy);
        uint256 id = _propose(shAdmin, abi.encodeCall(IConsortium.setThreshold, (3)));
        _vote(zjAdmin, id);
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumAlreadyVoted.selector, id, ZJ));
        vm.prank(zjDeputy);
        consortium.vote(id);
    }

    function test_vote_revertsForOutsider() public {
        uint256 id = _propose(shAdmin, abi.encodeCall(IConsortium.setThreshold, (3)));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumNotProvinceAdmin.selector, outsider));
        vm.prank(outsider);
        consortium.vote(id);
    }

    function test_vote_revertsForUnknownProposal() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumUnknownProposal.selector, 7));
        vm.prank(shAdmin);
        consortium.vote(7);
    }

    function test_vote_revertsForExpiredProposal() public {
        uint256 id = _propose(shAdmin, abi.encodeCall(IConsortium.setThreshold, (3)));
        uint48 expiresAt = START + VOTING_PERIOD;
        vm.warp(expiresAt + 1);
        assertEq(uint8(consortium.proposalState(id)), uint8(IConsortium.ProposalState.Expired));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumProposalExpired.selector, id, expiresAt));
        vm.prank(zjAdmin);
        consortium.vote(id);
    }

    function test_vote_ofASuspendedProvinceIsNotCounted() public {
        uint256 id = _propose(shAdmin, abi.encodeCall(IConsortium.setThreshold, (1)));
        _vote(shAdmin, id);
        _vote(gdAdmin, id);
        assertEq(uint8(consortium.proposalState(id)), uint8(IConsortium.ProposalState.Approved));

        _suspendProvince(GD);

        assertTrue(consortium.hasVoted(id, GD));
        assertEq(consortium.proposalVotes(id), 1);
        assertEq(uint8(consortium.proposalState(id)), uint8(IConsortium.ProposalState.Pending));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumThresholdNotReached.selector, id, 1, 2));
        vm.prank(shAdmin);
        consortium.execute(id);
    }

    function test_vote_revertsForAdminOfSuspendedProvince() public {
        uint256 id = _propose(shAdmin, abi.encodeCall(IConsortium.setThreshold, (1)));
        _suspendProvince(GD);
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumProvinceNotActive.selector, GD));
        vm.prank(gdAdmin);
        consortium.vote(id);
    }

    // ================================================================== execute

    function test_execute_performsTheCallOnceTheThresholdIsReached() public {
        uint256 id = _proposeApproved(abi.encodeCall(IConsortium.setThreshold, (3)));
        vm.expectEmit();
        emit IConsortium.ProposalExecuted(id, zjAdmin);
        vm.expectEmit();
        emit IConsortium.ThresholdChanged(2, 3);
        vm.prank(zjAdmin);
        consortium.execute(id);
        assertEq(consortium.threshold(), 3);
        assertEq(consortium.configuredThreshold(), 3);
        assertEq(uint8(consortium.proposalState(id)), uint8(IConsortium.ProposalState.Executed));
    }

    function test_execute_revertsBelowThreshold() public {
        uint256 id = _propose(shAdmin, abi.encodeCall(IConsortium.setThreshold, (3)));
        _vote(shAdmin, id);
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumThresholdNotReached.selector, id, 1, 2));
        vm.prank(shAdmin);
        consortium.execute(id);
    }

    function test_execute_revertsForOutsider() public {
        uint256 id = _proposeApproved(abi.encodeCall(IConsortium.setThreshold, (3)));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumNotProvinceAdmin.selector, outsider));
        vm.prank(outsider);
        consortium.execute(id);
    }

    function test_execute_byAnAdminOfAnActiveProvinceThatDidNotVote() public {
        uint256 id = _proposeApproved(abi.encodeCall(IConsortium.setThreshold, (3)));
        assertFalse(consortium.hasVoted(id, GD));
        vm.expectEmit();
        emit IConsortium.ProposalExecuted(id, gdAdmin);
        vm.prank(gdAdmin);
        consortium.execute(id);
        assertEq(consortium.configuredThreshold(), 3);
    }

    function test_execute_revertsForAdminOfSuspendedProvince() public {
        _suspendProvince(GD);
        uint256 id = _proposeApproved(abi.encodeCall(IConsortium.setThreshold, (1)));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumProvinceNotActive.selector, GD));
        vm.prank(gdAdmin);
        consortium.execute(id);
    }

    function test_execute_revertsForFormerAdminOfRemovedProvince() public {
        _removeProvince(GD);
        uint256 id = _proposeApproved(abi.encodeCall(IConsortium.setThreshold, (1)));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumNotProvinceAdmin.selector, gdAdmin));
        vm.prank(gdAdmin);
        consortium.execute(id);
    }

    function test_execute_isAllowedUntilTheExpiryInstant() public {
        uint256 id = _proposeApproved(abi.encodeCall(IConsortium.setThreshold, (3)));
        vm.warp(START + VOTING_PERIOD);
        vm.prank(shAdmin);
        consortium.execute(id);
        assertEq(consortium.threshold(), 3);
    }

    function test_execute_revertsForExpiredProposal() public {
        uint256 id = _proposeApproved(abi.encodeCall(IConsortium.setThreshold, (3)));
        vm.warp(START + VOTING_PERIOD + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IConsortium.ConsortiumProposalExpired.selector, id, START + VOTING_PERIOD)
        );
        vm.prank(shAdmin);
        consortium.execute(id);
    }

    function test_execute_revertsForAnExecutedProposal() public {
        uint256 id = _govern(abi.encodeCall(IConsortium.setThreshold, (3)));
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsortium.ConsortiumProposalNotPending.selector,
                id,
                IConsortium.ProposalState.Executed
            )
        );
        vm.prank(shAdmin);
        consortium.execute(id);
    }

    function test_execute_bubblesUpTheTargetsRevertAndStaysPending() public {
        uint256 id = _proposeApproved(abi.encodeCall(IConsortium.setThreshold, (4)));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInvalidThreshold.selector, 4, 3));
        vm.prank(shAdmin);
        consortium.execute(id);
        assertEq(uint8(consortium.proposalState(id)), uint8(IConsortium.ProposalState.Approved));
    }

    // ================================================================== cancel

    function test_cancel_byTheProposerWithdrawsTheProposal() public {
        uint256 id = _propose(shAdmin, abi.encodeCall(IConsortium.setThreshold, (3)));
        _vote(zjAdmin, id);
        vm.expectEmit();
        emit IConsortium.ProposalCancelled(id);
        vm.prank(shAdmin);
        consortium.cancel(id);
        assertEq(uint8(consortium.proposalState(id)), uint8(IConsortium.ProposalState.Cancelled));

        vm.expectRevert(
            abi.encodeWithSelector(
                IConsortium.ConsortiumProposalNotPending.selector,
                id,
                IConsortium.ProposalState.Cancelled
            )
        );
        vm.prank(gdAdmin);
        consortium.vote(id);
    }

    function test_cancel_revertsForAnotherProvince() public {
        uint256 id = _propose(shAdmin, abi.encodeCall(IConsortium.setThreshold, (3)));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumNotProposer.selector, id, ZJ));
        vm.prank(zjAdmin);
        consortium.cancel(id);
    }

    function test_cancel_revertsForOutsider() public {
        uint256 id = _propose(shAdmin, abi.encodeCall(IConsortium.setThreshold, (3)));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumNotProvinceAdmin.selector, outsider));
        vm.prank(outsider);
        consortium.cancel(id);
    }

    function test_cancel_revertsForAnExpiredProposal() public {
        uint256 id = _propose(shAdmin, abi.encodeCall(IConsortium.setThreshold, (3)));
        vm.warp(START + VOTING_PERIOD + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IConsortium.ConsortiumProposalExpired.selector, id, START + VOTING_PERIOD)
        );
        vm.prank(shAdmin);
        consortium.cancel(id);
    }

    // ================================================================== governance-only, called directly

    function _expectOnlyGovernance(address caller) private {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumOnlyGovernance.selector, caller));
        vm.prank(caller);
    }

    function test_admitProvince_revertsForOutsider() public {
        _expectOnlyGovernance(outsider);
        consortium.admitProvince(JS, unicode"江苏省", _one(jsAdmin));
    }

    function test_admitProvince_revertsForProvinceAdmin() public {
        address[] memory admins = _one(jsAdmin);
        _expectOnlyGovernance(shAdmin);
        consortium.admitProvince(JS, unicode"江苏省", admins);
    }

    function test_suspendProvince_revertsForOutsider() public {
        _expectOnlyGovernance(outsider);
        consortium.suspendProvince(GD);
    }

    function test_suspendProvince_revertsForProvinceAdmin() public {
        _expectOnlyGovernance(shAdmin);
        consortium.suspendProvince(GD);
    }

    function test_reinstateProvince_revertsForOutsider() public {
        _suspendProvince(GD);
        _expectOnlyGovernance(outsider);
        consortium.reinstateProvince(GD);
    }

    function test_reinstateProvince_revertsForProvinceAdmin() public {
        _suspendProvince(GD);
        _expectOnlyGovernance(gdAdmin);
        consortium.reinstateProvince(GD);
    }

    function test_removeProvince_revertsForOutsider() public {
        _expectOnlyGovernance(outsider);
        consortium.removeProvince(GD);
    }

    function test_removeProvince_revertsForProvinceAdmin() public {
        _expectOnlyGovernance(zjAdmin);
        consortium.removeProvince(GD);
    }

    function test_setThreshold_revertsForOutsider() public {
        _expectOnlyGovernance(outsider);
        consortium.setThreshold(1);
    }

    function test_setThreshold_revertsForProvinceAdmin() public {
        _expectOnlyGovernance(shAdmin);
        consortium.setThreshold(1);
    }

    // ================================================================== admitProvince

    function test_admitProvince_admitsANewProvinceThroughGovernance() public {
        uint256 id = _proposeApproved(abi.encodeCall(IConsortium.admitProvince, (JS, unicode"江苏省", _one(jsAdmin))));
        vm.expectEmit();
        emit IConsortium.ProvinceAdmitted(JS, unicode"江苏省", _one(jsAdmin));
        vm.expectEmit();
        emit IConsortium.ProvinceAdminAdded(JS, jsAdmin);
        vm.prank(shAdmin);
        consortium.execute(id);

        assertEq(uint8(consortium.provinceStatus(JS)), uint8(IConsortium.ProvinceStatus.Active));
        assertEq(consortium.province(JS).name, unicode"江苏省");
        assertEq(consortium.provinceOfAdmin(jsAdmin), JS);
        assertEq(consortium.activeProvinceCount(), 4);
        assertEq(consortium.provinceCodes().length, 4);
        assertEq(consortium.province(JS).epoch, 1);
        assertEq(consortium.threshold(), 2);
    }

    function test_admitProvince_revertsForAMember() public {
        uint256 id = _proposeApproved(abi.encodeCall(IConsortium.admitProvince, (ZJ, "again", _one(jsAdmin))));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumProvinceExists.selector, ZJ));
        vm.prank(shAdmin);
        consortium.execute(id);
    }

    function test_admitProvince_revertsForAnAdminOfAnotherProvince() public {
        uint256 id = _proposeApproved(abi.encodeCall(IConsortium.admitProvince, (JS, unicode"江苏省", _one(zjAdmin))));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumAdminAlreadyAssigned.selector, zjAdmin, ZJ));
        vm.prank(shAdmin);
        consortium.execute(id);
    }

    function test_admitProvince_readmitsARemovedProvince() public {
        _removeProvince(GD);
        address gdNewAdmin = makeAddr("gdNewAdmin");
        _govern(abi.encodeCall(IConsortium.admitProvince, (GD, unicode"广东省", _one(gdNewAdmin))));

        IConsortium.ProvinceView memory gd = consortium.province(GD);
        assertEq(uint8(gd.status), uint8(IConsortium.ProvinceStatus.Active));
        assertEq(gd.epoch, 2);
        assertEq(gd.admins, _one(gdNewAdmin));
        assertEq(consortium.provinceOfAdmin(gdAdmin), 0);
        assertEq(consortium.provinceCodes().length, 3);
        assertEq(consortium.activeProvinceCount(), 3);
    }

    // ================================================================== suspendProvince

    function test_suspendProvince_suspendsThroughGovernance() public {
        vm.warp(START + 1 days);
        uint256 id = _proposeApproved(abi.encodeCall(IConsortium.suspendProvince, (GD)));
        vm.expectEmit();
        emit IConsortium.ProvinceSuspended(GD);
        vm.prank(shAdmin);
        consortium.execute(id);

        IConsortium.ProvinceView memory gd = consortium.province(GD);
        assertEq(uint8(gd.status), uint8(IConsortium.ProvinceStatus.Suspended));
        assertEq(gd.statusSince, START + 1 days);
        assertEq(gd.admins, _one(gdAdmin));
        assertTrue(consortium.isProvinceAdmin(GD, gdAdmin));
        assertFalse(consortium.isProvinceActive(GD));
        assertEq(consortium.activeProvinceCount(), 2);
        assertEq(consortium.threshold(), 2);
        assertEq(consortium.configuredThreshold(), 2);
        assertEq(gd.epoch, 1);
    }

    /// Suspending provinces caps the effective threshold at the active count without touching the
    /// configured one, and emits no {ThresholdChanged}.
    function test_suspendProvince_capsTheEffectiveThresholdButKeepsTheConfiguredOne() public {
        _govern(abi.encodeCall(IConsortium.setThreshold, (3)));
        uint256 id = _proposeApproved(abi.encodeCall(IConsortium.suspendProvince, (GD)));
        vm.recordLogs();
        vm.prank(shAdmin);
        consortium.execute(id);
        _assertNoThresholdChanged();
        assertEq(consortium.threshold(), 2);
        assertEq(consortium.configuredThreshold(), 3);

        id = _proposeApproved(abi.encodeCall(IConsortium.suspendProvince, (ZJ)));
        vm.recordLogs();
        vm.prank(shAdmin);
        consortium.execute(id);
        _assertNoThresholdChanged();
        assertEq(consortium.threshold(), 1);
        assertEq(consortium.configuredThreshold(), 3);
        assertEq(consortium.activeProvinceCount(), 1);
    }

    function test_suspendProvince_letsTheRemainingProvincesReachTheCappedThreshold() public {
        _govern(abi.encodeCall(IConsortium.setThreshold, (3)));
        _suspendProvince(GD);
        uint256 id = _propose(shAdmin, abi.encodeCall(IConsortium.addProvinceAdmin, (SH, makeAddr("shDeputy"))));
        _vote(shAdmin, id);
        assertEq(uint8(consortium.proposalState(id)), uint8(IConsortium.ProposalState.Pending));
        _vote(zjAdmin, id);
        assertEq(uint8(consortium.proposalState(id)), uint8(IConsortium.ProposalState.Approved));
        vm.prank(zjAdmin);
        consortium.execute(id);
        assertTrue(consortium.isProvinceAdmin(SH, makeAddr("shDeputy")));
    }

    function _assertNoThresholdChanged() private {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertGt(logs.length, 0);
        for (uint256 i = 0; i < logs.length; ++i) {
            assertTrue(logs[i].topics[0] != IConsortium.ThresholdChanged.selector, "ThresholdChanged emitted");
        }
    }

    function test_suspendProvince_revertsForTheLastActiveProvince() public {
        _suspendProvince(GD);
        _suspendProvince(ZJ);
        uint256 id = _proposeApproved(abi.encodeCall(IConsortium.suspendProvince, (SH)));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumLastActiveProvince.selector, SH));
        vm.prank(shAdmin);
        consortium.execute(id);
    }

    function test_suspendProvince_revertsForASuspendedProvince() public {
        _suspendProvince(GD);
        uint256 id = _proposeApproved(abi.encodeCall(IConsortium.suspendProvince, (GD)));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumProvinceNotActive.selector, GD));
        vm.prank(shAdmin);
        consortium.execute(id);
    }

    function test_suspendProvince_revertsForAnUnknownProvince() public {
        uint256 id = _proposeApproved(abi.encodeCall(IConsortium.suspendProvince, (JS)));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumProvinceNotActive.selector, JS));
        vm.prank(shAdmin);
        consortium.execute(id);
    }

    // ================================================================== reinstateProvince

    function test_reinstateProvince_reinstatesThroughGovernance() public {
        _suspendProvince(GD);
        uint256 id = _proposeApproved(abi.encodeCall(IConsortium.reinstateProvince, (GD)));
        vm.expectEmit();
        emit IConsortium.ProvinceReinstated(GD);
        vm.prank(shAdmin);
        consortium.execute(id);
        assertTrue(consortium.isProvinceActive(GD));
        assertEq(consortium.activeProvinceCount(), 3);

        id = _propose(gdAdmin, abi.encodeCall(IConsortium.setThreshold, (3)));
        _vote(gdAdmin, id);
        assertEq(consortium.proposalVotes(id), 1);
    }

    function test_reinstateProvince_restoresTheConfiguredThreshold() public {
        _govern(abi.encodeCall(IConsortium.setThreshold, (3)));
        _suspendProvince(GD);
        assertEq(consortium.threshold(), 2);
        vm.recordLogs();
        _reinstateProvince(GD);
        _assertNoThresholdChanged();
        assertEq(consortium.activeProvinceCount(), 3);
        assertEq(consortium.threshold(), 3);
        assertEq(consortium.configuredThreshold(), 3);

        // Two votes no longer suffice.
        uint256 id = _propose(shAdmin, abi.encodeCall(IConsortium.setThreshold, (1)));
        _vote(shAdmin, id);
        _vote(zjAdmin, id);
        assertEq(uint8(consortium.proposalState(id)), uint8(IConsortium.ProposalState.Pending));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumThresholdNotReached.selector, id, 2, 3));
        vm.prank(shAdmin);
        consortium.execute(id);
    }

    function test_reinstateProvince_turnsAProposalApprovedUnderTheCappedThresholdBackToPending() public {
        _govern(abi.encodeCall(IConsortium.setThreshold, (3)));
        _suspendProvince(GD);
        uint256 id = _propose(shAdmin, abi.encodeCall(IConsortium.setThreshold, (1)));
        _vote(shAdmin, id);
        _vote(zjAdmin, id);
        assertEq(uint8(consortium.proposalState(id)), uint8(IConsortium.ProposalState.Approved));
        _reinstateProvince(GD);
        assertEq(uint8(consortium.proposalState(id)), uint8(IConsortium.ProposalState.Pending));
        _vote(gdAdmin, id);
        vm.prank(gdAdmin);
        consortium.execute(id);
        assertEq(consortium.threshold(), 1);
        assertEq(consortium.configuredThreshold(), 1);
    }

    function test_removeProvince_capsTheEffectiveThresholdButKeepsTheConfiguredOne() public {
        _govern(abi.encodeCall(IConsortium.setThreshold, (3)));
        vm.recordLogs();
        _removeProvince(GD);
        _assertNoThresholdChanged();
        assertEq(consortium.threshold(), 2);
        assertEq(consortium.configuredThreshold(), 3);
        _govern(abi.encodeCall(IConsortium.admitProvince, (JS, unicode"江苏省", _one(jsAdmin))));
        assertEq(consortium.threshold(), 3);
    }

    function test_setThreshold_revertsAboveTheActiveCountWhileAProvinceIsSuspended() public {
        _suspendProvince(GD);
        uint256 id = _proposeApproved(abi.encodeCall(IConsortium.setThreshold, (3)));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInvalidThreshold.selector, 3, 2));
        vm.prank(shAdmin);
        consortium.execute(id);
        assertEq(consortium.configuredThreshold(), 2);
    }

    function test_reinstateProvince_revertsForAnActiveProvince() public {
        uint256 id = _proposeApproved(abi.encodeCall(IConsortium.reinstateProvince, (ZJ)));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumProvinceNotSuspended.selector, ZJ));
        vm.prank(shAdmin);
        consortium.execute(id);
    }

    // ================================================================== removeProvince

    function test_removeProvince_removesAnActiveProvinceAndReleasesItsAdmins() public {
        uint256 id = _proposeApproved(abi.encodeCall(IConsortium.removeProvince, (GD)));
        vm.expectEmit();
        emit IConsortium.ProvinceAdminRemoved(GD, gdAdmin);
        vm.expectEmit();
        emit IConsortium.ProvinceRemoved(GD);
        vm.prank(shAdmin);
        consortium.execute(id);

        IConsortium.ProvinceView memory gd = consortium.province(GD);
        assertEq(uint8(gd.status), uint8(IConsortium.ProvinceStatus.Removed));
        assertEq(gd.admins.length, 0);
        assertEq(consortium.provinceOfAdmin(gdAdmin), 0);
        assertFalse(consortium.isProvinceAdmin(GD, gdAdmin));
        assertEq(consortium.activeProvinceCount(), 2);

        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumNotProvinceAdmin.selector, gdAdmin));
        vm.prank(gdAdmin);
        consortium.propose(address(consortium), "", _now() + 1, "");
    }

    function test_removeProvince_removesASuspendedProvinceWithoutChangingTheActiveCount() public {
        _suspendProvince(GD);
        _removeProvince(GD);
        assertEq(uint8(consortium.provinceStatus(GD)), uint8(IConsortium.ProvinceStatus.Removed));
        assertEq(consortium.activeProvinceCount(), 2);
    }

    function test_removeProvince_revertsForAnUnknownProvince() public {
        uint256 id = _proposeApproved(abi.encodeCall(IConsortium.removeProvince, (JS)));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumUnknownProvince.selector, JS));
        vm.prank(shAdmin);
        consortium.execute(id);
    }

    function test_removeProvince_revertsForARemovedProvince() public {
        _removeProvince(GD);
        uint256 id = _proposeApproved(abi.encodeCall(IConsortium.removeProvince, (GD)));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumUnknownProvince.selector, GD));
        vm.prank(shAdmin);
        consortium.execute(id);
    }

    // ================================================================== setThreshold

    function test_setThreshold_revertsForZero() public {
        uint256 id = _proposeApproved(abi.encodeCall(IConsortium.setThreshold, (0)));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInvalidThreshold.selector, 0, 3));
        vm.prank(shAdmin);
        consortium.execute(id);
    }

    function test_setThreshold_lowersTheVotesNeeded() public {
        _govern(abi.encodeCall(IConsortium.setThreshold, (1)));
        uint256 id = _propose(zjAdmin, abi.encodeCall(IConsortium.suspendProvince, (GD)));
        _vote(zjAdmin, id);
        vm.prank(zjAdmin);
        consortium.execute(id);
        assertFalse(consortium.isProvinceActive(GD));
    }

    // ================================================================== province admins

    function test_addProvinceAdmin_byOwnAdmin() public {
        address shDeputy = makeAddr("shDeputy");
        vm.expectEmit();
        emit IConsortium.ProvinceAdminAdded(SH, shDeputy);
        vm.prank(shAdmin);
        consortium.addProvinceAdmin(SH, shDeputy);
        assertTrue(consortium.isProvinceAdmin(SH, shDeputy));
        assertEq(consortium.province(SH).admins.length, 2);

        // The new admin acts for the province.
        uint256 id = _propose(shDeputy, abi.encodeCall(IConsortium.setThreshold, (3)));
        assertEq(consortium.proposal(id).proposer, SH);
    }

    function test_addProvinceAdmin_revertsForAdminOfAnotherProvince() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumUnauthorizedAdmin.selector, zjAdmin, SH));
        vm.prank(zjAdmin);
        consortium.addProvinceAdmin(SH, outsider);
    }

    function test_addProvinceAdmin_revertsForOutsider() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumUnauthorizedAdmin.selector, outsider, SH));
        vm.prank(outsider);
        consortium.addProvinceAdmin(SH, outsider);
    }

    function test_addProvinceAdmin_revertsForCodeZero() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumUnauthorizedAdmin.selector, shAdmin, 0));
        vm.prank(shAdmin);
        consortium.addProvinceAdmin(0, outsider);
    }

    function test_addProvinceAdmin_revertsForSuspendedProvince() public {
        _suspendProvince(GD);
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumProvinceNotActive.selector, GD));
        vm.prank(gdAdmin);
        consortium.addProvinceAdmin(GD, outsider);
    }

    function test_addProvinceAdmin_revertsForZeroAccount() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInvalidAdmin.selector, address(0)));
        vm.prank(shAdmin);
        consortium.addProvinceAdmin(SH, address(0));
    }

    function test_addProvinceAdmin_revertsForAnAdminOfAnotherProvince() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumAdminAlreadyAssigned.selector, zjAdmin, ZJ));
        vm.prank(shAdmin);
        consortium.addProvinceAdmin(SH, zjAdmin);
    }

    function test_addProvinceAdmin_throughGovernanceReachesASuspendedProvince() public {
        _suspendProvince(GD);
        address gdDeputy = makeAddr("gdDeputy");
        _govern(abi.encodeCall(IConsortium.addProvinceAdmin, (GD, gdDeputy)));
        assertTrue(consortium.isProvinceAdmin(GD, gdDeputy));
    }

    function test_addProvinceAdmin_throughGovernanceRevertsForAnUnknownProvince() public {
        uint256 id = _proposeApproved(abi.encodeCall(IConsortium.addProvinceAdmin, (JS, jsAdmin)));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumUnknownProvince.selector, JS));
        vm.prank(shAdmin);
        consortium.execute(id);
    }

    function test_removeProvinceAdmin_byOwnAdmin() public {
        address shDeputy = makeAddr("shDeputy");
        vm.prank(shAdmin);
        consortium.addProvinceAdmin(SH, shDeputy);

        vm.expectEmit();
        emit IConsortium.ProvinceAdminRemoved(SH, shAdmin);
        vm.prank(shDeputy);
        consortium.removeProvinceAdmin(SH, shAdmin);
        assertFalse(consortium.isProvinceAdmin(SH, shAdmin));
        assertEq(consortium.provinceOfAdmin(shAdmin), 0);
        assertEq(consortium.province(SH).admins, _one(shDeputy));
    }

    function test_removeProvinceAdmin_revertsForTheLastAdmin() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumLastAdmin.selector, SH));
        vm.prank(shAdmin);
        consortium.removeProvinceAdmin(SH, shAdmin);
    }

    function test_removeProvinceAdmin_revertsForAdminOfAnotherProvince() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumUnauthorizedAdmin.selector, zjAdmin, SH));
        vm.prank(zjAdmin);
        consortium.removeProvinceAdmin(SH, shAdmin);
    }

    function test_removeProvinceAdmin_revertsForOutsider() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumUnauthorizedAdmin.selector, outsider, SH));
        vm.prank(outsider);
        consortium.removeProvinceAdmin(SH, shAdmin);
    }

    function test_removeProvinceAdmin_revertsForAnAccountOfAnotherProvince() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumNotAdminOfProvince.selector, zjAdmin, SH));
        vm.prank(shAdmin);
        consortium.removeProvinceAdmin(SH, zjAdmin);
    }

    function test_removeProvinceAdmin_revertsForSuspendedProvince() public {
        _suspendProvince(GD);
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumProvinceNotActive.selector, GD));
        vm.prank(gdAdmin);
        consortium.removeProvinceAdmin(GD, gdAdmin);
    }

    // ================================================================== views

    function test_proposal_revertsForUnknownId() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumUnknownProposal.selector, 1));
        consortium.proposal(1);
        assertEq(uint8(consortium.proposalState(1)), uint8(IConsortium.ProposalState.None));
    }

    function test_province_revertsForUnknownCode() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumUnknownProvince.selector, JS));
        consortium.province(JS);
        assertEq(uint8(consortium.provinceStatus(JS)), uint8(IConsortium.ProvinceStatus.None));
    }

    function test_wasProvinceActiveAt_followsTheStatusHistory() public {
        uint48 suspendedAt = START + 10 days;
        uint48 reinstatedAt = START + 20 days;
        uint48 removedAt = START + 30 days;
        vm.warp(suspendedAt);
        _suspendProvince(GD);
        vm.warp(reinstatedAt);
        _reinstateProvince(GD);
        vm.warp(removedAt);
        _removeProvince(GD);
        vm.warp(removedAt + 1 days);

        assertFalse(consortium.wasProvinceActiveAt(GD, START - 1));
        assertTrue(consortium.wasProvinceActiveAt(GD, START));
        assertTrue(consortium.wasProvinceActiveAt(GD, suspendedAt - 1));
        assertFalse(consortium.wasProvinceActiveAt(GD, suspendedAt));
        assertFalse(consortium.wasProvinceActiveAt(GD, reinstatedAt - 1));
        assertTrue(consortium.wasProvinceActiveAt(GD, reinstatedAt));
        assertTrue(consortium.wasProvinceActiveAt(GD, removedAt - 1));
        assertFalse(consortium.wasProvinceActiveAt(GD, removedAt));
        assertFalse(consortium.wasProvinceActiveAt(GD, removedAt + 1 days));
        assertTrue(consortium.wasProvinceActiveAt(SH, removedAt));
        assertFalse(consortium.wasProvinceActiveAt(JS, removedAt));
    }

    function test_provinceEpoch_isKeptBySuspensionAndAdvancedByReadmission() public {
        uint48 suspendedAt = START + 10 days;
        uint48 reinstatedAt = START + 20 days;
        uint48 removedAt = START + 30 days;
        uint48 readmittedAt = START + 40 days;
        vm.warp(suspendedAt);
        _suspendProvince(GD);
        (uint32 epoch, bool active) = consortium.provinceEpoch(GD);
        assertEq(epoch, 1);
        assertFalse(active);
        vm.warp(reinstatedAt);
        _reinstateProvince(GD);
        (epoch, active) = consortium.provinceEpoch(GD);
        assertEq(epoch, 1);
        assertTrue(active);
        vm.warp(removedAt);
        _removeProvince(GD);
        (epoch, active) = consortium.provinceEpoch(GD);
        assertEq(epoch, 1);
        assertFalse(active);
        assertEq(consortium.province(GD).epoch, 1);
        vm.warp(readmittedAt);
        _govern(abi.encodeCall(IConsortium.admitProvince, (GD, unicode"广东省", _one(makeAddr("gdNewAdmin")))));
        (epoch, active) = consortium.provinceEpoch(GD);
        assertEq(epoch, 2);
        assertTrue(active);
        assertEq(consortium.province(GD).epoch, 2);
        assertEq(consortium.province(GD).statusSince, readmittedAt);
        vm.warp(readmittedAt + 1 days);

        assertEq(consortium.provinceEpochAt(GD, START - 1), 0);
        assertEq(consortium.provinceEpochAt(GD, START), 1);
        assertEq(consortium.provinceEpochAt(GD, suspendedAt - 1), 1);
        assertEq(consortium.provinceEpochAt(GD, suspendedAt), 0);
        assertEq(consortium.provinceEpochAt(GD, reinstatedAt - 1), 0);
        assertEq(consortium.provinceEpochAt(GD, reinstatedAt), 1);
        assertEq(consortium.provinceEpochAt(GD, removedAt - 1), 1);
        assertEq(consortium.provinceEpochAt(GD, removedAt), 0);
        assertEq(consortium.provinceEpochAt(GD, readmittedAt - 1), 0);
        assertEq(consortium.provinceEpochAt(GD, readmittedAt), 2);
        assertEq(consortium.provinceEpochAt(GD, readmittedAt + 1 days), 2);
        assertEq(consortium.provinceEpochAt(SH, readmittedAt), 1);

        // wasProvinceActiveAt holds in every epoch.
        assertTrue(consortium.wasProvinceActiveAt(GD, reinstatedAt));
        assertFalse(consortium.wasProvinceActiveAt(GD, removedAt));
        assertTrue(consortium.wasProvinceActiveAt(GD, readmittedAt));
    }

    function test_provinceEpoch_startsAtOneForANewProvince() public {
        uint48 admittedAt = START + 5 days;
        vm.warp(admittedAt);
        _admitJiangsu();
        (uint32 epoch, bool active) = consortium.provinceEpoch(JS);
        assertEq(epoch, 1);
        assertTrue(active);
        assertEq(consortium.provinceEpochAt(JS, admittedAt - 1), 0);
        assertEq(consortium.provinceEpochAt(JS, admittedAt), 1);
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {HurongFixture} from "./HurongFixture.sol";
import {IRecognitionRegistry} from "../../contracts/interfaces/IRecognitionRegistry.sol";

contract RecognitionRegistryTest is HurongFixture {
    bytes32 internal constant SCHOOL_ENROLMENT = keccak256("hurong.service.school-enrolment");
    bytes32 internal constant HOUSING_FUND = keccak256("hurong.service.housing-fund");
    string internal constant BASIS = unicode"《长三角地区电子证照互认共享工作方案》";

    uint48 internal constant FROM = START + 10 days;
    uint48 internal constant UNTIL = START + 100 days;

    /// 上海 accepts 浙江's household certificates for school enrolment from FROM until UNTIL.
    function _setShRule() internal returns (uint256 ruleId) {
        vm.prank(shAdmin);
        ruleId = recognition.setRule(SH, ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, FROM, UNTIL, BASIS);
    }

    function _accepts(uint32 issuing, bytes32 certificateType, bytes32 serviceItem, uint48 timepoint)
        internal
        view
        returns (bool accepted, uint256 ruleId)
    {
        return recognition.accepts(SH, issuing, certificateType, serviceItem, timepoint);
    }

    function _expectUnauthorized(address caller, uint32 province) internal {
        vm.expectRevert(
            abi.encodeWithSelector(IRecognitionRegistry.RecognitionRegistryUnauthorized.selector, caller, province)
        );
    }

    // ================================================================== setRule

    function test_setRule_byTheAcceptingProvinceAdmin() public {
        vm.expectEmit(address(recognition));
        emit IRecognitionRegistry.RecognitionRuleSet(1, SH, ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, FROM, UNTIL, BASIS);
        uint256 ruleId = _setShRule();

        assertEq(ruleId, 1);
        assertEq(recognition.ruleCount(), 1);
        IRecognitionRegistry.Rule memory r = recognition.rule(ruleId);
        assertEq(r.acceptingProvince, SH);
        assertEq(r.issuingProvince, ZJ);
        assertEq(r.certificateType, HOUSEHOLD);
        assertEq(r.serviceItem, SCHOOL_ENROLMENT);
        assertEq(r.effectiveFrom, FROM);
        assertEq(r.effectiveUntil, UNTIL);
        assertEq(r.createdAt, START);
        assertEq(r.revokedAt, 0);
        assertEq(r.legalBasis, BASIS);
        uint256[] memory ids = recognition.rulesOf(SH);
        assertEq(ids.length, 1);
        assertEq(ids[0], 1);
        assertEq(recognition.rulesOf(ZJ).length, 0);
    }

    function test_setRule_defaultsToNowWithoutEnd() public {
        vm.prank(zjAdmin);
        uint256 ruleId = recognition.setRule(ZJ, SH, BUSINESS_LICENCE, bytes32(0), 0, 0, BASIS);
        IRecognitionRegistry.Rule memory r = recognition.rule(ruleId);
        assertEq(r.effectiveFrom, START);
        assertEq(r.effectiveUntil, type(uint48).max);
        assertTrue(recognition.isInForce(ruleId, START));
        assertFalse(recognition.isInForce(ruleId, START - 1));
    }

    function test_setRule_acceptsASuspendedIssuingProvince() public {
        _suspendProvince(ZJ);
        uint256 ruleId = _setShRule();
        assertEq(recognition.rule(ruleId).issuingProvince, ZJ);
    }

    function test_setRule_revertsForOutsider() public {
        _expectUnauthorized(outsider, SH);
        vm.prank(outsider);
        recognition.setRule(SH, ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, FROM, UNTIL, BASIS);
    }

    function test_setRule_revertsForAdminOfAnotherProvince() public {
        _expectUnauthorized(zjAdmin, SH);
        vm.prank(zjAdmin);
        recognition.setRule(SH, ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, FROM, UNTIL, BASIS);
    }

    function test_setRule_revertsForAnAgency() public {
        _registerAgencies();
        _expectUnauthorized(shCity, SH);
        vm.prank(shCity);
        recognition.setRule(SH, ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, FROM, UNTIL, BASIS);
    }

    function test_setRule_revertsForAdminOfSuspendedProvince() public {
        _suspendProvince(GD);
        vm.expectRevert(
            abi.encodeWithSelector(IRecognitionRegistry.RecognitionRegistryProvinceNotActive.selector, GD)
        );
        vm.prank(gdAdmin);
        recognition.setRule(GD, ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, FROM, UNTIL, BASIS);
    }

    function test_setRule_revertsForUnknownIssuingProvince() public {
        vm.expectRevert(abi.encodeWithSelector(IRecognitionRegistry.RecognitionRegistryUnknownProvince.selector, JS));
        vm.prank(shAdmin);
        recognition.setRule(SH, JS, HOUSEHOLD, SCHOOL_ENROLMENT, FROM, UNTIL, BASIS);
    }

    function test_setRule_revertsForZeroCertificateType() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IRecognitionRegistry.RecognitionRegistryInvalidCertificateType.selector,
                bytes32(0)
            )
        );
        vm.prank(shAdmin);
        recognition.setRule(SH, ZJ, bytes32(0), SCHOOL_ENROLMENT, FROM, UNTIL, BASIS);
    }

    function test_setRule_revertsForAnEmptyWindow() public {
        vm.expectRevert(
            abi.encodeWithSelector(IRecognitionRegistry.RecognitionRegistryInvalidWindow.selector, UNTIL, FROM)
        );
        vm.prank(shAdmin);
        recognition.setRule(SH, ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, UNTIL, FROM, BASIS);
    }

    function test_setRule_revertsForAnEndBeforeNowWithDefaultStart() public {
        vm.expectRevert(
            abi.encodeWithSelector(IRecognitionRegistry.RecognitionRegistryInvalidWindow.selector, START, START)
        );
        vm.prank(shAdmin);
        recognition.setRule(SH, ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, 0, START, BASIS);
    }

    /// A rule cannot take effect in the past, so what {accepts} answers for a past time never changes.
    function test_setRule_revertsForAWindowStartingInThePast() public {
        uint48 now_ = START + 30 days;
        vm.warp(now_);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRecognitionRegistry.RecognitionRegistryInvalidWindow.selector,
                START,
                type(uint48).max
            )
        );
        vm.prank(shAdmin);
        recognition.setRule(SH, ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, START, 0, BASIS);

        vm.expectRevert(
            abi.encodeWithSelector(IRecognitionRegistry.RecognitionRegistryInvalidWindow.selector, now_ - 1, UNTIL + 1)
        );
        vm.prank(shAdmin);
        recognition.setRule(SH, ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, now_ - 1, UNTIL + 1, BASIS);

        assertEq(recognition.ruleCount(), 0);
        (bool accepted, ) = _accepts(ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, START);
        assertFalse(accepted);
    }

    function test_setRule_acceptsAWindowStartingNow() public {
        uint48 now_ = START + 30 days;
        vm.warp(now_);
        vm.prank(shAdmin);
        uint256 ruleId = recognition.setRule(SH, ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, now_, 0, BASIS);
        IRecognitionRegistry.Rule memory r = recognition.rule(ruleId);
        assertEq(r.effectiveFrom, now_);
        assertEq(r.createdAt, now_);
        assertFalse(recognition.isInForce(ruleId, now_ - 1));
        assertTrue(recognition.isInForce(ruleId, now_));
    }

    // ================================================================== revokeRule

    function test_revokeRule_byTheAcceptingProvinceAdmin() public {
        uint256 ruleId = _setShRule();
        vm.warp(START + 50 days);
        vm.expectEmit(address(recognition));
        emit IRecognitionRegistry.RecognitionRuleRevoked(ruleId, SH, shAdmin);
        vm.prank(shAdmin);
        recognition.revokeRule(ruleId);
        assertEq(recognition.rule(ruleId).revokedAt, START + 50 days);
    }

    function test_revokeRule_revertsForRevokedRule() public {
        uint256 ruleId = _setShRule();
        vm.prank(shAdmin);
        recognition.revokeRule(ruleId);
        vm.expectRevert(
            abi.encodeWithSelector(IRecognitionRegistry.RecognitionRegistryRuleAlreadyRevoked.selector, ruleId)
        );
        vm.prank(shAdmin);
        recognition.revokeRule(ruleId);
    }

    function test_revokeRule_revertsForAdminOfAnotherProvince() public {
        uint256 ruleId = _setShRule();
        _expectUnauthorized(zjAdmin, SH);
        vm.prank(zjAdmin);
        recognition.revokeRule(ruleId);
    }

    function test_revokeRule_revertsForOutsider() public {
        uint256 ruleId = _setShRule();
        _expectUnauthorized(outsider, SH);
        vm.prank(outsider);
        recognition.revokeRule(ruleId);
    }

    function test_revokeRule_revertsForAdminOfSuspendedProvince() public {
        uint256 ruleId = _setShRule();
        _suspendProvince(SH);
        vm.expectRevert(
            abi.encodeWithSelector(IRecognitionRegistry.RecognitionRegistryProvinceNotActive.selector, SH)
        );
        vm.prank(shAdmin);
        recognition.revokeRule(ruleId);
    }

    function test_revokeRule_revertsForUnknownRule() public {
        _setShRule();
        vm.expectRevert(abi.encodeWithSelector(IRecognitionRegistry.RecognitionRegistryUnknownRule.selector, 0));
        vm.prank(shAdmin);
        recognition.revokeRule(0);
        vm.expectRevert(abi.encodeWithSelector(IRecognitionRegistry.RecognitionRegistryUnknownRule.selector, 2));
        vm.prank(shAdmin);
        recognition.revokeRule(2);
    }

    function test_rule_revertsForUnknownRule() public {
        vm.expectRevert(abi.encodeWithSelector(IRecognitionRegistry.RecognitionRegistryUnknownRule.selector, 1));
        recognition.rule(1);
    }

    // ================================================================== accepts

    function test_accepts_whileTheRuleIsInForce() public {
        uint256 ruleId = _setShRule();
        (bool accepted, uint256 matched) = _accepts(ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, FROM);
        assertTrue(accepted);
        assertEq(matched, ruleId);
        (accepted, ) = _accepts(ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, UNTIL - 1);
        assertTrue(accepted);
        assertTrue(recognition.isInForce(ruleId, FROM));
    }

    function test_accepts_notBeforeEffectiveFrom() public {
        uint256 ruleId = _setShRule();
        (bool accepted, uint256 matched) = _accepts(ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, FROM - 1);
        assertFalse(accepted);
        assertEq(matched, 0);
        assertFalse(recognition.isInForce(ruleId, FROM - 1));
    }

    function test_accepts_notFromEffectiveUntil() public {
        uint256 ruleId = _setShRule();
        (bool accepted, ) = _accepts(ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, UNTIL);
        assertFalse(accepted);
        (accepted, ) = _accepts(ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, UNTIL + 1 days);
        assertFalse(accepted);
        assertFalse(recognition.isInForce(ruleId, UNTIL));
    }

    function test_accepts_notAfterRevocationButStillBefore() public {
        uint256 ruleId = _setShRule();
        uint48 revokedAt = START + 50 days;
        vm.warp(revokedAt);
        vm.prank(shAdmin);
        recognition.revokeRule(ruleId);

        (bool accepted, ) = _accepts(ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, revokedAt);
        assertFalse(accepted);
        (accepted, ) = _accepts(ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, revokedAt + 1 days);
        assertFalse(accepted);
        (bool before, uint256 matched) = _accepts(ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, revokedAt - 1);
        assertTrue(before);
        assertEq(matched, ruleId);
    }

    function test_accepts_notForAnotherServiceItem() public {
        _setShRule();
        (bool accepted, ) = _accepts(ZJ, HOUSEHOLD, HOUSING_FUND, FROM);
        assertFalse(accepted);
        // A query without service item only matches rules covering every service item.
        (accepted, ) = _accepts(ZJ, HOUSEHOLD, bytes32(0), FROM);
        assertFalse(accepted);
    }

    function test_accepts_notForAnotherIssuingProvinceOrType() public {
        _setShRule();
        (bool accepted, ) = _accepts(GD, HOUSEHOLD, SCHOOL_ENROLMENT, FROM);
        assertFalse(accepted);
        (accepted, ) = _accepts(ZJ, BUSINESS_LICENCE, SCHOOL_ENROLMENT, FROM);
        assertFalse(accepted);
        (accepted, ) = recognition.accepts(GD, ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, FROM);
        assertFalse(accepted);
    }

    function test_accepts_withAWildcardIssuingProvince() public {
        vm.prank(shAdmin);
        uint256 ruleId = recognition.setRule(SH, 0, DRIVING_LICENCE, HOUSING_FUND, 0, 0, BASIS);
        (bool fromZj, uint256 matched) = _accepts(ZJ, DRIVING_LICENCE, HOUSING_FUND, START);
        (bool fromGd, ) = _accepts(GD, DRIVING_LICENCE, HOUSING_FUND, START);
        (bool otherItem, ) = _accepts(GD, DRIVING_LICENCE, SCHOOL_ENROLMENT, START);
        assertTrue(fromZj);
        assertTrue(fromGd);
        assertEq(matched, ruleId);
        assertFalse(otherItem);
    }

    function test_accepts_withAWildcardServiceItem() public {
        vm.prank(shAdmin);
        uint256 ruleId = recognition.setRule(SH, GD, BUSINESS_LICENCE, bytes32(0), 0, 0, BASIS);
        (bool schools, uint256 matched) = _accepts(GD, BUSINESS_LICENCE, SCHOOL_ENROLMENT, START);
        (bool housing, ) = _accepts(GD, BUSINESS_LICENCE, HOUSING_FUND, START);
        (bool any, ) = _accepts(GD, BUSINESS_LICENCE, bytes32(0), START);
        (bool fromZj, ) = _accepts(ZJ, BUSINESS_LICENCE, HOUSING_FUND, START);
        assertTrue(schools);
        assertTrue(housing);
        assertTrue(any);
        assertEq(matched, ruleId);
        assertFalse(fromZj);
    }

    function test_accepts_returnsTheFirstRuleInForce() public {
        uint256 specific = _setShRule();
        vm.prank(shAdmin);
        uint256 wildcard = recognition.setRule(SH, 0, HOUSEHOLD, bytes32(0), 0, 0, BASIS);

        (bool accepted, uint256 matched) = _accepts(ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, START);
        assertTrue(accepted);
        assertEq(matched, wildcard); // the specific rule is not yet in force
        (, matched) = _accepts(ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, FROM);
        assertEq(matched, specific);
    }

    function test_consortium_isTheFixturesConsortium() public view {
        assertEq(recognition.consortium(), address(consortium));
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {console} from "forge-std/console.sol";
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

    function test_accepts_prefersTheMostSpecificRuleInForce() public {
        vm.startPrank(shAdmin);
        uint256 anyAny = recognition.setRule(SH, 0, HOUSEHOLD, bytes32(0), 0, 0, BASIS);
        uint256 anyItem = recognition.setRule(SH, 0, HOUSEHOLD, SCHOOL_ENROLMENT, 0, 0, BASIS);
        uint256 provinceAny = recognition.setRule(SH, ZJ, HOUSEHOLD, bytes32(0), 0, 0, BASIS);
        uint256 exact = recognition.setRule(SH, ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, 0, 0, BASIS);
        vm.stopPrank();
        (, uint256 matched) = _accepts(ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, START);
        assertEq(matched, exact);
        (, matched) = _accepts(ZJ, HOUSEHOLD, HOUSING_FUND, START);
        assertEq(matched, provinceAny);
        (, matched) = _accepts(GD, HOUSEHOLD, SCHOOL_ENROLMENT, START);
        assertEq(matched, anyItem);
        (, matched) = _accepts(GD, HOUSEHOLD, HOUSING_FUND, START);
        assertEq(matched, anyAny);
        (, matched) = _accepts(GD, HOUSEHOLD, bytes32(0), START);
        assertEq(matched, anyAny);
    }

    // ================================================================== rule index

    function test_unrevokedRules_listsAKeysRulesInOrderAndDropsRevokedOnes() public {
        vm.startPrank(shAdmin);
        uint256 first = recognition.setRule(SH, ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, 0, START + 10 days, BASIS);
        uint256 second = recognition.setRule(SH, ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, START + 10 days, 0, BASIS);
        uint256 third = recognition.setRule(SH, ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, 0, 0, BASIS);
        uint256 other = recognition.setRule(SH, ZJ, HOUSEHOLD, HOUSING_FUND, 0, 0, BASIS);
        vm.stopPrank();
        uint256[] memory ids = recognition.unrevokedRules(SH, HOUSEHOLD, ZJ, SCHOOL_ENROLMENT);
        assertEq(ids.length, 3);
        assertEq(ids[0], first);
        assertEq(ids[1], second);
        assertEq(ids[2], third);

        vm.prank(shAdmin);
        recognition.revokeRule(second);
        ids = recognition.unrevokedRules(SH, HOUSEHOLD, ZJ, SCHOOL_ENROLMENT);
        assertEq(ids.length, 2);
        assertEq(ids[0], first);
        assertEq(ids[1], third);
        vm.prank(shAdmin);
        recognition.revokeRule(first);
        ids = recognition.unrevokedRules(SH, HOUSEHOLD, ZJ, SCHOOL_ENROLMENT);
        assertEq(ids.length, 1);
        assertEq(ids[0], third);
        assertEq(recognition.unrevokedRules(SH, HOUSEHOLD, ZJ, HOUSING_FUND)[0], other);
        assertEq(recognition.unrevokedRules(SH, HOUSEHOLD, 0, SCHOOL_ENROLMENT).length, 0);
        assertEq(recognition.rulesOf(SH).length, 4); // every rule ever set stays listed by province
    }

    function test_setRule_revertsBeyondTheRulesAKeyMayHold() public {
        uint256 cap = recognition.maxRulesPerKey();
        assertEq(cap, 16);
        vm.startPrank(shAdmin);
        for (uint256 i = 0; i < cap; ++i) {
            recognition.setRule(SH, ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, 0, 0, BASIS);
        }
        vm.expectRevert(
            abi.encodeWithSelector(
                IRecognitionRegistry.RecognitionRegistryTooManyRules.selector,
                SH,
                HOUSEHOLD,
                ZJ,
                SCHOOL_ENROLMENT,
                cap
            )
        );
        recognition.setRule(SH, ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, 0, 0, BASIS);
        // Other keys are not affected, and revoking a rule makes room again.
        recognition.setRule(SH, ZJ, HOUSEHOLD, HOUSING_FUND, 0, 0, BASIS);
        recognition.setRule(SH, 0, HOUSEHOLD, SCHOOL_ENROLMENT, 0, 0, BASIS);
        recognition.revokeRule(3);
        uint256 again = recognition.setRule(SH, ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, 0, 0, BASIS);
        vm.stopPrank();
        assertEq(recognition.unrevokedRules(SH, HOUSEHOLD, ZJ, SCHOOL_ENROLMENT).length, cap);
        assertEq(recognition.unrevokedRules(SH, HOUSEHOLD, ZJ, SCHOOL_ENROLMENT)[cap - 1], again);
    }

    /// A rule revoked since keeps answering for the time it was in force, however many rules of its key were
    /// revoked before or after it.
    function test_accepts_answersForThePastWithRulesRevokedSince() public {
        vm.startPrank(shAdmin);
        uint256[] memory ids = new uint256[](5);
        for (uint48 i = 0; i < 5; ++i) {
            vm.warp(START + i * 10 days);
            ids[i] = recognition.setRule(SH, ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, 0, START + i * 10 days + 5 days, BASIS);
        }
        vm.warp(START + 100 days);
        for (uint256 i = 0; i < 5; ++i) {
            recognition.revokeRule(ids[i]);
            vm.warp(_now() + 1 days);
        }
        vm.stopPrank();
        assertEq(recognition.unrevokedRules(SH, HOUSEHOLD, ZJ, SCHOOL_ENROLMENT).length, 0);
        for (uint48 i = 0; i < 5; ++i) {
            (bool accepted, uint256 matched) = _accepts(ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, START + i * 10 days + 1);
            assertTrue(accepted);
            assertEq(matched, ids[i]);
            (accepted, ) = _accepts(ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, START + i * 10 days + 6 days);
            assertFalse(accepted);
        }
        (bool now_, ) = _accepts(ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, _now());
        assertFalse(now_);
    }

    function test_accepts_answersForThePastAcrossRevocationTimes() public {
        vm.startPrank(shAdmin);
        uint256 early = recognition.setRule(SH, ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, 0, 0, BASIS);
        uint256 late = recognition.setRule(SH, ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, START + 20 days, 0, BASIS);
        vm.warp(START + 10 days);
        recognition.revokeRule(early); // in force [START, START + 10 days)
        vm.warp(START + 30 days);
        recognition.revokeRule(late); // in force [START + 20 days, START + 30 days)
        vm.stopPrank();
        (bool accepted, uint256 matched) = _accepts(ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, START + 5 days);
        assertTrue(accepted);
        assertEq(matched, early);
        (accepted, ) = _accepts(ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, START + 15 days);
        assertFalse(accepted);
        (accepted, matched) = _accepts(ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, START + 25 days);
        assertTrue(accepted);
        assertEq(matched, late);
        (accepted, ) = _accepts(ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, START + 30 days);
        assertFalse(accepted);
    }

    function test_consortium_isTheFixturesConsortium() public view {
        assertEq(recognition.consortium(), address(consortium));
    }
}

/**
 * @notice Gas of {RecognitionRegistry.accepts} as rules pile up in other lookup buckets: other certificate
 * types, other service items of the same type and issuing province, and revoked rules of the same key. The
 * matching rule is set last, so a lookup that scans rules it does not need pays for every one of them.
 */
contract RecognitionRegistryLookupGasTest is HurongFixture {
    bytes32 internal constant SCHOOL_ENROLMENT = keccak256("hurong.service.school-enrolment");

    /// Largest growth of the gas of a lookup between 1 and 500 unrelated rules.
    uint256 internal constant FLAT = 500;

    enum Filler {
        OtherTypes,
        OtherServiceItems,
        RevokedSameKey
    }

    function _fill(Filler filler, uint256 n) internal {
        vm.startPrank(shAdmin);
        for (uint256 i = 0; i < n; ++i) {
            if (filler == Filler.OtherTypes) {
                recognition.setRule(SH, ZJ, keccak256(abi.encode("type", i)), SCHOOL_ENROLMENT, 0, 0, "");
            } else if (filler == Filler.OtherServiceItems) {
                recognition.setRule(SH, ZJ, HOUSEHOLD, keccak256(abi.encode("item", i)), 0, 0, "");
            } else {
                recognition.revokeRule(recognition.setRule(SH, ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, 0, 0, ""));
            }
        }
        recognition.setRule(SH, ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, 0, 0, "");
        vm.stopPrank();
        vm.warp(START + 1 days);
        vm.cool(address(recognition)); // measure a lookup as a fresh call would pay for it
    }

    function _lookupGas(Filler filler, uint256 n) internal returns (uint256 used) {
        _fill(filler, n);
        uint256 before = gasleft();
        (bool accepted, uint256 ruleId) = recognition.accepts(SH, ZJ, HOUSEHOLD, SCHOOL_ENROLMENT, _now());
        used = before - gasleft();
        assertTrue(accepted);
        assertEq(ruleId, n + 1);
    }

    function _measure(Filler filler, string memory label) internal {
        uint256 snapshot = vm.snapshotState();
        uint256 one = _lookupGas(filler, 1);
        vm.revertToState(snapshot);
        uint256 fifty = _lookupGas(filler, 50);
        vm.revertToState(snapshot);
        uint256 fiveHundred = _lookupGas(filler, 500);
        console.log(label);
        console.log("  accepts gas with 1 / 50 / 500:", one, fifty, fiveHundred);
        assertLe(fiveHundred, one + FLAT, "a lookup pays for rules outside its bucket");
    }

    function test_accepts_gasStaysFlatWithRulesOfOtherTypes() public {
        _measure(Filler.OtherTypes, "rules of other certificate types");
    }

    function test_accepts_gasStaysFlatWithRulesForOtherServiceItems() public {
        _measure(Filler.OtherServiceItems, "rules of the same type for other service items");
    }

    function test_accepts_gasStaysFlatWithRevokedRules() public {
        _measure(Filler.RevokedSameKey, "revoked rules of the same key");
    }
}

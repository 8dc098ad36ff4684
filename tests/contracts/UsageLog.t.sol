// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {HurongFixture} from "./HurongFixture.sol";
import {MerkleHelper} from "./MerkleHelper.sol";
import {UsageLog} from "../../contracts/UsageLog.sol";
import {IUsageLog} from "../../contracts/interfaces/IUsageLog.sol";

contract UsageLogTest is HurongFixture {
    UsageLog internal usageLog;

    uint64 internal constant PERIOD = 490_896; // the hour of 2026-01-01T00:00Z
    bytes32 internal constant ROOT = keccak256("usage root");

    function setUp() public override {
        super.setUp();
        usageLog = new UsageLog(authorities);
        _registerAgencies();
    }

    function _expectUnauthorized(address caller, uint32 province) internal {
        vm.expectRevert(abi.encodeWithSelector(IUsageLog.UsageLogUnauthorized.selector, caller, province));
    }

    function _digests() internal pure returns (bytes32[] memory digests) {
        digests = new bytes32[](5);
        for (uint256 i = 0; i < digests.length; ++i) {
            digests[i] = sha256(abi.encode("usage record", i));
        }
    }

    // ================================================================== anchor

    function test_anchor_byTheProvinceAdmin() public {
        vm.expectEmit(address(usageLog));
        emit IUsageLog.UsageAnchored(SH, PERIOD, ROOT, 42, shAdmin);
        vm.prank(shAdmin);
        usageLog.anchor(SH, PERIOD, ROOT, 42);
        assertEq(usageLog.rootOf(SH, PERIOD), ROOT);
        assertEq(usageLog.rootOf(SH, PERIOD + 1), bytes32(0));
        assertEq(usageLog.rootOf(ZJ, PERIOD), bytes32(0));
        assertEq(usageLog.authorities(), address(authorities));
        assertEq(usageLog.consortium(), address(consortium));
    }

    function test_anchor_byAnAgencyOfTheProvince_atAnyDepth() public {
        vm.prank(shStreet);
        usageLog.anchor(SH, PERIOD, ROOT, 1);
        vm.prank(zjCity);
        usageLog.anchor(ZJ, PERIOD, ROOT, 1);
        assertEq(usageLog.rootOf(SH, PERIOD), ROOT);
        assertEq(usageLog.rootOf(ZJ, PERIOD), ROOT);
    }

    function test_anchor_revertsForAnotherProvincesAdminOrAgency() public {
        _expectUnauthorized(zjAdmin, SH);
        vm.prank(zjAdmin);
        usageLog.anchor(SH, PERIOD, ROOT, 1);
        _expectUnauthorized(gdCity, SH);
        vm.prank(gdCity);
        usageLog.anchor(SH, PERIOD, ROOT, 1);
    }

    function test_anchor_revertsForOutsider() public {
        _expectUnauthorized(outsider, SH);
        vm.prank(outsider);
        usageLog.anchor(SH, PERIOD, ROOT, 1);
        _expectUnauthorized(outsider, 0);
        vm.prank(outsider);
        usageLog.anchor(0, PERIOD, ROOT, 1);
    }

    function test_anchor_revertsForASuspendedAgencyAndItsDescendants() public {
        _suspendAgency(shAdmin, shCity);
        _expectUnauthorized(shCity, SH);
        vm.prank(shCity);
        usageLog.anchor(SH, PERIOD, ROOT, 1);
        _expectUnauthorized(shStreet, SH);
        vm.prank(shStreet);
        usageLog.anchor(SH, PERIOD, ROOT, 1);
        assertFalse(usageLog.canAnchor(shStreet, SH));
        assertTrue(usageLog.canAnchor(shAdmin, SH));
    }

    function test_anchor_revertsForTheAdminOfASuspendedProvince() public {
        _suspendProvince(GD);
        _expectUnauthorized(gdAdmin, GD);
        vm.prank(gdAdmin);
        usageLog.anchor(GD, PERIOD, ROOT, 1);
    }

    function test_anchor_revertsOnAnEmptyRootOrCount() public {
        vm.expectRevert(abi.encodeWithSelector(IUsageLog.UsageLogEmptyAnchor.selector, SH, PERIOD, bytes32(0), 1));
        vm.prank(shAdmin);
        usageLog.anchor(SH, PERIOD, bytes32(0), 1);
        vm.expectRevert(abi.encodeWithSelector(IUsageLog.UsageLogEmptyAnchor.selector, SH, PERIOD, ROOT, 0));
        vm.prank(shAdmin);
        usageLog.anchor(SH, PERIOD, ROOT, 0);
    }

    function test_anchor_revertsOnTheSamePeriodTwice_evenWithAnotherRoot() public {
        vm.prank(shAdmin);
        usageLog.anchor(SH, PERIOD, ROOT, 3);
        vm.expectRevert(abi.encodeWithSelector(IUsageLog.UsageLogAlreadyAnchored.selector, SH, PERIOD, ROOT));
        vm.prank(shCity);
        usageLog.anchor(SH, PERIOD, keccak256("another"), 3);
        assertEq(usageLog.rootOf(SH, PERIOD), ROOT);
    }

    // ================================================================== verify

    function test_verify_acceptsEveryRecordOfTheAnchoredTree_andNothingElse() public {
        bytes32[] memory digests = _digests();
        vm.prank(shAdmin);
        usageLog.anchor(SH, PERIOD, MerkleHelper.root(digests), uint32(digests.length));
        for (uint256 i = 0; i < digests.length; ++i) {
            bytes32[] memory proof = MerkleHelper.proof(digests, i);
            assertTrue(usageLog.verify(SH, PERIOD, digests[i], proof));
            assertFalse(usageLog.verify(SH, PERIOD, keccak256(abi.encode(digests[i])), proof)); // an altered record
            assertFalse(usageLog.verify(SH, PERIOD + 1, digests[i], proof)); // nothing anchored then
            assertFalse(usageLog.verify(ZJ, PERIOD, digests[i], proof));
        }
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {HurongFixture} from "./HurongFixture.sol";
import {ICertificateRegistry} from "../../contracts/interfaces/ICertificateRegistry.sol";

/// The hashes of W3C Bitstring Status Lists an agency anchors: latest per agency and list, history in the events.
contract StatusListAnchorTest is HurongFixture {
    bytes32 internal constant REVOCATION_1 = keccak256("revocation/1");
    bytes32 internal constant SUSPENSION_1 = keccak256("suspension/1");

    function setUp() public override {
        super.setUp();
        _registerAgencies();
    }

    function _publish(address agency, bytes32 listId, bytes32 listHash) internal {
        vm.prank(agency);
        certificates.publishStatusList(listId, listHash);
    }

    function test_publishStatusList_recordsTheHashAndEmits() public {
        bytes32 listHash = keccak256("list one");
        vm.expectEmit();
        emit ICertificateRegistry.StatusListPublished(shCity, REVOCATION_1, listHash);
        _publish(shCity, REVOCATION_1, listHash);
        assertEq(certificates.statusListHash(shCity, REVOCATION_1), listHash);
        assertEq(certificates.statusListHash(shCity, SUSPENSION_1), bytes32(0));
    }

    function test_publishStatusList_keepsOnlyTheLatestHash() public {
        _publish(shCity, REVOCATION_1, keccak256("before"));
        vm.expectEmit();
        emit ICertificateRegistry.StatusListPublished(shCity, REVOCATION_1, keccak256("after"));
        _publish(shCity, REVOCATION_1, keccak256("after"));
        assertEq(certificates.statusListHash(shCity, REVOCATION_1), keccak256("after"));
        _publish(shCity, REVOCATION_1, keccak256("before")); // a list may return to an earlier state (reinstatement)
        assertEq(certificates.statusListHash(shCity, REVOCATION_1), keccak256("before"));
    }

    function test_publishStatusList_isKeyedByAgency() public {
        _publish(shCity, REVOCATION_1, keccak256("shanghai"));
        _publish(zjCity, REVOCATION_1, keccak256("zhejiang"));
        assertEq(certificates.statusListHash(shCity, REVOCATION_1), keccak256("shanghai"));
        assertEq(certificates.statusListHash(zjCity, REVOCATION_1), keccak256("zhejiang"));
        assertEq(certificates.statusListHash(shDistrict, REVOCATION_1), bytes32(0));
    }

    function test_publishStatusList_revertsForZeroIdOrHash() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                ICertificateRegistry.CertificateRegistryInvalidStatusList.selector, bytes32(0), keccak256("x")
            )
        );
        _publish(shCity, bytes32(0), keccak256("x"));
        vm.expectRevert(
            abi.encodeWithSelector(
                ICertificateRegistry.CertificateRegistryInvalidStatusList.selector, REVOCATION_1, bytes32(0)
            )
        );
        _publish(shCity, REVOCATION_1, bytes32(0));
    }

    function _expectNotActive(address caller) internal {
        vm.expectRevert(
            abi.encodeWithSelector(ICertificateRegistry.CertificateRegistryAgencyNotActive.selector, caller)
        );
        _publish(caller, REVOCATION_1, keccak256("x"));
    }

    function test_publishStatusList_revertsForOutsiderAndProvinceAdmin() public {
        _expectNotActive(outsider);
        _expectNotActive(shAdmin);
    }

    function test_publishStatusList_revertsForSuspendedAgencyOrProvince() public {
        _publish(shDistrict, REVOCATION_1, keccak256("kept"));
        _suspendAgency(shAdmin, shDistrict);
        _expectNotActive(shDistrict);
        assertEq(certificates.statusListHash(shDistrict, REVOCATION_1), keccak256("kept"));
        _suspendProvince(GD);
        _expectNotActive(gdCity);
    }
}

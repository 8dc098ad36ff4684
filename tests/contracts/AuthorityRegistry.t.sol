// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {HurongFixture} from "./HurongFixture.sol";
import {IAuthorityRegistry} from "../../contracts/interfaces/IAuthorityRegistry.sol";
import {IConsortium} from "../../contracts/interfaces/IConsortium.sol";

contract AuthorityRegistryTest is HurongFixture {
    IAuthorityRegistry.KeyAlgorithm internal constant ED25519 = IAuthorityRegistry.KeyAlgorithm.Ed25519;
    IAuthorityRegistry.KeyAlgorithm internal constant SM2 = IAuthorityRegistry.KeyAlgorithm.SM2;

    address internal newAgency;

    function setUp() public override {
        super.setUp();
        _registerAgencies();
        newAgency = makeAddr("newAgency");
    }

    function _expectUnauthorized(address caller, address agency) private {
        vm.expectRevert(
            abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryUnauthorized.selector, caller, agency)
        );
    }

    function _expectProvinceNotActive(uint32 province) private {
        vm.expectRevert(
            abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryProvinceNotActive.selector, province)
        );
    }

    // ================================================================== registerAgency

    function test_registerAgency_topLevelByProvinceAdmin() public {
        vm.expectEmit();
        emit IAuthorityRegistry.AgencyRegistered(newAgency, SH, address(0), 310104, unicode"徐汇区民政局");
        vm.prank(shAdmin);
        authorities.registerAgency(newAgency, SH, address(0), 310104, unicode"徐汇区民政局");

        IAuthorityRegistry.AgencyView memory a = authorities.agency(newAgency);
        assertEq(a.account, newAgency);
        assertEq(a.parent, address(0));
        assertEq(a.province, SH);
        assertEq(a.region, 310104);
        assertEq(a.depth, 1);
        assertEq(uint8(a.status), uint8(IAuthorityRegistry.AgencyStatus.Active));
        assertTrue(a.effectivelyActive);
        assertEq(a.name, unicode"徐汇区民政局");
        assertEq(a.children.length, 0);
        assertEq(a.certificateTypes.length, 0);
        assertEq(authorities.agencyCount(), 6);
        assertEq(authorities.agencyAt(5), newAgency);
        assertEq(authorities.agencyProvince(newAgency), SH);
        assertTrue(authorities.isActive(newAgency));
        assertTrue(authorities.wasActiveAt(newAgency, _now()));
        assertFalse(authorities.wasActiveAt(newAgency, _now() - 1));
    }

    function test_registerAgency_childByParentAgency() public {
        _registerAgency(zjCity, newAgency, ZJ, zjCity, 330106);
        IAuthorityRegistry.AgencyView memory a = authorities.agency(newAgency);
        assertEq(a.parent, zjCity);
        assertEq(a.depth, 2);
        assertEq(authorities.agency(zjCity).children, _one(newAgency));
        assertTrue(authorities.isAncestor(zjCity, newAgency));
        assertFalse(authorities.isAncestor(newAgency, zjCity));
    }

    function test_registerAgency_childOfChildByItsParentAgency() public {
        _registerAgency(shDistrict, newAgency, SH, shDistrict, 310115);
        IAuthorityRegistry.AgencyView memory a = authorities.agency(newAgency);
        assertEq(a.depth, 3);
        assertEq(a.parent, shDistrict);
        assertEq(authorities.agency(shDistrict).children.length, 2);
        assertTrue(authorities.isAncestor(shCity, newAgency));
        assertTrue(authorities.isAncestor(shDistrict, newAgency));
        assertFalse(authorities.isAncestor(shStreet, newAgency));
        assertFalse(authorities.isAncestor(address(0), newAgency));
        assertFalse(authorities.isAncestor(zjCity, newAgency));
    }

    function test_registerAgency_childByAGrandparentAgency() public {
        _registerAgency(shCity, newAgency, SH, shDistrict, 310115);
        assertEq(authorities.agency(newAgency).parent, shDistrict);
        assertEq(authorities.agency(newAgency).depth, 3);
    }

    function test_registerAgency_allowsTheMaximumDepth() public {
        assertEq(authorities.maxDepth(), 4);
        _registerAgency(shStreet, newAgency, SH, shStreet, 310115);
        assertEq(authorities.agency(newAgency).depth, 4);
    }

    function test_registerAgency_revertsBeyondTheMaximumDepth() public {
        _registerAgency(shStreet, newAgency, SH, shStreet, 310115);
        vm.expectRevert(abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryTreeTooDeep.selector, newAgency, 4));
        vm.prank(shAdmin);
        authorities.registerAgency(makeAddr("tooDeep"), SH, newAgency, 310115, "");
    }

    /// Registers `n` children under `parent` (each with a fresh account), as `by`.
    function _registerChildren(address by, address parent, uint256 n) private {
        vm.startPrank(by);
        for (uint256 i = 0; i < n; ++i) {
            authorities.registerAgency(address(uint160(0x10000 + i)), SH, parent, 310115, "");
        }
        vm.stopPrank();
    }

    function test_registerAgency_allowsChildrenUpToTheCap() public {
        uint256 cap = authorities.maxChildren();
        assertEq(cap, 256);
        _registerChildren(shAdmin, shDistrict, cap - 2); // shDistrict already has shStreet
        vm.prank(shDistrict); // the parent itself registers the last one
        authorities.registerAgency(newAgency, SH, shDistrict, 310115, "");
        assertEq(authorities.agency(shDistrict).children.length, cap);
        assertTrue(authorities.isActive(newAgency));
    }

    function test_registerAgency_revertsForAChildBeyondTheCap() public {
        uint256 cap = authorities.maxChildren();
        _registerChildren(shAdmin, shDistrict, cap - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryTooManyChildren.selector, shDistrict, cap, cap)
        );
        vm.prank(shDistrict);
        authorities.registerAgency(newAgency, SH, shDistrict, 310115, "");
        // The province admin is bound by the cap as well; a suspended child still counts.
        _suspendAgency(shAdmin, shStreet);
        vm.expectRevert(
            abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryTooManyChildren.selector, shDistrict, cap, cap)
        );
        vm.prank(shAdmin);
        authorities.registerAgency(newAgency, SH, shDistrict, 310115, "");
        assertEq(uint8(authorities.agencyStatus(newAgency)), uint8(IAuthorityRegistry.AgencyStatus.None));
        // Another parent, and the province's own top level, are not affected.
        _registerAgency(shAdmin, newAgency, SH, shCity, 310115);
        _registerAgency(shAdmin, makeAddr("topLevel"), SH, address(0), 310101);
    }

    function test_registerAgency_checksTheRightsOfTheCallerBeforeTheCap() public {
        _registerChildren(shAdmin, shDistrict, authorities.maxChildren() - 1);
        _expectUnauthorized(outsider, shDistrict);
        vm.prank(outsider);
        authorities.registerAgency(newAgency, SH, shDistrict, 310115, "");
    }

    function test_registerAgency_revertsForParentOfAnotherProvince() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryProvinceMismatch.selector, shCity, ZJ)
        );
        vm.prank(zjAdmin);
        authorities.registerAgency(newAgency, ZJ, shCity, 330100, "");
    }

    function test_registerAgency_revertsForRegionOfAnotherProvince() public {
        vm.expectRevert(abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryInvalidRegion.selector, 330100, SH));
        vm.prank(shAdmin);
        authorities.registerAgency(newAgency, SH, address(0), 330100, "");
    }

    function test_registerAgency_revertsForRegionZero() public {
        vm.expectRevert(abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryInvalidRegion.selector, 0, SH));
        vm.prank(shAdmin);
        authorities.registerAgency(newAgency, SH, address(0), 0, "");
    }

    function test_registerAgency_revertsForChildRegionOutsideTheProvince() public {
        vm.expectRevert(abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryInvalidRegion.selector, 440100, SH));
        vm.prank(shCity);
        authorities.registerAgency(newAgency, SH, shCity, 440100, "");
    }

    function test_registerAgency_revertsForZeroAccount() public {
        vm.expectRevert(abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryInvalidAgency.selector, address(0)));
        vm.prank(shAdmin);
        authorities.registerAgency(address(0), SH, address(0), 310100, "");
    }

    function test_registerAgency_revertsForRegisteredAccount() public {
        vm.expectRevert(abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryAgencyExists.selector, zjCity));
        vm.prank(shAdmin);
        authorities.registerAgency(zjCity, SH, address(0), 310100, "");
    }

    function test_registerAgency_revertsForUnknownParent() public {
        vm.expectRevert(abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryUnknownAgency.selector, outsider));
        vm.prank(shAdmin);
        authorities.registerAgency(newAgency, SH, outsider, 310100, "");
    }

    function test_registerAgency_revertsForOutsider() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryUnauthorizedProvince.selector, outsider, SH)
        );
        vm.prank(outsider);
        authorities.registerAgency(newAgency, SH, address(0), 310100, "");
    }

    function test_registerAgency_revertsForOutsiderUnderAParent() public {
        _expectUnauthorized(outsider, shCity);
        vm.prank(outsider);
        authorities.registerAgency(newAgency, SH, shCity, 310100, "");
    }

    function test_registerAgency_revertsForAdminOfAnotherProvince() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryUnauthorizedProvince.selector, zjAdmin, SH)
        );
        vm.prank(zjAdmin);
        authorities.registerAgency(newAgency, SH, address(0), 310100, "");
    }

    function test_registerAgency_revertsForAdminOfAnotherProvinceUnderAParent() public {
        _expectUnauthorized(zjAdmin, shCity);
        vm.prank(zjAdmin);
        authorities.registerAgency(newAgency, SH, shCity, 310100, "");
    }

    function test_registerAgency_revertsForAgencyOfAnotherBranch() public {
        _expectUnauthorized(zjCity, shCity);
        vm.prank(zjCity);
        authorities.registerAgency(newAgency, SH, shCity, 310100, "");
    }

    function test_registerAgency_revertsForChildUnderItsParent() public {
        _expectUnauthorized(shDistrict, shCity);
        vm.prank(shDistrict);
        authorities.registerAgency(newAgency, SH, shCity, 310100, "");
    }

    function test_registerAgency_revertsForAdminOfSuspendedProvince() public {
        _suspendProvince(GD);
        _expectProvinceNotActive(GD);
        vm.prank(gdAdmin);
        authorities.registerAgency(newAgency, GD, address(0), 440100, "");
    }

    function test_registerAgency_revertsForAdminOfSuspendedProvinceUnderAParent() public {
        _suspendProvince(GD);
        _expectProvinceNotActive(GD);
        vm.prank(gdAdmin);
        authorities.registerAgency(newAgency, GD, gdCity, 440100, "");
    }

    function test_registerAgency_revertsForAgencyOfSuspendedProvince() public {
        _suspendProvince(GD);
        _expectUnauthorized(gdCity, gdCity);
        vm.prank(gdCity);
        authorities.registerAgency(newAgency, GD, gdCity, 440100, "");
    }

    function test_registerAgency_revertsForSuspendedAgencyUnderItself() public {
        _suspendAgency(shAdmin, shCity);
        _expectUnauthorized(shCity, shCity);
        vm.prank(shCity);
        authorities.registerAgency(newAgency, SH, shCity, 310100, "");
    }

    function test_registerAgency_revertsForChildOfSuspendedParent() public {
        _suspendAgency(shAdmin, shCity);
        _expectUnauthorized(shDistrict, shDistrict);
        vm.prank(shDistrict);
        authorities.registerAgency(newAgency, SH, shDistrict, 310115, "");
    }

    function test_registerAgency_byAdminUnderASuspendedParent() public {
        _suspendAgency(shAdmin, shCity);
        _registerAgency(shAdmin, newAgency, SH, shCity, 310100);
        assertEq(uint8(authorities.agencyStatus(newAgency)), uint8(IAuthorityRegistry.AgencyStatus.Active));
        assertFalse(authorities.isActive(newAgency));
    }

    // ================================================================== suspend / reinstate

    function test_suspendAgency_byAdminMakesDescendantsInactive() public {
        vm.expectEmit();
        emit IAuthorityRegistry.AgencySuspended(shCity, shAdmin, 7);
        vm.prank(shAdmin);
        authorities.suspendAgency(shCity, 7);

        assertEq(uint8(authorities.agencyStatus(shCity)), uint8(IAuthorityRegistry.AgencyStatus.Suspended));
        assertFalse(authorities.isActive(shCity));
        // The descendants keep their own status but are no longer effectively active.
        assertEq(uint8(authorities.agencyStatus(shDistrict)), uint8(IAuthorityRegistry.AgencyStatus.Active));
        assertEq(uint8(authorities.agencyStatus(shStreet)), uint8(IAuthorityRegistry.AgencyStatus.Active));
        assertFalse(authorities.isActive(shDistrict));
        assertFalse(authorities.isActive(shStreet));
        assertFalse(authorities.agency(shStreet).effectivelyActive);
        assertTrue(authorities.isActive(zjCity));
    }

    function test_reinstateAgency_byAdminReactivatesDescendants() public {
        _suspendAgency(shAdmin, shCity);
        vm.expectEmit();
        emit IAuthorityRegistry.AgencyReinstated(shCity, shAdmin);
        vm.prank(shAdmin);
        authorities.reinstateAgency(shCity);
        assertTrue(authorities.isActive(shCity));
        assertTrue(authorities.isActive(shStreet));
    }

    function test_suspendAgency_byAncestor() public {
        vm.expectEmit();
        emit IAuthorityRegistry.AgencySuspended(shStreet, shCity, 2);
        vm.prank(shCity);
        authorities.suspendAgency(shStreet, 2);
        assertFalse(authorities.isActive(shStreet));

        vm.prank(shDistrict);
        authorities.reinstateAgency(shStreet);
        assertTrue(authorities.isActive(shStreet));
    }

    function test_suspendAgency_revertsForTheAgencyItself() public {
        _expectUnauthorized(shCity, shCity);
        vm.prank(shCity);
        authorities.suspendAgency(shCity, 1);
    }

    function test_suspendAgency_revertsForAChildOnItsParent() public {
        _expectUnauthorized(shDistrict, shCity);
        vm.prank(shDistrict);
        authorities.suspendAgency(shCity, 1);
    }

    function test_suspendAgency_revertsForOutsider() public {
        _expectUnauthorized(outsider, shCity);
        vm.prank(outsider);
        authorities.suspendAgency(shCity, 1);
    }

    function test_suspendAgency_revertsForAdminOfAnotherProvince() public {
        _expectUnauthorized(zjAdmin, shCity);
        vm.prank(zjAdmin);
        authorities.suspendAgency(shCity, 1);
    }

    function test_suspendAgency_revertsForAdminOfSuspendedProvince() public {
        _suspendProvince(GD);
        _expectProvinceNotActive(GD);
        vm.prank(gdAdmin);
        authorities.suspendAgency(gdCity, 1);
    }

    function test_suspendAgency_revertsForSuspendedAgencyOnItsChild() public {
        _suspendAgency(shAdmin, shCity);
        _expectUnauthorized(shCity, shDistrict);
        vm.prank(shCity);
        authorities.suspendAgency(shDistrict, 1);
    }

    function test_suspendAgency_revertsForChildOfSuspendedParentOnItsChild() public {
        _suspendAgency(shAdmin, shCity);
        _expectUnauthorized(shDistrict, shStreet);
        vm.prank(shDistrict);
        authorities.suspendAgency(shStreet, 1);
    }

    function test_suspendAgency_revertsForSuspendedAgency() public {
        _suspendAgency(shAdmin, shCity);
        vm.expectRevert(abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryAgencyNotActive.selector, shCity));
        vm.prank(shAdmin);
        authorities.suspendAgency(shCity, 1);
    }

    function test_suspendAgency_revertsForUnknownAgency() public {
        vm.expectRevert(abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryUnknownAgency.selector, newAgency));
        vm.prank(shAdmin);
        authorities.suspendAgency(newAgency, 1);
    }

    function test_reinstateAgency_revertsForActiveAgency() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryAgencyNotSuspended.selector, shDistrict)
        );
        vm.prank(shAdmin);
        authorities.reinstateAgency(shDistrict);
    }

    function test_reinstateAgency_revertsForSuspendedAgencyOnItself() public {
        _suspendAgency(shAdmin, shCity);
        _expectUnauthorized(shCity, shCity);
        vm.prank(shCity);
        authorities.reinstateAgency(shCity);
    }

    function test_isActive_isFalseForAgenciesOfASuspendedProvince() public {
        _suspendProvince(SH);
        assertEq(uint8(authorities.agencyStatus(shCity)), uint8(IAuthorityRegistry.AgencyStatus.Active));
        assertFalse(authorities.isActive(shCity));
        assertFalse(authorities.isActive(shStreet));
        _reinstateProvince(SH);
        assertTrue(authorities.isActive(shStreet));
    }

    function test_isActive_isFalseForUnknownAccount() public view {
        assertFalse(authorities.isActive(outsider));
        assertFalse(authorities.wasActiveAt(outsider, _now()));
        assertEq(uint8(authorities.agencyStatus(outsider)), uint8(IAuthorityRegistry.AgencyStatus.None));
    }

    function test_agency_revertsForUnknownAccount() public {
        vm.expectRevert(abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryUnknownAgency.selector, outsider));
        authorities.agency(outsider);
    }

    // ================================================================== certificate types

    function test_grantCertificateType_byAdmin() public {
        vm.expectEmit();
        emit IAuthorityRegistry.CertificateTypeGranted(shCity, HOUSEHOLD, shAdmin);
        _grant(shAdmin, shCity, HOUSEHOLD);
        assertTrue(authorities.isGranted(shCity, HOUSEHOLD));
        assertTrue(authorities.wasGrantedAt(shCity, HOUSEHOLD, _now()));
        assertTrue(authorities.canIssueAt(shCity, HOUSEHOLD, _now()));
        bytes32[] memory types = authorities.agency(shCity).certificateTypes;
        assertEq(types.length, 1);
        assertEq(types[0], HOUSEHOLD);
    }

    function test_grantCertificateType_byAncestorHoldingTheType() public {
        _grant(shAdmin, shCity, HOUSEHOLD);
        vm.expectEmit();
        emit IAuthorityRegistry.CertificateTypeGranted(shStreet, HOUSEHOLD, shCity);
        _grant(shCity, shStreet, HOUSEHOLD);
        assertTrue(authorities.isGranted(shStreet, HOUSEHOLD));
        assertFalse(authorities.isGranted(shDistrict, HOUSEHOLD));
    }

    function test_grantCertificateType_revertsForAncestorNotHoldingTheType() public {
        _grant(shAdmin, shCity, HOUSEHOLD);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAuthorityRegistry.AuthorityRegistryTypeNotGranted.selector,
                shCity,
                BUSINESS_LICENCE
            )
        );
        vm.prank(shCity);
        authorities.grantCertificateType(shDistrict, BUSINESS_LICENCE);
    }

    function test_grantCertificateType_revertsForTheAgencyItself() public {
        _grant(shAdmin, shCity, HOUSEHOLD);
        _expectUnauthorized(shCity, shCity);
        vm.prank(shCity);
        authorities.grantCertificateType(shCity, BUSINESS_LICENCE);
    }

    function test_grantCertificateType_revertsForSuspendedAncestor() public {
        _grant(shAdmin, shCity, HOUSEHOLD);
        _suspendAgency(shAdmin, shCity);
        _expectUnauthorized(shCity, shDistrict);
        vm.prank(shCity);
        authorities.grantCertificateType(shDistrict, HOUSEHOLD);
    }

    function test_grantCertificateType_revertsForOutsider() public {
        _expectUnauthorized(outsider, shCity);
        vm.prank(outsider);
        authorities.grantCertificateType(shCity, HOUSEHOLD);
    }

    function test_grantCertificateType_revertsForAdminOfAnotherProvince() public {
        _expectUnauthorized(zjAdmin, shCity);
        vm.prank(zjAdmin);
        authorities.grantCertificateType(shCity, HOUSEHOLD);
    }

    function test_grantCertificateType_revertsForAdminOfSuspendedProvince() public {
        _suspendProvince(GD);
        _expectProvinceNotActive(GD);
        vm.prank(gdAdmin);
        authorities.grantCertificateType(gdCity, HOUSEHOLD);
    }

    function test_grantCertificateType_revertsForZeroType() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryInvalidCertificateType.selector, bytes32(0))
        );
        vm.prank(shAdmin);
        authorities.grantCertificateType(shCity, bytes32(0));
    }

    function test_grantCertificateType_revertsForGrantedType() public {
        _grant(shAdmin, shCity, HOUSEHOLD);
        vm.expectRevert(
            abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryTypeAlreadyGranted.selector, shCity, HOUSEHOLD)
        );
        vm.prank(shAdmin);
        authorities.grantCertificateType(shCity, HOUSEHOLD);
    }

    function test_revokeCertificateType_byAdmin() public {
        _grant(shAdmin, shCity, HOUSEHOLD);
        vm.expectEmit();
        emit IAuthorityRegistry.CertificateTypeRevoked(shCity, HOUSEHOLD, shAdmin);
        vm.prank(shAdmin);
        authorities.revokeCertificateType(shCity, HOUSEHOLD);
        assertFalse(authorities.isGranted(shCity, HOUSEHOLD));
        assertEq(authorities.agency(shCity).certificateTypes.length, 0);
    }

    function test_revokeCertificateType_byAncestorNotHoldingTheType() public {
        _grant(shAdmin, shStreet, DRIVING_LICENCE);
        vm.prank(shDistrict);
        authorities.revokeCertificateType(shStreet, DRIVING_LICENCE);
        assertFalse(authorities.isGranted(shStreet, DRIVING_LICENCE));
    }

    function test_revokeCertificateType_revertsForTypeNotGranted() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryTypeNotGranted.selector, shCity, HOUSEHOLD)
        );
        vm.prank(shAdmin);
        authorities.revokeCertificateType(shCity, HOUSEHOLD);
    }

    function test_revokeCertificateType_revertsForOutsider() public {
        _grant(shAdmin, shCity, HOUSEHOLD);
        _expectUnauthorized(outsider, shCity);
        vm.prank(outsider);
        authorities.revokeCertificateType(shCity, HOUSEHOLD);
    }

    /// Intended: grants are independent, so revoking a type from an agency leaves the grants it made to its
    /// descendants in place; a manager revokes each grant it wants gone.
    function test_revokeCertificateType_doesNotCascadeToDescendants() public {
        _grant(shAdmin, shCity, HOUSEHOLD);
        _grant(shCity, shDistrict, HOUSEHOLD);
        vm.prank(shAdmin);
        authorities.revokeCertificateType(shCity, HOUSEHOLD);
        assertFalse(authorities.isGranted(shCity, HOUSEHOLD));
        assertTrue(authorities.canIssueAt(shDistrict, HOUSEHOLD, _now()));
    }

    function test_grantCertificateType_byAProvinceAdminWhoIsAlsoAnAgencyElsewhere() public {
        // `dual` is an agency of 浙江 holding no types, and an admin of 上海: it grants in 上海 as admin.
        address dual = makeAddr("dual");
        _registerAgency(zjAdmin, dual, ZJ, address(0), 330100);
        vm.prank(shAdmin);
        consortium.addProvinceAdmin(SH, dual);
        assertFalse(authorities.isGranted(dual, BUSINESS_LICENCE));

        vm.expectEmit();
        emit IAuthorityRegistry.CertificateTypeGranted(shDistrict, BUSINESS_LICENCE, dual);
        _grant(dual, shDistrict, BUSINESS_LICENCE);
        assertTrue(authorities.isGranted(shDistrict, BUSINESS_LICENCE));
        assertFalse(authorities.isGranted(dual, BUSINESS_LICENCE));
    }

    function test_grantCertificateType_byAProvinceAdminWhoIsAlsoAnAgencyOfTheSameProvince() public {
        // shCity, an agency holding no types, becomes an admin of 上海 and grants to a sibling as admin.
        vm.prank(shAdmin);
        consortium.addProvinceAdmin(SH, shCity);
        _registerAgency(shAdmin, newAgency, SH, address(0), 310104);
        _grant(shCity, newAgency, DRIVING_LICENCE);
        assertTrue(authorities.isGranted(newAgency, DRIVING_LICENCE));
    }

    // ================================================================== re-admitted province

    address internal gdNewAdmin;
    uint48 internal removedAt;
    uint48 internal readmittedAt;

    /// Grants gdCity a type and a key and gives it a child, removes 广东 and re-admits it with a new admin.
    function _removeAndReadmitGuangdong() private returns (bytes32 keyId, address gdChild) {
        gdChild = makeAddr("gdChild");
        _registerAgency(gdAdmin, gdChild, GD, gdCity, 440106);
        _grant(gdAdmin, gdCity, HOUSEHOLD);
        _grant(gdAdmin, gdChild, HOUSEHOLD);
        keyId = _addKey(gdCity);
        removedAt = START + 10 days;
        vm.warp(removedAt);
        _removeProvince(GD);
        readmittedAt = START + 20 days;
        vm.warp(readmittedAt);
        gdNewAdmin = makeAddr("gdNewAdmin");
        _govern(abi.encodeCall(IConsortium.admitProvince, (GD, unicode"广东省", _one(gdNewAdmin))));
        vm.warp(START + 30 days);
    }

    function test_isActive_isNotRestoredForTheAgenciesOfAReadmittedProvince() public {
        (, address gdChild) = _removeAndReadmitGuangdong();

        assertFalse(authorities.isActive(gdCity));
        assertFalse(authorities.isActive(gdChild));
        assertFalse(authorities.agency(gdCity).effectivelyActive);
        // Their own records are unchanged.
        assertEq(uint8(authorities.agencyStatus(gdCity)), uint8(IAuthorityRegistry.AgencyStatus.Active));
        assertEq(authorities.agencyProvince(gdCity), GD);
        assertTrue(authorities.isGranted(gdCity, HOUSEHOLD));

        // History: active before the removal, never again after it.
        assertTrue(authorities.wasActiveAt(gdCity, START));
        assertTrue(authorities.wasActiveAt(gdCity, removedAt - 1));
        assertTrue(authorities.wasActiveAt(gdChild, removedAt - 1));
        assertTrue(authorities.canIssueAt(gdCity, HOUSEHOLD, removedAt - 1));
        assertFalse(authorities.wasActiveAt(gdCity, removedAt));
        assertFalse(authorities.wasActiveAt(gdCity, readmittedAt - 1));
        assertFalse(authorities.wasActiveAt(gdCity, readmittedAt));
        assertFalse(authorities.wasActiveAt(gdCity, START + 30 days));
        assertFalse(authorities.wasActiveAt(gdChild, readmittedAt));
        assertFalse(authorities.canIssueAt(gdCity, HOUSEHOLD, readmittedAt));
        assertFalse(authorities.canIssueAt(gdChild, HOUSEHOLD, START + 30 days));
    }

    function test_canManageCertificatesOf_isFalseForTheOldAgenciesOfAReadmittedProvince() public {
        (, address gdChild) = _removeAndReadmitGuangdong();
        assertFalse(authorities.canManageCertificatesOf(gdNewAdmin, gdCity));
        assertFalse(authorities.canManageCertificatesOf(gdNewAdmin, gdChild));
        assertFalse(authorities.canManageCertificatesOf(gdCity, gdCity));
        assertFalse(authorities.canManageCertificatesOf(gdAdmin, gdCity));
    }

    function _expectStale(address agency) private {
        vm.expectRevert(
            abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryStaleAgency.selector, agency, GD)
        );
    }

    function test_readmittedProvince_newAdminsGetStaleAgencyManagingOldAgencies() public {
        (bytes32 keyId, address gdChild) = _removeAndReadmitGuangdong();

        _expectStale(gdCity);
        vm.prank(gdNewAdmin);
        authorities.suspendAgency(gdCity, 1);

        _expectStale(gdChild);
        vm.prank(gdNewAdmin);
        authorities.suspendAgency(gdChild, 1);

        _expectStale(gdCity);
        vm.prank(gdNewAdmin);
        authorities.reinstateAgency(gdCity);

        _expectStale(gdCity);
        vm.prank(gdNewAdmin);
        authorities.grantCertificateType(gdCity, BUSINESS_LICENCE);

        _expectStale(gdCity);
        vm.prank(gdNewAdmin);
        authorities.revokeCertificateType(gdCity, HOUSEHOLD);

        bytes memory key = _ed25519Key(3);
        _expectStale(gdCity);
        vm.prank(gdNewAdmin);
        authorities.addSigningKey(gdCity, ED25519, key, 0, 0, _possessionProof(ED25519));

        _expectStale(gdCity);
        vm.prank(gdNewAdmin);
        authorities.revokeSigningKey(keyId);

        _expectStale(gdCity);
        vm.prank(gdNewAdmin);
        authorities.registerAgency(newAgency, GD, gdCity, 440100, "");
    }

    function test_readmittedProvince_oldAgenciesCannotActForThemselves() public {
        (bytes32 keyId, address gdChild) = _removeAndReadmitGuangdong();

        _expectUnauthorized(gdCity, gdCity);
        vm.prank(gdCity);
        authorities.registerAgency(newAgency, GD, gdCity, 440100, "");

        _expectUnauthorized(gdCity, gdChild);
        vm.prank(gdCity);
        authorities.suspendAgency(gdChild, 1);

        bytes memory key = _ed25519Key(3);
        vm.expectRevert(abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryAgencyNotActive.selector, gdCity));
        vm.prank(gdCity);
        authorities.addSigningKey(gdCity, ED25519, key, 0, 0, _possessionProof(ED25519));

        vm.expectRevert(abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryAgencyNotActive.selector, gdCity));
        vm.prank(gdCity);
        authorities.revokeSigningKey(keyId);
    }

    function test_readmittedProvince_newMembershipAgenciesAreActiveAndManaged() public {
        _removeAndReadmitGuangdong();
        _registerAgency(gdNewAdmin, newAgency, GD, address(0), 440100);
        assertTrue(authorities.isActive(newAgency));
        assertTrue(authorities.wasActiveAt(newAgency, _now()));
        assertTrue(authorities.canManageCertificatesOf(gdNewAdmin, newAgency));
        assertTrue(authorities.canManageCertificatesOf(newAgency, newAgency));

        _grant(gdNewAdmin, newAgency, HOUSEHOLD);
        assertTrue(authorities.canIssueAt(newAgency, HOUSEHOLD, _now()));

        address newChild = makeAddr("newChild");
        _registerAgency(newAgency, newChild, GD, newAgency, 440106);
        assertTrue(authorities.isActive(newChild));
        _suspendAgency(gdNewAdmin, newAgency);
        assertFalse(authorities.isActive(newChild));

        // The old account cannot be registered again.
        vm.expectRevert(abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryAgencyExists.selector, gdCity));
        vm.prank(gdNewAdmin);
        authorities.registerAgency(gdCity, GD, address(0), 440100, "");
    }

    function test_isActive_isRestoredByReinstatingASuspendedProvince() public {
        // Suspension keeps the membership epoch: unlike removal, reinstatement brings the agencies back.
        uint48 suspendedAt = START + 10 days;
        vm.warp(suspendedAt);
        _suspendProvince(GD);
        uint48 reinstatedAt = START + 20 days;
        vm.warp(reinstatedAt);
        _reinstateProvince(GD);
        assertTrue(authorities.isActive(gdCity));
        assertTrue(authorities.canManageCertificatesOf(gdAdmin, gdCity));
        assertTrue(authorities.wasActiveAt(gdCity, suspendedAt - 1));
        assertFalse(authorities.wasActiveAt(gdCity, suspendedAt));
        assertTrue(authorities.wasActiveAt(gdCity, reinstatedAt));
        _suspendAgency(gdAdmin, gdCity);
        assertFalse(authorities.isActive(gdCity));
    }

    // ================================================================== history

    function test_history_answersWasActiveAtWasGrantedAtAndCanIssueAtInThePast() public {
        uint48 granted = START;
        _grant(shAdmin, shDistrict, HOUSEHOLD);
        uint48 parentSuspended = START + 10 days;
        vm.warp(parentSuspended);
        _suspendAgency(shAdmin, shCity);
        uint48 parentReinstated = START + 20 days;
        vm.warp(parentReinstated);
        vm.prank(shAdmin);
        authorities.reinstateAgency(shCity);
        uint48 typeRevoked = START + 30 days;
        vm.warp(typeRevoked);
        vm.prank(shAdmin);
        authorities.revokeCertificateType(shDistrict, HOUSEHOLD);
        uint48 provinceSuspended = START + 40 days;
        vm.warp(provinceSuspended);
        _suspendProvince(SH);
        vm.warp(START + 50 days);

        assertFalse(authorities.wasActiveAt(shDistrict, granted - 1));
        assertFalse(authorities.wasGrantedAt(shDistrict, HOUSEHOLD, granted - 1));
        assertFalse(authorities.canIssueAt(shDistrict, HOUSEHOLD, granted - 1));

        assertTrue(authorities.canIssueAt(shDistrict, HOUSEHOLD, granted));
        assertTrue(authorities.canIssueAt(shDistrict, HOUSEHOLD, parentSuspended - 1));

        // Suspending the parent: the child stays granted but was not active.
        assertFalse(authorities.wasActiveAt(shDistrict, parentSuspended));
        assertTrue(authorities.wasGrantedAt(shDistrict, HOUSEHOLD, parentSuspended));
        assertFalse(authorities.canIssueAt(shDistrict, HOUSEHOLD, parentSuspended));
        assertFalse(authorities.canIssueAt(shDistrict, HOUSEHOLD, parentReinstated - 1));

        assertTrue(authorities.canIssueAt(shDistrict, HOUSEHOLD, parentReinstated));
        assertTrue(authorities.canIssueAt(shDistrict, HOUSEHOLD, typeRevoked - 1));

        // Revoking the type: still active, no longer granted.
        assertTrue(authorities.wasActiveAt(shDistrict, typeRevoked));
        assertFalse(authorities.wasGrantedAt(shDistrict, HOUSEHOLD, typeRevoked));
        assertFalse(authorities.canIssueAt(shDistrict, HOUSEHOLD, typeRevoked));

        // Suspending the province: nothing of it was active any more.
        assertTrue(authorities.wasActiveAt(shStreet, provinceSuspended - 1));
        assertFalse(authorities.wasActiveAt(shStreet, provinceSuspended));
        assertFalse(authorities.wasActiveAt(shCity, provinceSuspended));
        assertTrue(authorities.wasActiveAt(zjCity, provinceSuspended));
    }

    function test_canIssueAt_isFalseForATypeNeverGranted() public view {
        assertFalse(authorities.canIssueAt(shCity, BUSINESS_LICENCE, _now()));
    }

    // ================================================================== signing keys

    function test_addSigningKey_bySelf() public {
        bytes memory key = _ed25519Key(1);
        bytes32 expectedId = keccak256(abi.encodePacked(shDistrict, uint8(1), key));
        vm.expectEmit();
        emit IAuthorityRegistry.SigningKeyAdded(
            shDistrict,
            expectedId,
            IAuthorityRegistry.KeyAlgorithm.Ed25519,
            START,
            type(uint48).max,
            key,
            _possessionProof(IAuthorityRegistry.KeyAlgorithm.Ed25519)
        );
        vm.prank(shDistrict);
        bytes32 keyId = authorities.addSigningKey(shDistrict, ED25519, key, 0, 0, _possessionProof(ED25519));

        assertEq(keyId, expectedId);
        IAuthorityRegistry.SigningKey memory k = authorities.signingKey(keyId);
        assertEq(k.agency, shDistrict);
        assertEq(uint8(k.algorithm), uint8(IAuthorityRegistry.KeyAlgorithm.Ed25519));
        assertEq(k.validFrom, START);
        assertEq(k.validUntil, type(uint48).max);
        assertEq(k.publicKey, key);
        bytes32[] memory ids = authorities.signingKeysOf(shDistrict);
        assertEq(ids.length, 1);
        assertEq(ids[0], keyId);
        assertTrue(authorities.isKeyValidAt(shDistrict, keyId, START));
    }

    function test_addSigningKey_byAdmin() public {
        bytes memory key = _ed25519Key(1);
        vm.prank(shAdmin);
        bytes32 keyId = authorities.addSigningKey(shDistrict, ED25519, key, 0, 0, _possessionProof(ED25519));
        assertEq(keyId, _keyIdOf(shDistrict, IAuthorityRegistry.KeyAlgorithm.Ed25519, key));
        assertEq(authorities.signingKey(keyId).agency, shDistrict);
    }

    function test_addSigningKey_storesAPrefixedSm2KeyWithoutItsPrefix() public {
        bytes memory key = _sm2Key(1);
        assertEq(key.length, 65);
        bytes memory raw = _withoutPrefix(key);
        bytes32 expectedId = keccak256(abi.encodePacked(shDistrict, uint8(2), raw));
        vm.expectEmit();
        emit IAuthorityRegistry.SigningKeyAdded(
            shDistrict,
            expectedId,
            IAuthorityRegistry.KeyAlgorithm.SM2,
            START,
            type(uint48).max,
            raw,
            _possessionProof(IAuthorityRegistry.KeyAlgorithm.SM2)
        );
        vm.prank(shAdmin);
        bytes32 keyId = authorities.addSigningKey(shDistrict, SM2, key, 0, 0, _possessionProof(SM2));
        assertEq(keyId, expectedId);
        IAuthorityRegistry.SigningKey memory k = authorities.signingKey(keyId);
        assertEq(k.agency, shDistrict);
        assertEq(uint8(k.algorithm), uint8(IAuthorityRegistry.KeyAlgorithm.SM2));
        assertEq(k.publicKey, raw);
        assertEq(k.publicKey.length, 64);
    }

    function test_addSigningKey_revertsForThe64ByteFormOfARegistered65ByteSm2Key() public {
        bytes memory key = _sm2Key(2);
        vm.prank(shCity);
        bytes32 keyId = authorities.addSigningKey(shCity, SM2, key, 0, 0, _possessionProof(SM2));
        bytes memory raw = _withoutPrefix(key);
        vm.expectRevert(abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryKeyExists.selector, keyId));
        vm.prank(shAdmin);
        authorities.addSigningKey(shCity, SM2, raw, 0, 0, _possessionProof(SM2));
    }

    function test_addSigningKey_revertsForThe65ByteFormOfARegistered64ByteSm2Key() public {
        bytes memory key = _sm2Key(3);
        bytes memory raw = _withoutPrefix(key);
        vm.prank(shCity);
        bytes32 keyId = authorities.addSigningKey(shCity, SM2, raw, 0, 0, _possessionProof(SM2));
        assertEq(keyId, keccak256(abi.encodePacked(shCity, IAuthorityRegistry.KeyAlgorithm.SM2, raw)));
        assertEq(authorities.keyIdOf(shCity, IAuthorityRegistry.KeyAlgorithm.SM2, key), keyId);
        vm.expectRevert(abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryKeyExists.selector, keyId));
        vm.prank(shCity);
        authorities.addSigningKey(shCity, SM2, key, 0, 0, _possessionProof(SM2));
    }

    function _withoutPrefix(bytes memory key) private pure returns (bytes memory raw) {
        raw = new bytes(key.length - 1);
        for (uint256 i = 0; i < raw.length; ++i) raw[i] = key[i + 1];
    }

    function test_addSigningKey_acceptsAnSm2KeyWithoutPrefix() public {
        bytes memory key = abi.encodePacked(keccak256("x"), keccak256("y"));
        vm.prank(shCity);
        bytes32 keyId = authorities.addSigningKey(shCity, SM2, key, 0, 0, _possessionProof(SM2));
        assertEq(keyId, _keyIdOf(shCity, IAuthorityRegistry.KeyAlgorithm.SM2, key));
        assertEq(authorities.signingKey(keyId).publicKey, key);
    }

    function test_addSigningKey_revertsForOutsider() public {
        bytes memory key = _ed25519Key(1);
        _expectUnauthorized(outsider, shDistrict);
        vm.prank(outsider);
        authorities.addSigningKey(shDistrict, ED25519, key, 0, 0, _possessionProof(ED25519));
    }

    function test_addSigningKey_revertsForAnotherAgency() public {
        bytes memory key = _ed25519Key(1);
        _expectUnauthorized(zjCity, shDistrict);
        vm.prank(zjCity);
        authorities.addSigningKey(shDistrict, ED25519, key, 0, 0, _possessionProof(ED25519));
    }

    function test_addSigningKey_revertsForTheParentAgency() public {
        bytes memory key = _ed25519Key(1);
        _expectUnauthorized(shCity, shDistrict);
        vm.prank(shCity);
        authorities.addSigningKey(shDistrict, ED25519, key, 0, 0, _possessionProof(ED25519));
    }

    function test_addSigningKey_revertsForAdminOfAnotherProvince() public {
        bytes memory key = _ed25519Key(1);
        _expectUnauthorized(zjAdmin, shDistrict);
        vm.prank(zjAdmin);
        authorities.addSigningKey(shDistrict, ED25519, key, 0, 0, _possessionProof(ED25519));
    }

    function test_addSigningKey_revertsForAdminOfSuspendedProvince() public {
        _suspendProvince(GD);
        bytes memory key = _ed25519Key(1);
        _expectProvinceNotActive(GD);
        vm.prank(gdAdmin);
        authorities.addSigningKey(gdCity, ED25519, key, 0, 0, _possessionProof(ED25519));
    }

    function test_addSigningKey_revertsForSelfUnderASuspendedParent() public {
        _suspendAgency(shAdmin, shCity);
        bytes memory key = _ed25519Key(1);
        vm.expectRevert(
            abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryAgencyNotActive.selector, shDistrict)
        );
        vm.prank(shDistrict);
        authorities.addSigningKey(shDistrict, ED25519, key, 0, 0, _possessionProof(ED25519));
    }

    function test_addSigningKey_revertsForUnknownAgency() public {
        bytes memory key = _ed25519Key(1);
        vm.expectRevert(abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryUnknownAgency.selector, newAgency));
        vm.prank(newAgency);
        authorities.addSigningKey(newAgency, ED25519, key, 0, 0, _possessionProof(ED25519));
    }

    function _expectInvalidKey(IAuthorityRegistry.KeyAlgorithm algorithm, bytes memory key) private {
        _expectInvalidKey(algorithm, key, keccak256(abi.encodePacked(shCity, algorithm, key)));
    }

    function _expectInvalidKey(IAuthorityRegistry.KeyAlgorithm algorithm, bytes memory key, bytes32 keyId) private {
        vm.expectRevert(abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryInvalidKey.selector, keyId));
        vm.prank(shCity);
        authorities.addSigningKey(shCity, algorithm, key, 0, 0, _possessionProof(algorithm));
    }

    function test_addSigningKey_revertsForWrongKeyLengths() public {
        _expectInvalidKey(IAuthorityRegistry.KeyAlgorithm.Ed25519, new bytes(31));
        _expectInvalidKey(IAuthorityRegistry.KeyAlgorithm.Ed25519, new bytes(33));
        _expectInvalidKey(IAuthorityRegistry.KeyAlgorithm.Ed25519, _sm2Key(1));
        _expectInvalidKey(IAuthorityRegistry.KeyAlgorithm.SM2, _ed25519Key(1));
        _expectInvalidKey(IAuthorityRegistry.KeyAlgorithm.SM2, new bytes(63));
        _expectInvalidKey(IAuthorityRegistry.KeyAlgorithm.SM2, new bytes(66));
        _expectInvalidKey(IAuthorityRegistry.KeyAlgorithm.None, _ed25519Key(1));
    }

    function test_addSigningKey_revertsForUncompressedSm2KeyWithoutThe04Prefix() public {
        bytes memory key = _sm2Key(1);
        key[0] = 0x02;
        // A refused key is named by the id of the bytes sent.
        _expectInvalidKey(
            IAuthorityRegistry.KeyAlgorithm.SM2,
            key,
            keccak256(abi.encodePacked(shCity, IAuthorityRegistry.KeyAlgorithm.SM2, key))
        );
    }

    function test_addSigningKey_revertsForAKeyTheAgencyRegisteredBefore() public {
        bytes memory key = _ed25519Key(1);
        vm.prank(shCity);
        bytes32 keyId = authorities.addSigningKey(shCity, ED25519, key, 0, 0, _possessionProof(ED25519));
        vm.expectRevert(abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryKeyExists.selector, keyId));
        vm.prank(shAdmin);
        authorities.addSigningKey(shCity, ED25519, key, 0, 0, _possessionProof(ED25519));
    }

    /// Ids are per agency: an agency registering a key first neither takes another agency's id nor blocks the
    /// other's registration of a key it holds too.
    function test_addSigningKey_idsArePerAgencySoNoAgencyCanSquatAnother() public {
        bytes memory key = _ed25519Key(1);
        vm.prank(zjCity);
        bytes32 zjId = authorities.addSigningKey(zjCity, ED25519, key, 0, 0, _possessionProof(ED25519));
        vm.prank(shCity);
        bytes32 shId = authorities.addSigningKey(shCity, ED25519, key, 0, 0, _possessionProof(ED25519));

        assertTrue(zjId != shId);
        assertEq(zjId, authorities.keyIdOf(zjCity, ED25519, key));
        assertEq(shId, authorities.keyIdOf(shCity, ED25519, key));
        assertEq(authorities.signingKey(zjId).agency, zjCity);
        assertEq(authorities.signingKey(shId).agency, shCity);
        assertTrue(authorities.isKeyValidAt(shCity, shId, START));
        assertFalse(authorities.isKeyValidAt(shCity, zjId, START));
        // The same bytes under another algorithm are another key.
        assertTrue(authorities.keyIdOf(shCity, IAuthorityRegistry.KeyAlgorithm.SM2, bytes.concat(key, key)) != shId);
    }

    function test_keyIdOf_revertsForAKeyOfTheWrongLength() public {
        bytes memory key = new bytes(31);
        bytes32 keyId = keccak256(abi.encodePacked(shCity, IAuthorityRegistry.KeyAlgorithm.Ed25519, key));
        vm.expectRevert(abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryInvalidKey.selector, keyId));
        authorities.keyIdOf(shCity, IAuthorityRegistry.KeyAlgorithm.Ed25519, key);
    }

    function _expectInvalidProof(
        IAuthorityRegistry.KeyAlgorithm algorithm,
        bytes memory key,
        bytes memory proof
    ) private {
        bytes32 keyId = authorities.keyIdOf(shCity, algorithm, key);
        vm.expectRevert(
            abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryInvalidKeyProof.selector, keyId, proof.length)
        );
        vm.prank(shCity);
        authorities.addSigningKey(shCity, algorithm, key, 0, 0, proof);
    }

    function test_addSigningKey_revertsWithoutAProofOfPossessionShapedAsASignature() public {
        _expectInvalidProof(ED25519, _ed25519Key(1), "");
        _expectInvalidProof(ED25519, _ed25519Key(1), new bytes(63));
        _expectInvalidProof(ED25519, _ed25519Key(1), new bytes(65));
        _expectInvalidProof(ED25519, _ed25519Key(1), _possessionProof(SM2));
        _expectInvalidProof(SM2, _sm2Key(1), "");
        _expectInvalidProof(SM2, _sm2Key(1), _possessionProof(ED25519)); // 64 bytes, not DER
        bytes memory wrongLength = _possessionProof(SM2);
        wrongLength[1] = bytes1(uint8(wrongLength.length - 1));
        _expectInvalidProof(SM2, _sm2Key(1), wrongLength);
        bytes memory tooLong = new bytes(74);
        tooLong[0] = 0x30;
        tooLong[1] = bytes1(uint8(72));
        _expectInvalidProof(SM2, _sm2Key(1), tooLong);
        assertEq(authorities.signingKeysOf(shCity).length, 0);
    }

    function test_addSigningKey_acceptsSm2ProofsOfEveryDerLength() public {
        for (uint256 len = 8; len <= 72; len += 16) {
            bytes memory proof = new bytes(len);
            proof[0] = 0x30;
            proof[1] = bytes1(uint8(len - 2));
            vm.prank(shCity);
            authorities.addSigningKey(shCity, IAuthorityRegistry.KeyAlgorithm.SM2, _sm2Key(len), 0, 0, proof);
        }
        assertEq(authorities.signingKeysOf(shCity).length, 5);
    }

    function test_proofOfPossessionMessage_bindsChainRegistryAgencyAndKey() public view {
        bytes32 keyId = authorities.keyIdOf(shCity, IAuthorityRegistry.KeyAlgorithm.Ed25519, _ed25519Key(1));
        bytes memory message = authorities.proofOfPossessionMessage(shCity, keyId);
        assertEq(message.length, 136);
        assertEq(
            message,
            abi.encodePacked("hurong/signing-key-possession/v1", block.chainid, address(authorities), shCity, keyId)
        );
    }

    function test_addSigningKey_revertsForEmptyWindow() public {
        bytes memory key = _ed25519Key(1);
        uint48 at = START + 100;
        vm.expectRevert(
            abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryInvalidKeyWindow.selector, at, at)
        );
        vm.prank(shCity);
        authorities.addSigningKey(shCity, ED25519, key, at, at, _possessionProof(ED25519));
    }

    function test_addSigningKey_revertsForAnEndBeforeNowWithDefaultStart() public {
        bytes memory key = _ed25519Key(1);
        vm.expectRevert(
            abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryInvalidKeyWindow.selector, START, START - 1)
        );
        vm.prank(shCity);
        authorities.addSigningKey(shCity, ED25519, key, 0, START - 1, _possessionProof(ED25519));
    }

    /// Windows cannot start in the past, so what {isKeyValidAt} answers for a past time never changes.
    function test_addSigningKey_revertsForAWindowStartingInThePast() public {
        uint48 now_ = START + 30 days;
        vm.warp(now_);
        bytes memory key = _ed25519Key(7);
        bytes32 keyId = authorities.keyIdOf(shCity, IAuthorityRegistry.KeyAlgorithm.Ed25519, key);

        vm.expectRevert(
            abi.encodeWithSelector(
                IAuthorityRegistry.AuthorityRegistryInvalidKeyWindow.selector,
                START,
                START + 2 days
            )
        );
        vm.prank(shCity);
        authorities.addSigningKey(shCity, ED25519, key, START, START + 2 days, _possessionProof(ED25519));

        vm.expectRevert(
            abi.encodeWithSelector(
                IAuthorityRegistry.AuthorityRegistryInvalidKeyWindow.selector,
                now_ - 1,
                type(uint48).max
            )
        );
        vm.prank(shAdmin);
        authorities.addSigningKey(shCity, ED25519, key, now_ - 1, 0, _possessionProof(ED25519));

        assertFalse(authorities.isKeyValidAt(shCity, keyId, START + 1 days));
    }

    function test_addSigningKey_acceptsAWindowStartingNow() public {
        uint48 now_ = START + 30 days;
        vm.warp(now_);
        bytes memory key = _ed25519Key(7);
        vm.prank(shCity);
        bytes32 keyId = authorities.addSigningKey(shCity, ED25519, key, now_, 0, _possessionProof(ED25519));
        assertEq(authorities.signingKey(keyId).validFrom, now_);
        assertFalse(authorities.isKeyValidAt(shCity, keyId, now_ - 1));
        assertTrue(authorities.isKeyValidAt(shCity, keyId, now_));
    }

    function test_isKeyValidAt_followsTheWindowAndTheRevocation() public {
        bytes memory key = _ed25519Key(1);
        vm.prank(shCity);
        bytes32 keyId = authorities.addSigningKey(
            shCity,
            IAuthorityRegistry.KeyAlgorithm.Ed25519,
            key,
            START + 10,
            START + 100,
            _possessionProof(IAuthorityRegistry.KeyAlgorithm.Ed25519)
        );
        assertFalse(authorities.isKeyValidAt(shCity, keyId, START + 9));
        assertTrue(authorities.isKeyValidAt(shCity, keyId, START + 10));
        assertTrue(authorities.isKeyValidAt(shCity, keyId, START + 99));
        assertFalse(authorities.isKeyValidAt(shCity, keyId, START + 100));
        assertFalse(authorities.isKeyValidAt(zjCity, keyId, START + 50));
        assertFalse(authorities.isKeyValidAt(address(0), bytes32(0), START + 50));

        vm.warp(START + 50);
        vm.expectEmit();
        emit IAuthorityRegistry.SigningKeyRevoked(shCity, keyId, START + 50);
        vm.prank(shCity);
        authorities.revokeSigningKey(keyId);

        assertEq(authorities.signingKey(keyId).validUntil, START + 50);
        assertEq(authorities.signingKeyRevokedAt(keyId), START + 50);
        assertTrue(authorities.isKeyValidAt(shCity, keyId, START + 20));
        assertTrue(authorities.isKeyValidAt(shCity, keyId, START + 49));
        assertFalse(authorities.isKeyValidAt(shCity, keyId, START + 50));
        assertFalse(authorities.isKeyValidAt(shCity, keyId, START + 60));
    }

    function test_revokeSigningKey_byAdmin() public {
        bytes memory key = _ed25519Key(1);
        vm.prank(shDistrict);
        bytes32 keyId = authorities.addSigningKey(shDistrict, ED25519, key, 0, 0, _possessionProof(ED25519));
        vm.warp(START + 1 days);
        vm.expectEmit();
        emit IAuthorityRegistry.SigningKeyRevoked(shDistrict, keyId, START + 1 days);
        vm.prank(shAdmin);
        authorities.revokeSigningKey(keyId);
        assertFalse(authorities.isKeyValidAt(shDistrict, keyId, START + 1 days));
    }

    function test_revokeSigningKey_revertsForOutsider() public {
        bytes32 keyId = _addKey(shDistrict);
        _expectUnauthorized(outsider, shDistrict);
        vm.prank(outsider);
        authorities.revokeSigningKey(keyId);
    }

    function test_revokeSigningKey_revertsForAnotherAgency() public {
        bytes32 keyId = _addKey(shDistrict);
        _expectUnauthorized(shCity, shDistrict);
        vm.prank(shCity);
        authorities.revokeSigningKey(keyId);
    }

    function test_revokeSigningKey_revertsForSuspendedAgency() public {
        bytes32 keyId = _addKey(shDistrict);
        _suspendAgency(shAdmin, shDistrict);
        vm.expectRevert(
            abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryAgencyNotActive.selector, shDistrict)
        );
        vm.prank(shDistrict);
        authorities.revokeSigningKey(keyId);
    }

    function test_revokeSigningKey_revertsForUnknownKey() public {
        vm.expectRevert(abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryUnknownKey.selector, bytes32("k")));
        vm.prank(shAdmin);
        authorities.revokeSigningKey(bytes32("k"));
    }

    function test_revokeSigningKey_revertsForRevokedKey() public {
        bytes32 keyId = _addKey(shDistrict);
        vm.warp(START + 5);
        vm.prank(shDistrict);
        authorities.revokeSigningKey(keyId);
        vm.expectRevert(
            abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryInvalidKeyWindow.selector, START, START + 5)
        );
        vm.prank(shDistrict);
        authorities.revokeSigningKey(keyId);
    }

    function test_signingKey_revertsForUnknownKey() public {
        vm.expectRevert(abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryUnknownKey.selector, bytes32("k")));
        authorities.signingKey(bytes32("k"));
        vm.expectRevert(abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryUnknownKey.selector, bytes32("k")));
        authorities.signingKeyRevokedAt(bytes32("k"));
    }

    function test_signingKeyRevokedAt_isZeroForAKeyWhoseWindowEndedOnItsOwn() public {
        vm.prank(shCity);
        bytes32 keyId = authorities.addSigningKey(
            shCity,
            IAuthorityRegistry.KeyAlgorithm.Ed25519,
            _ed25519Key(4),
            0,
            START + 10,
            _possessionProof(IAuthorityRegistry.KeyAlgorithm.Ed25519)
        );
        vm.warp(START + 20);
        assertFalse(authorities.isKeyValidAt(shCity, keyId, START + 20));
        assertEq(authorities.signingKeyRevokedAt(keyId), 0);
    }

    function _addKey(address agency) private returns (bytes32 keyId) {
        vm.prank(agency);
        keyId = authorities.addSigningKey(
            agency,
            IAuthorityRegistry.KeyAlgorithm.Ed25519,
            _ed25519Key(9),
            0,
            0,
            _possessionProof(IAuthorityRegistry.KeyAlgorithm.Ed25519)
        );
    }

    // ================================================================== certificate management rights

    function test_canManageCertificatesOf_grantsTheAgencyAndItsProvinceAdminsOnly() public {
        assertTrue(authorities.canManageCertificatesOf(shDistrict, shDistrict));
        assertTrue(authorities.canManageCertificatesOf(shAdmin, shDistrict));
        assertFalse(authorities.canManageCertificatesOf(shCity, shDistrict));
        assertFalse(authorities.canManageCertificatesOf(zjAdmin, shDistrict));
        assertFalse(authorities.canManageCertificatesOf(outsider, shDistrict));
        assertFalse(authorities.canManageCertificatesOf(outsider, outsider));

        _suspendAgency(shAdmin, shCity);
        assertFalse(authorities.canManageCertificatesOf(shDistrict, shDistrict));
        assertTrue(authorities.canManageCertificatesOf(shAdmin, shDistrict));

        _suspendProvince(SH);
        assertFalse(authorities.canManageCertificatesOf(shAdmin, shDistrict));
    }

    function test_canConsortiumRevokeCertificatesOf_onlyOnceTheProvinceCanNoLongerAct() public {
        assertFalse(authorities.canConsortiumRevokeCertificatesOf(outsider));
        assertFalse(authorities.canConsortiumRevokeCertificatesOf(gdCity));
        _suspendAgency(gdAdmin, gdCity); // the province admin still acts for it
        assertFalse(authorities.canConsortiumRevokeCertificatesOf(gdCity));

        _suspendProvince(GD);
        assertTrue(authorities.canConsortiumRevokeCertificatesOf(gdCity));
        assertFalse(authorities.canConsortiumRevokeCertificatesOf(shCity));
        _reinstateProvince(GD);
        assertFalse(authorities.canConsortiumRevokeCertificatesOf(gdCity));

        _removeProvince(GD);
        assertTrue(authorities.canConsortiumRevokeCertificatesOf(gdCity));
        gdNewAdmin = makeAddr("gdNewAdmin");
        _govern(abi.encodeCall(IConsortium.admitProvince, (GD, unicode"广东省", _one(gdNewAdmin))));
        assertTrue(authorities.canConsortiumRevokeCertificatesOf(gdCity)); // an agency of the earlier membership
        _registerAgency(gdNewAdmin, newAgency, GD, address(0), 440100);
        assertFalse(authorities.canConsortiumRevokeCertificatesOf(newAgency));
    }

    function test_consortium_isTheFixturesConsortium() public view {
        assertEq(authorities.consortium(), address(consortium));
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {HurongFixture} from "./HurongFixture.sol";
import {Consortium} from "../../contracts/Consortium.sol";
import {AuthorityRegistry} from "../../contracts/AuthorityRegistry.sol";
import {CertificateRegistry} from "../../contracts/CertificateRegistry.sol";
import {IAuthorityRegistry} from "../../contracts/interfaces/IAuthorityRegistry.sol";
import {ICertificateRegistry} from "../../contracts/interfaces/ICertificateRegistry.sol";
import {IConsortium} from "../../contracts/interfaces/IConsortium.sol";

/**
 * The certificate registry's mirror of each agency's effective status ({ICertificateRegistry-canAnchor}): kept
 * by the authority registry in every call that changes it (registration, an agency's or an ancestor's
 * suspension and reinstatement, a province's suspension, reinstatement, removal and readmission), written by
 * no one else, and never different from {IAuthorityRegistry-isActive}.
 */
contract AgencyMirrorTest is HurongFixture {
    bytes32 internal constant MANIFEST = hex"c3c4733ec8affd06cf9e9ff50ffc6bcd2ec85a6170004bb709669c31de94391a";

    address[] internal everyAgency;
    address internal shSibling;
    address internal shNephew;

    function setUp() public override {
        super.setUp();
        _registerAgencies();
        shSibling = makeAddr("shSibling");
        shNephew = makeAddr("shNephew");
        _registerAgency(shAdmin, shSibling, SH, address(0), 310100);
        _registerAgency(shAdmin, shNephew, SH, shCity, 310115);
        everyAgency.push(shCity);
        everyAgency.push(shDistrict);
        everyAgency.push(shStreet);
        everyAgency.push(shSibling);
        everyAgency.push(shNephew);
        everyAgency.push(zjCity);
        everyAgency.push(gdCity);
        everyAgency.push(outsider); // never registered
    }

    /// The mirror holds, for every account, what the authority registry answers now.
    function _assertMirrorAgrees() internal view {
        for (uint256 i = 0; i < everyAgency.length; ++i) {
            assertEq(certificates.canAnchor(everyAgency[i]), authorities.isActive(everyAgency[i]), "mirror disagrees");
        }
    }

    function _reinstateAgency(address by, address agency) internal {
        vm.prank(by);
        authorities.reinstateAgency(agency);
    }

    function _assertAnchors(address agency, bool allowed) internal {
        bytes32 root = keccak256(abi.encode(agency, block.timestamp, gasleft()));
        if (!allowed) {
            vm.expectRevert(
                abi.encodeWithSelector(ICertificateRegistry.CertificateRegistryAgencyNotActive.selector, agency)
            );
        }
        vm.prank(agency);
        certificates.anchor(root, 1, MANIFEST);
    }

    function test_registration_mirrorsEveryNewAgency() public view {
        for (uint256 i = 0; i < everyAgency.length - 1; ++i) {
            assertTrue(certificates.canAnchor(everyAgency[i]));
        }
        assertFalse(certificates.canAnchor(outsider));
        _assertMirrorAgrees();
    }

    function test_registrationUnderASuspendedParent_isNotMirroredAsActive() public {
        _suspendAgency(shAdmin, shCity);
        address child = makeAddr("child of a suspended parent");
        _registerAgency(shAdmin, child, SH, shCity, 310115);
        everyAgency.push(child);
        assertFalse(certificates.canAnchor(child));
        _assertMirrorAgrees();
        _reinstateAgency(shAdmin, shCity);
        assertTrue(certificates.canAnchor(child));
        _assertMirrorAgrees();
    }

    function test_suspendingAnAgency_cascadesToItsDescendantsOnly() public {
        _suspendAgency(shAdmin, shCity);
        assertFalse(certificates.canAnchor(shCity));
        assertFalse(certificates.canAnchor(shDistrict));
        assertFalse(certificates.canAnchor(shStreet));
        assertFalse(certificates.canAnchor(shNephew));
        assertTrue(certificates.canAnchor(shSibling));
        assertTrue(certificates.canAnchor(zjCity));
        _assertMirrorAgrees();
        _assertAnchors(shStreet, false);
        _assertAnchors(shSibling, true);
    }

    function test_reinstatingAnAncestor_leavesASuspendedDescendantSuspended() public {
        _suspendAgency(shAdmin, shDistrict);
        _suspendAgency(shAdmin, shCity);
        _assertMirrorAgrees();
        _reinstateAgency(shAdmin, shCity);
        assertTrue(certificates.canAnchor(shCity));
        assertTrue(certificates.canAnchor(shNephew));
        assertFalse(certificates.canAnchor(shDistrict));
        assertFalse(certificates.canAnchor(shStreet));
        _assertMirrorAgrees();
        _reinstateAgency(shAdmin, shDistrict);
        assertTrue(certificates.canAnchor(shStreet));
        _assertMirrorAgrees();
        _assertAnchors(shStreet, true);
    }

    function test_reinstatingAnAgencyBelowASuspendedAncestor_keepsItInactive() public {
        _suspendAgency(shAdmin, shStreet);
        _suspendAgency(shAdmin, shCity);
        _reinstateAgency(shAdmin, shStreet);
        assertFalse(certificates.canAnchor(shStreet));
        _assertMirrorAgrees();
        _assertAnchors(shStreet, false);
    }

    function test_suspendingAnAgencyBelowASuspendedAncestor_keepsTheMirror() public {
        _suspendAgency(shAdmin, shCity);
        _suspendAgency(shAdmin, shDistrict);
        _assertMirrorAgrees();
        _reinstateAgency(shAdmin, shCity);
        assertFalse(certificates.canAnchor(shStreet));
        _assertMirrorAgrees();
    }

    function test_provinceSuspension_cascadesToEveryAgencyOfTheProvince() public {
        _suspendAgency(shAdmin, shDistrict);
        _suspendProvince(SH);
        for (uint256 i = 0; i < 5; ++i) {
            assertFalse(certificates.canAnchor(everyAgency[i]));
        }
        assertTrue(certificates.canAnchor(zjCity));
        _assertMirrorAgrees();
        _assertAnchors(shSibling, false);
        _reinstateProvince(SH);
        assertTrue(certificates.canAnchor(shCity));
        assertTrue(certificates.canAnchor(shSibling));
        assertTrue(certificates.canAnchor(shNephew));
        assertFalse(certificates.canAnchor(shDistrict)); // its own suspension stands
        assertFalse(certificates.canAnchor(shStreet));
        _assertMirrorAgrees();
        _assertAnchors(shSibling, true);
    }

    function test_removalAndReadmission_doNotReviveTheAgenciesOfAnEarlierMembership() public {
        _removeProvince(ZJ);
        assertFalse(certificates.canAnchor(zjCity));
        _assertMirrorAgrees();
        address newAdmin = makeAddr("zjAdmin2");
        _govern(abi.encodeCall(IConsortium.admitProvince, (ZJ, unicode"浙江省", _one(newAdmin))));
        zjAdmin = newAdmin; // votes for 浙江省 from now on
        assertFalse(certificates.canAnchor(zjCity));
        _assertMirrorAgrees();
        address fresh = makeAddr("zjCity2");
        _registerAgency(newAdmin, fresh, ZJ, address(0), 330100);
        everyAgency.push(fresh);
        assertTrue(certificates.canAnchor(fresh));
        _suspendProvince(ZJ);
        assertFalse(certificates.canAnchor(fresh));
        _assertMirrorAgrees();
        _reinstateProvince(ZJ);
        assertTrue(certificates.canAnchor(fresh));
        assertFalse(certificates.canAnchor(zjCity));
        _assertMirrorAgrees();
        _assertAnchors(zjCity, false);
        _assertAnchors(fresh, true);
    }

    function test_suspendedProvinceRemoved_keepsItsAgenciesInactive() public {
        _suspendProvince(GD);
        _removeProvince(GD);
        assertFalse(certificates.canAnchor(gdCity));
        _assertMirrorAgrees();
    }

    function test_aPushByVoteOfAnUnchangedProvince_changesNothing() public {
        _govern(address(authorities), abi.encodeCall(IAuthorityRegistry.provinceStatusChanged, (SH)));
        _assertMirrorAgrees();
        assertTrue(certificates.canAnchor(shStreet));
    }

    function test_agencyStatusChanged_revertsForAnyoneButTheAuthorityRegistry() public {
        _suspendAgency(shAdmin, shCity);
        address[3] memory callers = [shCity, shAdmin, address(consortium)];
        for (uint256 i = 0; i < callers.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    ICertificateRegistry.CertificateRegistryOnlyAuthorityRegistry.selector,
                    callers[i]
                )
            );
            vm.prank(callers[i]);
            certificates.agencyStatusChanged(shCity);
        }
        assertFalse(certificates.canAnchor(shCity));
    }

    function test_agencyStatusChanged_byVoteCannotBeCalledThroughTheConsortium() public {
        _suspendAgency(shAdmin, shCity);
        uint256 proposalId = _proposeApproved(
            address(certificates),
            abi.encodeCall(ICertificateRegistry.agencyStatusChanged, (shCity))
        );
        vm.expectRevert(
            abi.encodeWithSelector(
                ICertificateRegistry.CertificateRegistryOnlyAuthorityRegistry.selector,
                address(consortium)
            )
        );
        vm.prank(shAdmin);
        consortium.execute(proposalId);
        assertFalse(certificates.canAnchor(shCity));
    }

    function test_statusListPublication_readsTheMirror() public {
        _suspendAgency(shAdmin, shCity);
        vm.expectRevert(
            abi.encodeWithSelector(ICertificateRegistry.CertificateRegistryAgencyNotActive.selector, shDistrict)
        );
        vm.prank(shDistrict);
        certificates.publishStatusList(keccak256("revocation/0"), keccak256("list"));
    }

    function test_views_nameEachOther() public view {
        assertEq(authorities.certificateRegistry(), address(certificates));
        assertEq(certificates.authorityRegistry(), address(authorities));
    }

    function test_certificateRegistryConstructor_revertsForARegistryNamingAnother() public {
        // The authority registry of the fixture names the fixture's certificate registry, not a new one.
        address next = vm.computeCreateAddress(address(this), vm.getNonce(address(this)));
        vm.expectRevert(
            abi.encodeWithSelector(
                ICertificateRegistry.CertificateRegistryNotAuthorityMirror.selector,
                address(authorities),
                address(certificates)
            )
        );
        new CertificateRegistry(authorities);
        assertEq(next.code.length, 0);
    }

    function test_authorityRegistryConstructor_revertsForAZeroCertificateRegistry() public {
        Consortium other = new Consortium(_initialProvinces(), 2, _nextRegistry());
        vm.expectRevert(
            abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryInvalidCertificateRegistry.selector, address(0))
        );
        new AuthorityRegistry(other, ICertificateRegistry(address(0)));
    }

    /// Until the certificate registry it names is deployed, no agency can be registered (the push to an address
    /// without code reverts), so the certificate registry, once deployed, starts from a state with no agency.
    function test_registration_revertsWhileTheCertificateRegistryIsNotDeployed() public {
        Consortium other = new Consortium(_initialProvinces(), 2, _nextRegistry());
        AuthorityRegistry lonely = new AuthorityRegistry(other, ICertificateRegistry(makeAddr("not yet")));
        vm.expectRevert();
        vm.prank(shAdmin);
        lonely.registerAgency(makeAddr("early"), SH, address(0), 310100, "agency");
        assertEq(lonely.agencyCount(), 0);
    }
}

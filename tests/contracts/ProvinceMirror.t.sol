// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {HurongFixture} from "./HurongFixture.sol";
import {Consortium} from "../../contracts/Consortium.sol";
import {AuthorityRegistry} from "../../contracts/AuthorityRegistry.sol";
import {IAuthorityRegistry} from "../../contracts/interfaces/IAuthorityRegistry.sol";
import {IConsortium} from "../../contracts/interfaces/IConsortium.sol";

/**
 * The authority registry's mirror of the provinces' status ({IAuthorityRegistry-provinceActiveEpoch}): copied at
 * construction, updated by every governance call that changes a province's status, in the same call, and never
 * different from the consortium's answer.
 */
contract ProvinceMirrorTest is HurongFixture {
    uint32[] internal everyCode;

    function setUp() public override {
        super.setUp();
        everyCode.push(SH);
        everyCode.push(ZJ);
        everyCode.push(GD);
        everyCode.push(JS);
    }

    /// The mirror holds, for every province (admitted or not), the consortium's epoch while it is active, else 0.
    function _assertMirrorAgrees() internal view {
        for (uint256 i = 0; i < everyCode.length; ++i) {
            (uint32 epoch, bool active) = consortium.provinceEpoch(everyCode[i]);
            assertEq(authorities.provinceActiveEpoch(everyCode[i]), active ? epoch : 0, "mirror disagrees");
        }
    }

    function test_constructor_copiesTheFoundingProvinces() public view {
        assertEq(consortium.authorityRegistry(), address(authorities));
        assertEq(authorities.provinceActiveEpoch(SH), 1);
        assertEq(authorities.provinceActiveEpoch(ZJ), 1);
        assertEq(authorities.provinceActiveEpoch(GD), 1);
        assertEq(authorities.provinceActiveEpoch(JS), 0);
        _assertMirrorAgrees();
    }

    function test_everyGovernancePath_updatesTheMirrorInTheSameCall() public {
        _suspendProvince(SH);
        assertEq(authorities.provinceActiveEpoch(SH), 0);
        _assertMirrorAgrees();
        _reinstateProvince(SH);
        assertEq(authorities.provinceActiveEpoch(SH), 1);
        _assertMirrorAgrees();
        _admitJiangsu();
        founders.push(JS); // votes from now on
        assertEq(authorities.provinceActiveEpoch(JS), 1);
        _assertMirrorAgrees();
        _removeProvince(ZJ); // an active province
        assertEq(authorities.provinceActiveEpoch(ZJ), 0);
        _assertMirrorAgrees();
        _suspendProvince(GD);
        _removeProvince(GD); // a suspended province
        assertEq(authorities.provinceActiveEpoch(GD), 0);
        _assertMirrorAgrees();
        _govern(abi.encodeCall(IConsortium.admitProvince, (ZJ, unicode"浙江省", _one(makeAddr("zjAdmin2")))));
        assertEq(authorities.provinceActiveEpoch(ZJ), 2);
        _assertMirrorAgrees();
    }

    function test_aRevertedGovernanceCallLeavesTheMirror() public {
        _suspendProvince(SH);
        // Suspending a suspended province reverts: the execution bubbles up and nothing changes.
        uint256 id = _proposeApproved(address(consortium), abi.encodeCall(IConsortium.suspendProvince, (SH)));
        vm.prank(zjAdmin);
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumProvinceNotActive.selector, SH));
        consortium.execute(id);
        assertEq(authorities.provinceActiveEpoch(SH), 0);
        _assertMirrorAgrees();
    }

    function test_provinceStatusChanged_revertsForAnyoneButTheConsortium() public {
        vm.prank(outsider);
        vm.expectRevert(abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryOnlyConsortium.selector, outsider));
        authorities.provinceStatusChanged(SH);
        vm.prank(shAdmin);
        vm.expectRevert(abi.encodeWithSelector(IAuthorityRegistry.AuthorityRegistryOnlyConsortium.selector, shAdmin));
        authorities.provinceStatusChanged(SH);
    }

    function test_provinceStatusChanged_byVoteCanOnlyCopyTheConsortiumsAnswer() public {
        _suspendProvince(GD);
        // A proposal calling the registry directly reaches it as the consortium, and only re-reads the truth.
        _govern(address(authorities), abi.encodeCall(IAuthorityRegistry.provinceStatusChanged, (GD)));
        _govern(address(authorities), abi.encodeCall(IAuthorityRegistry.provinceStatusChanged, (JS)));
        assertEq(authorities.provinceActiveEpoch(GD), 0);
        assertEq(authorities.provinceActiveEpoch(JS), 0);
        _assertMirrorAgrees();
    }

    function test_readmission_doesNotReviveTheAgenciesOfAnEarlierMembership() public {
        _registerAgencies();
        assertTrue(authorities.isActive(zjCity));
        uint48 before = _now();
        vm.warp(block.timestamp + 1);
        _removeProvince(ZJ);
        vm.warp(block.timestamp + 1);
        address newAdmin = makeAddr("zjAdmin2");
        _govern(abi.encodeCall(IConsortium.admitProvince, (ZJ, unicode"浙江省", _one(newAdmin))));
        assertEq(authorities.provinceActiveEpoch(ZJ), 2);
        assertFalse(authorities.isActive(zjCity));
        assertTrue(authorities.canConsortiumRevokeCertificatesOf(zjCity));
        assertFalse(authorities.canManageCertificatesOf(newAdmin, zjCity));
        assertTrue(authorities.wasActiveAt(zjCity, before));
        assertFalse(authorities.wasActiveAt(zjCity, _now()));
        address fresh = makeAddr("zjCity2");
        _registerAgency(newAdmin, fresh, ZJ, address(0), 330100);
        assertTrue(authorities.isActive(fresh));
        assertTrue(authorities.canManageCertificatesOf(newAdmin, fresh));
        assertFalse(authorities.canConsortiumRevokeCertificatesOf(fresh));
    }

    function test_suspension_stopsAnchoringAndReinstatementRestoresIt() public {
        _registerAgencies();
        _suspendProvince(SH);
        assertFalse(authorities.isActive(shCity));
        assertFalse(authorities.isActive(shStreet));
        assertTrue(authorities.canConsortiumRevokeCertificatesOf(shStreet));
        _reinstateProvince(SH);
        assertTrue(authorities.isActive(shStreet));
        assertFalse(authorities.canConsortiumRevokeCertificatesOf(shStreet));
    }

    function test_constructor_revertsForAConsortiumNamingAnotherRegistry() public {
        address elsewhere = makeAddr("elsewhere");
        Consortium other = new Consortium(_initialProvinces(), 2, IAuthorityRegistry(elsewhere));
        vm.expectRevert(
            abi.encodeWithSelector(
                IAuthorityRegistry.AuthorityRegistryNotConsortiumMirror.selector,
                address(other),
                elsewhere
            )
        );
        new AuthorityRegistry(other, _nextCertificates());
    }

    function test_consortiumConstructor_revertsForAZeroRegistry() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInvalidAuthorityRegistry.selector, address(0)));
        new Consortium(_initialProvinces(), 2, IAuthorityRegistry(address(0)));
    }

    /// Until the registry it names is deployed, a consortium cannot change a province's status (the push to an
    /// address without code reverts), so the registry, once deployed, copies a state no one has changed since.
    function test_statusChanges_revertWhileTheRegistryIsNotDeployed() public {
        Consortium lonely = new Consortium(_initialProvinces(), 1, IAuthorityRegistry(makeAddr("not yet")));
        uint48 expiresAt = uint48(block.timestamp) + VOTING_PERIOD;
        vm.prank(shAdmin);
        uint256 id = lonely.propose(address(lonely), abi.encodeCall(IConsortium.suspendProvince, (GD)), expiresAt, "x");
        vm.prank(shAdmin);
        lonely.vote(id);
        vm.prank(shAdmin);
        vm.expectRevert();
        lonely.execute(id);
        assertTrue(lonely.isProvinceActive(GD));
    }
}

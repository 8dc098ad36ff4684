// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {HurongFixture} from "./HurongFixture.sol";
import {MerkleHelper} from "./MerkleHelper.sol";
import {ICertificateRegistry} from "../../contracts/interfaces/ICertificateRegistry.sol";
import {IConsortium} from "../../contracts/interfaces/IConsortium.sol";

contract CertificateRegistryTest is HurongFixture {
    using MerkleHelper for bytes32[];

    /// The SHA-256 digest of CIDv1 bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi (dag-pb, sha2-256):
    /// the manifest as anchored.
    bytes32 internal constant CID = hex"c3c4733ec8affd06cf9e9ff50ffc6bcd2ec85a6170004bb709669c31de94391a";

    /// Five certificates anchored by shCity.
    bytes32[] internal digests;
    bytes32 internal root;

    /// A hand-built four-leaf tree (anchored by shCity in the multi-proof tests).
    bytes32[4] internal d4;
    bytes32[4] internal l4;
    bytes32 internal h01;
    bytes32 internal h23;
    bytes32 internal root4;

    function setUp() public override {
        super.setUp();
        _registerAgencies();
        for (uint256 i = 0; i < 5; ++i) {
            digests.push(keccak256(abi.encode(unicode"沪-户籍证明", i)));
        }
        root = digests.root();
        for (uint256 i = 0; i < 4; ++i) {
            d4[i] = keccak256(abi.encode(unicode"沪-营业执照", i));
            l4[i] = MerkleHelper.leaf(d4[i]);
        }
        h01 = MerkleHelper.hashPair(l4[0], l4[1]);
        h23 = MerkleHelper.hashPair(l4[2], l4[3]);
        root4 = MerkleHelper.hashPair(h01, h23);
        _anchor(shCity, root, 5);
    }

    // ------------------------------------------------------------------ helpers

    function _anchor(address agency, bytes32 root_, uint32 count) internal {
        vm.prank(agency);
        certificates.anchor(root_, count, CID);
    }

    function _proof(uint256 index) internal view returns (bytes32[] memory) {
        return digests.proof(index);
    }

    /// The status a certificate of `agency`'s batch `root_` reads as.
    function _status(address agency, bytes32 root_, bytes32 digest) internal view returns (uint8) {
        return uint8(certificates.certificateStatus(agency, root_, digest).status);
    }

    /// The status a certificate of shCity's batch `root_` reads as.
    function _status(bytes32 root_, bytes32 digest) internal view returns (uint8) {
        return _status(shCity, root_, digest);
    }

    function _suspend(address by, uint256 index) internal {
        bytes32[] memory proof = _proof(index);
        vm.prank(by);
        certificates.suspend(shCity, root, digests[index], proof, 1);
    }

    function _revoke(address by, uint256 index) internal {
        bytes32[] memory proof = _proof(index);
        vm.prank(by);
        certificates.revoke(shCity, root, digests[index], proof, 1);
    }

    function _supersede(address by, uint256 index) internal {
        bytes32[] memory proof = _proof(index);
        vm.prank(by);
        certificates.supersede(shCity, root, digests[index], proof, keccak256("successor"), 1);
    }

    function _expectUnauthorized(address caller, address agency) internal {
        vm.expectRevert(
            abi.encodeWithSelector(ICertificateRegistry.CertificateRegistryUnauthorized.selector, caller, agency)
        );
    }

    function _expectUnknownRoot(address agency, bytes32 root_) internal {
        vm.expectRevert(
            abi.encodeWithSelector(ICertificateRegistry.CertificateRegistryUnknownRoot.selector, agency, root_)
        );
    }

    function _expectTransition(
        bytes32 digest,
        ICertificateRegistry.CertificateStatus current,
        ICertificateRegistry.CertificateStatus requested
    ) internal {
        vm.expectRevert(
            abi.encodeWithSelector(
                ICertificateRegistry.CertificateRegistryInvalidTransition.selector,
                digest,
                current,
                requested
            )
        );
    }

    function _single(bytes32 value) internal pure returns (bytes32[] memory values) {
        values = new bytes32[](1);
        values[0] = value;
    }

    function _pair(bytes32 a, bytes32 b) internal pure returns (bytes32[] memory values) {
        values = new bytes32[](2);
        values[0] = a;
        values[1] = b;
    }

    function _flags(bool a, bool b) internal pure returns (bool[] memory flags) {
        flags = new bool[](2);
        flags[0] = a;
        flags[1] = b;
    }

    // ================================================================== anchor

    function test_anchor_recordsTheBatchAndEmitsBatchAnchored() public {
        bytes32 newRoot = keccak256("another batch");
        vm.warp(START + 1 hours);
        vm.expectEmit(address(certificates));
        emit ICertificateRegistry.BatchAnchored(newRoot, shDistrict, 1200, CID);
        _anchor(shDistrict, newRoot, 1200);

        ICertificateRegistry.Batch memory b = certificates.batch(shDistrict, newRoot);
        assertEq(b.anchoredAt, START + 1 hours);
        assertEq(b.count, 1200);
        assertEq(b.revokedAt, 0);
        assertEq(b.revokeReason, 0);
        assertTrue(certificates.isAnchored(shDistrict, newRoot));
        // The batch is the anchoring agency's only.
        assertFalse(certificates.isAnchored(shCity, newRoot));
        assertEq(certificates.batch(shCity, newRoot).anchoredAt, 0);
        assertFalse(certificates.isAnchored(shDistrict, keccak256("never")));
        ICertificateRegistry.Batch memory never = certificates.batch(shDistrict, keccak256("never"));
        assertEq(never.anchoredAt, 0);
        assertEq(never.count, 0);
    }

    function test_anchor_revertsForARootTheAgencyAnchored() public {
        vm.expectRevert(
            abi.encodeWithSelector(ICertificateRegistry.CertificateRegistryAlreadyAnchored.selector, shCity, root)
        );
        vm.prank(shCity);
        certificates.anchor(root, 5, CID);
    }

    function test_anchor_acceptsARootAnchoredByAnotherAgency() public {
        vm.warp(START + 1 days);
        vm.expectEmit(address(certificates));
        emit ICertificateRegistry.BatchAnchored(root, zjCity, 7, CID);
        _anchor(zjCity, root, 7);

        ICertificateRegistry.Batch memory zj = certificates.batch(zjCity, root);
        assertEq(zj.anchoredAt, START + 1 days);
        assertEq(zj.count, 7);
        ICertificateRegistry.Batch memory sh = certificates.batch(shCity, root);
        assertEq(sh.anchoredAt, START);
        assertEq(sh.count, 5);
        assertTrue(certificates.isAnchored(shCity, root));
        assertTrue(certificates.isAnchored(zjCity, root));
        assertFalse(certificates.isAnchored(gdCity, root));

        vm.expectRevert(
            abi.encodeWithSelector(ICertificateRegistry.CertificateRegistryAlreadyAnchored.selector, zjCity, root)
        );
        vm.prank(zjCity);
        certificates.anchor(root, 7, CID);
    }

    /// Front-running: an agency that copies another agency's root from a pending transaction and anchors it
    /// first neither blocks the real issuer nor gains any power over the real issuer's certificates.
    function test_anchor_frontRunningARootDoesNotHurtTheRealIssuer() public {
        bytes32[] memory zjDigests = new bytes32[](3);
        for (uint256 i = 0; i < 3; ++i) zjDigests[i] = keccak256(abi.encode(unicode"浙-户籍证明", i));
        bytes32 zjRoot = zjDigests.root();
        bytes32[] memory proof = zjDigests.proof(1);

        // gdCity gets in first with zjCity's root, then the real issuer's transaction goes through.
        _anchor(gdCity, zjRoot, 3);
        vm.warp(START + 1);
        _anchor(zjCity, zjRoot, 3);
        assertEq(certificates.batch(zjCity, zjRoot).anchoredAt, START + 1);
        assertEq(certificates.batch(gdCity, zjRoot).anchoredAt, START);

        // The copy gives gdCity no say over zjCity's certificates.
        _expectUnauthorized(gdCity, zjCity);
        vm.prank(gdCity);
        certificates.revoke(zjCity, zjRoot, zjDigests[1], proof, 1);
        _expectUnauthorized(gdCity, zjCity);
        vm.prank(gdCity);
        certificates.revokeBatch(zjCity, zjRoot, 1);

        // What gdCity does to its own copy stays with its copy.
        vm.prank(gdCity);
        certificates.suspend(gdCity, zjRoot, zjDigests[1], proof, 1);
        vm.prank(gdCity);
        certificates.revokeBatch(gdCity, zjRoot, 2);
        assertEq(_status(gdCity, zjRoot, zjDigests[0]), uint8(ICertificateRegistry.CertificateStatus.Revoked));
        assertEq(_status(gdCity, zjRoot, zjDigests[1]), uint8(ICertificateRegistry.CertificateStatus.Revoked));
        for (uint256 i = 0; i < 3; ++i) {
            assertEq(_status(zjCity, zjRoot, zjDigests[i]), uint8(ICertificateRegistry.CertificateStatus.Valid));
        }
        assertEq(certificates.batch(zjCity, zjRoot).revokedAt, 0);

        // The real issuer manages its batch as usual.
        vm.prank(zjCity);
        certificates.suspend(zjCity, zjRoot, zjDigests[1], proof, 3);
        assertEq(_status(zjCity, zjRoot, zjDigests[1]), uint8(ICertificateRegistry.CertificateStatus.Suspended));
        vm.prank(zjAdmin);
        certificates.revokeBatch(zjCity, zjRoot, 4);
        assertEq(certificates.batch(zjCity, zjRoot).revokeReason, 4);
    }

    function test_anchor_revertsForZeroRoot() public {
        vm.expectRevert(
            abi.encodeWithSelector(ICertificateRegistry.CertificateRegistryInvalidBatch.selector, bytes32(0), 5)
        );
        vm.prank(shCity);
        certificates.anchor(bytes32(0), 5, CID);
    }

    function test_anchor_revertsForZeroCount() public {
        bytes32 newRoot = keccak256("empty");
        vm.expectRevert(
            abi.encodeWithSelector(ICertificateRegistry.CertificateRegistryInvalidBatch.selector, newRoot, 0)
        );
        vm.prank(shCity);
        certificates.anchor(newRoot, 0, CID);
    }

    function _expectAgencyNotActive(address caller) internal {
        vm.expectRevert(
            abi.encodeWithSelector(ICertificateRegistry.CertificateRegistryAgencyNotActive.selector, caller)
        );
        vm.prank(caller);
        certificates.anchor(keccak256("new batch"), 1, CID);
    }

    function test_anchor_revertsForOutsider() public {
        _expectAgencyNotActive(outsider);
    }

    function test_anchor_revertsForProvinceAdmin() public {
        _expectAgencyNotActive(shAdmin);
    }

    function test_anchor_revertsForSuspendedAgency() public {
        _suspendAgency(shAdmin, shDistrict);
        _expectAgencyNotActive(shDistrict);
    }

    function test_anchor_revertsForChildOfSuspendedParent() public {
        _suspendAgency(shAdmin, shCity);
        _expectAgencyNotActive(shStreet);
    }

    function test_anchor_revertsForAgencyOfSuspendedProvince() public {
        _suspendProvince(GD);
        _expectAgencyNotActive(gdCity);
    }

    function test_anchor_revertsForAgencyOfRemovedProvince() public {
        _removeProvince(GD);
        _expectAgencyNotActive(gdCity);
    }

    function test_anchor_succeedsAgainAfterReinstatement() public {
        _suspendAgency(shAdmin, shCity);
        vm.prank(shAdmin);
        authorities.reinstateAgency(shCity);
        _anchor(shStreet, keccak256("new batch"), 1);
        assertEq(certificates.batch(shStreet, keccak256("new batch")).anchoredAt, START);
        assertTrue(certificates.isAnchored(shStreet, keccak256("new batch")));
    }

    // ================================================================== Merkle helper against the registry

    function test_verifyInclusion_acceptsEveryLeafOfAFiveLeafTree() public view {
        for (uint256 i = 0; i < digests.length; ++i) {
            assertEq(certificates.leafOf(digests[i]), MerkleHelper.leaf(digests[i]));
            assertTrue(certificates.verifyInclusion(root, digests[i], _proof(i)));
            assertTrue(MerkleProof.verify(_proof(i), root, MerkleHelper.leaf(digests[i])));
        }
        assertEq(_proof(4).length, 1); // the odd fifth leaf is carried up to the top
        assertFalse(certificates.verifyInclusion(root, digests[1], _proof(0)));
        assertFalse(certificates.verifyInclusion(root, keccak256("forged"), _proof(0)));
    }

    function test_verifyInclusion_acceptsTheHandBuiltFourLeafTree() public view {
        bytes32[] memory d = new bytes32[](4);
        for (uint256 i = 0; i < 4; ++i) d[i] = d4[i];
        assertEq(d.root(), root4);
        assertTrue(certificates.verifyInclusion(root4, d4[0], _pair(l4[1], h23)));
        assertTrue(certificates.verifyInclusion(root4, d4[3], _pair(l4[2], h01)));
    }

    // ================================================================== suspend

    function test_suspend_byTheAgencyWithAValidProof() public {
        bytes32[] memory proof = _proof(2);
        vm.warp(START + 1 days);
        vm.expectEmit(address(certificates));
        emit ICertificateRegistry.CertificateSuspended(digests[2], shCity, shCity, 3);
        vm.prank(shCity);
        certificates.suspend(shCity, root, digests[2], proof, 3);

        ICertificateRegistry.StatusRecord memory r = certificates.statusOf(shCity, digests[2]);
        assertEq(uint8(r.status), uint8(ICertificateRegistry.CertificateStatus.Suspended));
        assertEq(r.reason, 3);
        assertEq(r.updatedAt, START + 1 days);
        assertEq(r.successor, bytes32(0));
        assertEq(_status(root, digests[2]), uint8(ICertificateRegistry.CertificateStatus.Suspended));
        assertEq(_status(root, digests[1]), uint8(ICertificateRegistry.CertificateStatus.Valid));
    }

    function test_suspend_byTheProvinceAdminOfTheAgency() public {
        bytes32[] memory proof = _proof(4);
        vm.expectEmit(address(certificates));
        emit ICertificateRegistry.CertificateSuspended(digests[4], shCity, shAdmin, 1);
        vm.prank(shAdmin);
        certificates.suspend(shCity, root, digests[4], proof, 1);
        assertEq(_status(root, digests[4]), uint8(ICertificateRegistry.CertificateStatus.Suspended));
    }

    function test_suspend_byProvinceAdminOfASuspendedAgency() public {
        _suspendAgency(shAdmin, shCity);
        _suspend(shAdmin, 0);
        assertEq(_status(root, digests[0]), uint8(ICertificateRegistry.CertificateStatus.Suspended));
    }

    function test_suspend_revertsForAdminOfAnotherProvince() public {
        bytes32[] memory proof = _proof(0);
        _expectUnauthorized(zjAdmin, shCity);
        vm.prank(zjAdmin);
        certificates.suspend(shCity, root, digests[0], proof, 1);
    }

    function test_suspend_revertsForOutsider() public {
        bytes32[] memory proof = _proof(0);
        _expectUnauthorized(outsider, shCity);
        vm.prank(outsider);
        certificates.suspend(shCity, root, digests[0], proof, 1);
    }

    function test_suspend_revertsForAChildAgencyOfTheIssuer() public {
        bytes32[] memory proof = _proof(0);
        _expectUnauthorized(shDistrict, shCity);
        vm.prank(shDistrict);
        certificates.suspend(shCity, root, digests[0], proof, 1);
    }

    function test_suspend_revertsForTheParentAgencyOfTheIssuer() public {
        bytes32 childRoot = keccak256("district batch");
        _anchor(shDistrict, childRoot, 1);
        _expectUnauthorized(shCity, shDistrict);
        vm.prank(shCity);
        certificates.suspend(shDistrict, childRoot, childRoot, new bytes32[](0), 1);
    }

    function test_suspend_revertsForSuspendedIssuer() public {
        _suspendAgency(shAdmin, shCity);
        bytes32[] memory proof = _proof(0);
        _expectUnauthorized(shCity, shCity);
        vm.prank(shCity);
        certificates.suspend(shCity, root, digests[0], proof, 1);
    }

    function test_suspend_revertsForAdminOfSuspendedProvince() public {
        _suspendProvince(SH);
        bytes32[] memory proof = _proof(0);
        _expectUnauthorized(shAdmin, shCity);
        vm.prank(shAdmin);
        certificates.suspend(shCity, root, digests[0], proof, 1);
    }

    function test_suspend_revertsForTheProofOfAnotherLeaf() public {
        bytes32[] memory proof = _proof(1);
        vm.expectRevert(
            abi.encodeWithSelector(ICertificateRegistry.CertificateRegistryInvalidProof.selector, root, digests[0])
        );
        vm.prank(shCity);
        certificates.suspend(shCity, root, digests[0], proof, 1);
    }

    function test_suspend_revertsForADigestNotInTheTree() public {
        bytes32[] memory proof = _proof(1);
        bytes32 forged = keccak256("forged");
        vm.expectRevert(
            abi.encodeWithSelector(ICertificateRegistry.CertificateRegistryInvalidProof.selector, root, forged)
        );
        vm.prank(shCity);
        certificates.suspend(shCity, root, forged, proof, 1);
    }

    function test_suspend_revertsForAnInnerNodePresentedAsADigest() public {
        // With double-hashed leaves an inner node cannot pass for a certificate.
        _anchor(shCity, root4, 4);
        vm.expectRevert(
            abi.encodeWithSelector(ICertificateRegistry.CertificateRegistryInvalidProof.selector, root4, h01)
        );
        vm.prank(shCity);
        certificates.suspend(shCity, root4, h01, _single(h23), 1);
    }

    function test_suspend_revertsForUnknownRoot() public {
        bytes32[] memory proof = _proof(0);
        bytes32 unknown = keccak256("unknown");
        _expectUnknownRoot(shCity, unknown);
        vm.prank(shCity);
        certificates.suspend(shCity, unknown, digests[0], proof, 1);
    }

    function test_suspend_revertsForARootNotAnchoredByTheNamedAgency() public {
        bytes32[] memory proof = _proof(0);
        // shCity anchored `root`, zjCity did not: naming zjCity finds no batch.
        _expectUnknownRoot(zjCity, root);
        vm.prank(zjCity);
        certificates.suspend(zjCity, root, digests[0], proof, 1);

        _expectUnknownRoot(zjCity, root);
        vm.prank(shCity);
        certificates.suspend(zjCity, root, digests[0], proof, 1);
    }

    function test_suspend_revertsForTheIssuerNamingAnotherAgencysCopyOfItsRoot() public {
        _anchor(zjCity, root, 5);
        bytes32[] memory proof = _proof(0);
        _expectUnauthorized(shCity, zjCity);
        vm.prank(shCity);
        certificates.suspend(zjCity, root, digests[0], proof, 1);
        _expectUnauthorized(shAdmin, zjCity);
        vm.prank(shAdmin);
        certificates.suspend(zjCity, root, digests[0], proof, 1);
    }

    function test_suspend_revertsForSuspendedCertificate() public {
        _suspend(shCity, 0);
        bytes32[] memory proof = _proof(0);
        _expectTransition(
            digests[0],
            ICertificateRegistry.CertificateStatus.Suspended,
            ICertificateRegistry.CertificateStatus.Suspended
        );
        vm.prank(shCity);
        certificates.suspend(shCity, root, digests[0], proof, 1);
    }

    // ================================================================== reinstate

    function test_reinstate_returnsASuspendedCertificateToValid() public {
        _suspend(shCity, 1);
        bytes32[] memory proof = _proof(1);
        vm.expectEmit(address(certificates));
        emit ICertificateRegistry.CertificateReinstated(digests[1], shCity, shAdmin, 4);
        vm.prank(shAdmin);
        certificates.reinstate(shCity, root, digests[1], proof, 4);
        ICertificateRegistry.StatusRecord memory r = certificates.statusOf(shCity, digests[1]);
        assertEq(uint8(r.status), uint8(ICertificateRegistry.CertificateStatus.Valid));
        assertEq(r.reason, 4);
    }

    function test_reinstate_revertsForValidCertificate() public {
        bytes32[] memory proof = _proof(1);
        _expectTransition(
            digests[1],
            ICertificateRegistry.CertificateStatus.Valid,
            ICertificateRegistry.CertificateStatus.Valid
        );
        vm.prank(shCity);
        certificates.reinstate(shCity, root, digests[1], proof, 1);
    }

    function test_reinstate_revertsForRevokedCertificate() public {
        _revoke(shCity, 1);
        bytes32[] memory proof = _proof(1);
        _expectTransition(
            digests[1],
            ICertificateRegistry.CertificateStatus.Revoked,
            ICertificateRegistry.CertificateStatus.Valid
        );
        vm.prank(shCity);
        certificates.reinstate(shCity, root, digests[1], proof, 1);
    }

    function test_reinstate_revertsForSupersededCertificate() public {
        _supersede(shCity, 1);
        bytes32[] memory proof = _proof(1);
        _expectTransition(
            digests[1],
            ICertificateRegistry.CertificateStatus.Superseded,
            ICertificateRegistry.CertificateStatus.Valid
        );
        vm.prank(shCity);
        certificates.reinstate(shCity, root, digests[1], proof, 1);
    }

    // ================================================================== revoke

    function test_revoke_revokesAValidCertificate() public {
        bytes32[] memory proof = _proof(3);
        vm.expectEmit(address(certificates));
        emit ICertificateRegistry.CertificateRevoked(digests[3], shCity, shCity, 2);
        vm.prank(shCity);
        certificates.revoke(shCity, root, digests[3], proof, 2);
        assertEq(_status(root, digests[3]), uint8(ICertificateRegistry.CertificateStatus.Revoked));
        assertEq(certificates.statusOf(shCity, digests[3]).reason, 2);
    }

    function test_revoke_revokesASuspendedCertificate() public {
        _suspend(shCity, 3);
        _revoke(shAdmin, 3);
        assertEq(_status(root, digests[3]), uint8(ICertificateRegistry.CertificateStatus.Revoked));
    }

    function test_revoke_revokesASupersededCertificate() public {
        _supersede(shCity, 3);
        _revoke(shCity, 3);
        assertEq(_status(root, digests[3]), uint8(ICertificateRegistry.CertificateStatus.Revoked));
    }

    function test_revoke_isFinal() public {
        _revoke(shCity, 0);
        bytes32[] memory proof = _proof(0);
        bytes32 d = digests[0];
        ICertificateRegistry.CertificateStatus revoked = ICertificateRegistry.CertificateStatus.Revoked;

        _expectTransition(d, revoked, revoked);
        vm.prank(shCity);
        certificates.revoke(shCity, root, d, proof, 1);

        _expectTransition(d, revoked, ICertificateRegistry.CertificateStatus.Suspended);
        vm.prank(shCity);
        certificates.suspend(shCity, root, d, proof, 1);

        _expectTransition(d, revoked, ICertificateRegistry.CertificateStatus.Valid);
        vm.prank(shAdmin);
        certificates.reinstate(shCity, root, d, proof, 1);

        _expectTransition(d, revoked, ICertificateRegistry.CertificateStatus.Superseded);
        vm.prank(shCity);
        certificates.supersede(shCity, root, d, proof, keccak256("successor"), 1);
    }

    function test_revoke_revertsForAdminOfAnotherProvince() public {
        bytes32[] memory proof = _proof(0);
        _expectUnauthorized(gdAdmin, shCity);
        vm.prank(gdAdmin);
        certificates.revoke(shCity, root, digests[0], proof, 1);
    }

    // ================================================================== supersede

    function test_supersede_recordsTheSuccessor() public {
        bytes32[] memory proof = _proof(2);
        bytes32 successor = keccak256("re-issued");
        vm.expectEmit(address(certificates));
        emit ICertificateRegistry.CertificateSuperseded(digests[2], shCity, shCity, 5, successor);
        vm.prank(shCity);
        certificates.supersede(shCity, root, digests[2], proof, successor, 5);
        ICertificateRegistry.StatusRecord memory r = certificates.certificateStatus(shCity, root, digests[2]);
        assertEq(uint8(r.status), uint8(ICertificateRegistry.CertificateStatus.Superseded));
        assertEq(r.reason, 5);
        assertEq(r.successor, successor);
    }

    function test_supersede_supersedesASuspendedCertificate() public {
        _suspend(shCity, 2);
        _supersede(shAdmin, 2);
        assertEq(_status(root, digests[2]), uint8(ICertificateRegistry.CertificateStatus.Superseded));
    }

    function test_supersede_revertsForZeroSuccessor() public {
        bytes32[] memory proof = _proof(2);
        vm.expectRevert(
            abi.encodeWithSelector(
                ICertificateRegistry.CertificateRegistryInvalidSuccessor.selector,
                digests[2],
                bytes32(0)
            )
        );
        vm.prank(shCity);
        certificates.supersede(shCity, root, digests[2], proof, bytes32(0), 1);
    }

    function test_supersede_revertsForItselfAsSuccessor() public {
        bytes32[] memory proof = _proof(2);
        bytes32 d = digests[2];
        vm.expectRevert(
            abi.encodeWithSelector(ICertificateRegistry.CertificateRegistryInvalidSuccessor.selector, d, d)
        );
        vm.prank(shCity);
        certificates.supersede(shCity, root, d, proof, d, 1);
    }

    function test_supersede_revertsForSupersededCertificate() public {
        _supersede(shCity, 2);
        bytes32[] memory proof = _proof(2);
        ICertificateRegistry.CertificateStatus superseded = ICertificateRegistry.CertificateStatus.Superseded;
        _expectTransition(digests[2], superseded, superseded);
        vm.prank(shCity);
        certificates.supersede(shCity, root, digests[2], proof, keccak256("other"), 1);

        _expectTransition(digests[2], superseded, ICertificateRegistry.CertificateStatus.Suspended);
        vm.prank(shCity);
        certificates.suspend(shCity, root, digests[2], proof, 1);
    }

    // ================================================================== status keyed by agency

    function test_status_isKeyedByAgencyNotByDigest() public {
        // zjCity anchors its own tree that happens to contain shCity's certificate digests[0].
        bytes32[] memory zjDigests = new bytes32[](3);
        zjDigests[0] = digests[0];
        zjDigests[1] = keccak256(unicode"浙-1");
        zjDigests[2] = keccak256(unicode"浙-2");
        bytes32 zjRoot = zjDigests.root();
        _anchor(zjCity, zjRoot, 3);

        bytes32[] memory zjProof = zjDigests.proof(0);
        vm.expectEmit(address(certificates));
        emit ICertificateRegistry.CertificateRevoked(digests[0], zjCity, zjCity, 1);
        vm.prank(zjCity);
        certificates.revoke(zjCity, zjRoot, digests[0], zjProof, 1);

        assertEq(_status(zjCity, zjRoot, digests[0]), uint8(ICertificateRegistry.CertificateStatus.Revoked));
        assertEq(_status(root, digests[0]), uint8(ICertificateRegistry.CertificateStatus.Valid));
        assertEq(
            uint8(certificates.statusOf(shCity, digests[0]).status),
            uint8(ICertificateRegistry.CertificateStatus.Valid)
        );

        // And it cannot reach shCity's batch directly.
        bytes32[] memory proof = _proof(0);
        _expectUnauthorized(zjCity, shCity);
        vm.prank(zjCity);
        certificates.revoke(shCity, root, digests[0], proof, 1);
    }

    function test_status_anchoringAnotherAgencysRootGivesNoPowerOverItsCertificates() public {
        _anchor(zjCity, root, 5);
        bytes32[] memory proof = _proof(0);
        vm.prank(zjCity);
        certificates.revoke(zjCity, root, digests[0], proof, 1);
        vm.prank(zjCity);
        certificates.revokeBatch(zjCity, root, 1);

        assertEq(_status(zjCity, root, digests[0]), uint8(ICertificateRegistry.CertificateStatus.Revoked));
        assertEq(_status(zjCity, root, digests[1]), uint8(ICertificateRegistry.CertificateStatus.Revoked));
        for (uint256 i = 0; i < digests.length; ++i) {
            assertEq(_status(root, digests[i]), uint8(ICertificateRegistry.CertificateStatus.Valid));
        }
        assertEq(certificates.batch(shCity, root).revokedAt, 0);
    }

    function test_status_isSharedByTheBatchesOfOneAgency() public {
        bytes32[] memory again = new bytes32[](2);
        again[0] = digests[0];
        again[1] = keccak256(unicode"沪-补发");
        bytes32 secondRoot = again.root();
        _anchor(shCity, secondRoot, 2);

        bytes32[] memory proof = again.proof(0);
        vm.prank(shCity);
        certificates.suspend(shCity, secondRoot, digests[0], proof, 1);
        assertEq(_status(root, digests[0]), uint8(ICertificateRegistry.CertificateStatus.Suspended));
    }

    // ================================================================== revokeMultiple

    function test_revokeMultiple_revokesTwoSiblingLeaves() public {
        _anchor(shCity, root4, 4);
        // Leaves 0 and 1 hash together; h23 completes the root.
        vm.expectEmit(address(certificates));
        emit ICertificateRegistry.CertificateRevoked(d4[0], shCity, shAdmin, 6);
        vm.expectEmit(address(certificates));
        emit ICertificateRegistry.CertificateRevoked(d4[1], shCity, shAdmin, 6);
        vm.prank(shAdmin);
        certificates.revokeMultiple(shCity, root4, _pair(d4[0], d4[1]), _single(h23), _flags(true, false), 6);

        assertEq(_status(root4, d4[0]), uint8(ICertificateRegistry.CertificateStatus.Revoked));
        assertEq(_status(root4, d4[1]), uint8(ICertificateRegistry.CertificateStatus.Revoked));
        assertEq(_status(root4, d4[2]), uint8(ICertificateRegistry.CertificateStatus.Valid));
        assertEq(_status(root4, d4[3]), uint8(ICertificateRegistry.CertificateStatus.Valid));
    }

    function test_revokeMultiple_revokesLeavesOfBothHalves() public {
        _anchor(shCity, root4, 4);
        bool[] memory flags = new bool[](3);
        flags[2] = true; // h(l0, l1), h(l2, l3), then the two hashes together
        vm.prank(shCity);
        certificates.revokeMultiple(shCity, root4, _pair(d4[0], d4[2]), _pair(l4[1], l4[3]), flags, 1);

        assertEq(_status(root4, d4[0]), uint8(ICertificateRegistry.CertificateStatus.Revoked));
        assertEq(_status(root4, d4[1]), uint8(ICertificateRegistry.CertificateStatus.Valid));
        assertEq(_status(root4, d4[2]), uint8(ICertificateRegistry.CertificateStatus.Revoked));
        assertEq(_status(root4, d4[3]), uint8(ICertificateRegistry.CertificateStatus.Valid));
    }

    function test_revokeMultiple_revertsForAnInvalidMultiproof() public {
        _anchor(shCity, root4, 4);
        bytes32[] memory leaves = _pair(d4[0], d4[1]);
        bytes32[] memory proof = _single(h23);
        bool[] memory flags = _flags(false, true);
        vm.expectRevert(
            abi.encodeWithSelector(ICertificateRegistry.CertificateRegistryInvalidProof.selector, root4, d4[0])
        );
        vm.prank(shCity);
        certificates.revokeMultiple(shCity, root4, leaves, proof, flags, 1);
    }

    function test_revokeMultiple_revertsForADigestOfAnotherTree() public {
        _anchor(shCity, root4, 4);
        bytes32[] memory leaves = _pair(d4[0], digests[1]);
        bytes32[] memory proof = _single(h23);
        bool[] memory flags = _flags(true, false);
        vm.expectRevert(
            abi.encodeWithSelector(ICertificateRegistry.CertificateRegistryInvalidProof.selector, root4, d4[0])
        );
        vm.prank(shCity);
        certificates.revokeMultiple(shCity, root4, leaves, proof, flags, 1);
    }

    function test_revokeMultiple_revertsForAMalformedMultiproof() public {
        _anchor(shCity, root4, 4);
        bytes32[] memory leaves = _pair(d4[0], d4[1]);
        bytes32[] memory proof = _pair(h23, h23);
        bool[] memory flags = _flags(true, false);
        vm.expectRevert(MerkleProof.MerkleProofInvalidMultiproof.selector);
        vm.prank(shCity);
        certificates.revokeMultiple(shCity, root4, leaves, proof, flags, 1);
    }

    function test_revokeMultiple_revertsForNoDigests() public {
        _anchor(shCity, root4, 4);
        bytes32[] memory proof = _single(root4);
        vm.expectRevert(
            abi.encodeWithSelector(ICertificateRegistry.CertificateRegistryInvalidProof.selector, root4, bytes32(0))
        );
        vm.prank(shCity);
        certificates.revokeMultiple(shCity, root4, new bytes32[](0), proof, new bool[](0), 1);
    }

    function test_revokeMultiple_revertsWhenOneCertificateIsAlreadyRevoked() public {
        _anchor(shCity, root4, 4);
        vm.prank(shCity);
        certificates.revoke(shCity, root4, d4[1], _pair(l4[0], h23), 1);

        bytes32[] memory leaves = _pair(d4[0], d4[1]);
        bytes32[] memory proof = _single(h23);
        bool[] memory flags = _flags(true, false);
        _expectTransition(
            d4[1],
            ICertificateRegistry.CertificateStatus.Revoked,
            ICertificateRegistry.CertificateStatus.Revoked
        );
        vm.prank(shCity);
        certificates.revokeMultiple(shCity, root4, leaves, proof, flags, 1);
        assertEq(_status(root4, d4[0]), uint8(ICertificateRegistry.CertificateStatus.Valid));
    }

    function test_revokeMultiple_revertsForAdminOfAnotherProvince() public {
        _anchor(shCity, root4, 4);
        bytes32[] memory leaves = _pair(d4[0], d4[1]);
        bytes32[] memory proof = _single(h23);
        bool[] memory flags = _flags(true, false);
        _expectUnauthorized(zjAdmin, shCity);
        vm.prank(zjAdmin);
        certificates.revokeMultiple(shCity, root4, leaves, proof, flags, 1);
    }

    // ================================================================== revokeBatch

    function test_revokeBatch_makesEveryCertificateReadRevokedWithTheBatchsReasonAndTime() public {
        _suspend(shCity, 0);
        vm.prank(shCity);
        certificates.revoke(shCity, root, digests[1], _proof(1), 8);
        _supersede(shCity, 3);

        uint48 revokedAt = START + 2 days;
        vm.warp(revokedAt);
        vm.expectEmit(address(certificates));
        emit ICertificateRegistry.BatchRevoked(root, shCity, shAdmin, 9);
        vm.prank(shAdmin);
        certificates.revokeBatch(shCity, root, 9);

        ICertificateRegistry.Batch memory b = certificates.batch(shCity, root);
        assertEq(b.revokedAt, revokedAt);
        assertEq(b.revokeReason, 9);
        assertEq(b.anchoredAt, START);
        assertEq(b.count, 5);
        assertTrue(certificates.isAnchored(shCity, root));
        for (uint256 i = 0; i < digests.length; ++i) {
            assertEq(_status(root, digests[i]), uint8(ICertificateRegistry.CertificateStatus.Revoked));
        }
        // Valid, suspended and superseded certificates read as revoked by the batch.
        uint256[3] memory byBatch = [uint256(2), 0, 3];
        for (uint256 i = 0; i < byBatch.length; ++i) {
            ICertificateRegistry.StatusRecord memory r = certificates.certificateStatus(
                shCity,
                root,
                digests[byBatch[i]]
            );
            assertEq(r.reason, 9);
            assertEq(r.updatedAt, revokedAt);
            assertEq(r.successor, bytes32(0));
        }
        // A certificate revoked on its own keeps its record.
        ICertificateRegistry.StatusRecord memory own = certificates.certificateStatus(shCity, root, digests[1]);
        assertEq(own.reason, 8);
        assertEq(own.updatedAt, START);
        // The per-agency records are untouched.
        assertEq(
            uint8(certificates.statusOf(shCity, digests[2]).status),
            uint8(ICertificateRegistry.CertificateStatus.Valid)
        );
        ICertificateRegistry.StatusRecord memory superseded = certificates.statusOf(shCity, digests[3]);
        assertEq(uint8(superseded.status), uint8(ICertificateRegistry.CertificateStatus.Superseded));
        assertEq(superseded.successor, keccak256("successor"));
    }

    function test_revokeBatch_leavesTheAgencysOtherBatchesAlone() public {
        bytes32[] memory again = new bytes32[](2);
        again[0] = digests[0];
        again[1] = keccak256(unicode"沪-补发");
        bytes32 secondRoot = again.root();
        _anchor(shCity, secondRoot, 2);
        vm.prank(shCity);
        certificates.revokeBatch(shCity, root, 1);
        assertEq(_status(secondRoot, digests[0]), uint8(ICertificateRegistry.CertificateStatus.Valid));
        assertEq(_status(secondRoot, again[1]), uint8(ICertificateRegistry.CertificateStatus.Valid));
        assertEq(certificates.batch(shCity, secondRoot).revokedAt, 0);
    }

    function test_revokeBatch_blocksFurtherChanges() public {
        vm.prank(shCity);
        certificates.revokeBatch(shCity, root, 1);
        bytes32[] memory proof = _proof(0);
        bytes memory batchRevoked = abi.encodeWithSelector(
            ICertificateRegistry.CertificateRegistryBatchRevoked.selector,
            shCity,
            root
        );

        vm.expectRevert(batchRevoked);
        vm.prank(shCity);
        certificates.revokeBatch(shCity, root, 1);

        vm.expectRevert(batchRevoked);
        vm.prank(shCity);
        certificates.suspend(shCity, root, digests[0], proof, 1);

        vm.expectRevert(batchRevoked);
        vm.prank(shAdmin);
        certificates.revoke(shCity, root, digests[0], proof, 1);

        vm.expectRevert(batchRevoked);
        vm.prank(shCity);
        certificates.reinstate(shCity, root, digests[0], proof, 1);

        vm.expectRevert(batchRevoked);
        vm.prank(shCity);
        certificates.supersede(shCity, root, digests[0], proof, keccak256("successor"), 1);

        vm.expectRevert(batchRevoked);
        vm.prank(shCity);
        certificates.revokeMultiple(shCity, root, _single(digests[0]), proof, new bool[](0), 1);
    }

    function test_revokeBatch_revertsBeforeAuthorizationForARevokedBatch() public {
        vm.prank(shCity);
        certificates.revokeBatch(shCity, root, 1);
        vm.expectRevert(
            abi.encodeWithSelector(ICertificateRegistry.CertificateRegistryBatchRevoked.selector, shCity, root)
        );
        vm.prank(outsider);
        certificates.revokeBatch(shCity, root, 1);
    }

    function test_revokeBatch_revertsForAdminOfAnotherProvince() public {
        _expectUnauthorized(zjAdmin, shCity);
        vm.prank(zjAdmin);
        certificates.revokeBatch(shCity, root, 1);
    }

    function test_revokeBatch_revertsForAnotherAgency() public {
        _expectUnauthorized(zjCity, shCity);
        vm.prank(zjCity);
        certificates.revokeBatch(shCity, root, 1);
    }

    function test_revokeBatch_revertsForUnknownRoot() public {
        bytes32 unknown = keccak256("unknown");
        _expectUnknownRoot(shCity, unknown);
        vm.prank(shCity);
        certificates.revokeBatch(shCity, unknown, 1);
    }

    function test_revokeBatch_revertsForARootTheNamedAgencyDidNotAnchor() public {
        _expectUnknownRoot(zjCity, root);
        vm.prank(zjCity);
        certificates.revokeBatch(zjCity, root, 1);
    }

    function test_certificateStatus_revertsForUnknownRoot() public {
        bytes32 unknown = keccak256("unknown");
        _expectUnknownRoot(shCity, unknown);
        certificates.certificateStatus(shCity, unknown, digests[0]);
    }

    function test_certificateStatus_revertsForARootAnchoredOnlyByAnotherAgency() public {
        _expectUnknownRoot(zjCity, root);
        certificates.certificateStatus(zjCity, root, digests[0]);
    }

    // ================================================================== re-admitted province

    /// The agencies of a removed and re-admitted province belong to its old membership: they cannot anchor
    /// and the new admins cannot change their certificates, which keep reading as they were.
    function test_readmittedProvince_oldAgenciesCannotAnchorNorBeManagedByTheNewAdmins() public {
        bytes32[] memory gdDigests = new bytes32[](2);
        gdDigests[0] = keccak256(unicode"粤-1");
        gdDigests[1] = keccak256(unicode"粤-2");
        bytes32 gdRoot = gdDigests.root();
        _anchor(gdCity, gdRoot, 2);
        bytes32[] memory proof = gdDigests.proof(0);

        vm.warp(START + 10 days);
        _removeProvince(GD);
        vm.warp(START + 20 days);
        address gdNewAdmin = makeAddr("gdNewAdmin");
        _govern(abi.encodeCall(IConsortium.admitProvince, (GD, unicode"广东省", _one(gdNewAdmin))));

        _expectAgencyNotActive(gdCity);

        _expectUnauthorized(gdNewAdmin, gdCity);
        vm.prank(gdNewAdmin);
        certificates.suspend(gdCity, gdRoot, gdDigests[0], proof, 1);
        _expectUnauthorized(gdNewAdmin, gdCity);
        vm.prank(gdNewAdmin);
        certificates.revokeBatch(gdCity, gdRoot, 1);
        _expectUnauthorized(gdCity, gdCity);
        vm.prank(gdCity);
        certificates.revoke(gdCity, gdRoot, gdDigests[0], proof, 1);

        assertEq(_status(gdCity, gdRoot, gdDigests[0]), uint8(ICertificateRegistry.CertificateStatus.Valid));
        assertEq(certificates.batch(gdCity, gdRoot).anchoredAt, START);

        // An agency of the new membership anchors and is managed as usual.
        address gdNewCity = makeAddr("gdNewCity");
        _registerAgency(gdNewAdmin, gdNewCity, GD, address(0), 440100);
        _anchor(gdNewCity, gdRoot, 2);
        vm.prank(gdNewAdmin);
        certificates.suspend(gdNewCity, gdRoot, gdDigests[0], proof, 1);
        assertEq(_status(gdNewCity, gdRoot, gdDigests[0]), uint8(ICertificateRegistry.CertificateStatus.Suspended));
        assertEq(_status(gdCity, gdRoot, gdDigests[0]), uint8(ICertificateRegistry.CertificateStatus.Valid));
    }

    // ================================================================== revocation by consortium vote

    /// Two certificates anchored by gdCity (广东省), and their tree.
    function _anchorGuangdong() internal returns (bytes32[] memory gdDigests, bytes32 gdRoot) {
        gdDigests = new bytes32[](3);
        gdDigests[0] = keccak256(unicode"粤-营业执照-1");
        gdDigests[1] = keccak256(unicode"粤-营业执照-2");
        gdDigests[2] = keccak256(unicode"粤-营业执照-3");
        gdRoot = gdDigests.root();
        _anchor(gdCity, gdRoot, 3);
    }

    /// Runs {consortiumRevoke} of gdCity's certificate `index` through propose / vote / execute.
    function _voteRevoke(bytes32 gdRoot, bytes32[] memory gdDigests, uint256 index, uint16 reason) internal {
        bytes32[] memory proof = gdDigests.proof(index);
        _govern(
            address(certificates),
            abi.encodeCall(ICertificateRegistry.consortiumRevoke, (gdCity, gdRoot, gdDigests[index], proof, reason))
        );
    }

    function _expectOnlyConsortium(address caller) internal {
        vm.expectRevert(
            abi.encodeWithSelector(ICertificateRegistry.CertificateRegistryOnlyConsortium.selector, caller)
        );
    }

    /// The scenario of a suspended province: its agency and its admin can no longer act, nor can any other
    /// province directly; a vote of the consortium revokes the certificate.
    function test_consortiumRevoke_revokesACertificateOfASuspendedProvinceByVote() public {
        (bytes32[] memory gdDigests, bytes32 gdRoot) = _anchorGuangdong();
        bytes32[] memory proof = gdDigests.proof(1);
        vm.warp(START + 1 days);
        _suspendProvince(GD);
        assertTrue(authorities.canConsortiumRevokeCertificatesOf(gdCity));

        _expectUnauthorized(gdCity, gdCity);
        vm.prank(gdCity);
        certificates.revoke(gdCity, gdRoot, gdDigests[1], proof, 2);
        _expectUnauthorized(gdAdmin, gdCity);
        vm.prank(gdAdmin);
        certificates.revoke(gdCity, gdRoot, gdDigests[1], proof, 2);
        _expectUnauthorized(zjAdmin, gdCity);
        vm.prank(zjAdmin);
        certificates.revoke(gdCity, gdRoot, gdDigests[1], proof, 2);
        _expectOnlyConsortium(zjAdmin);
        vm.prank(zjAdmin);
        certificates.consortiumRevoke(gdCity, gdRoot, gdDigests[1], proof, 2);

        vm.warp(START + 2 days);
        uint256 proposalId = _proposeApproved(
            address(certificates),
            abi.encodeCall(ICertificateRegistry.consortiumRevoke, (gdCity, gdRoot, gdDigests[1], proof, 2))
        );
        vm.expectEmit(address(certificates));
        emit ICertificateRegistry.CertificateRevoked(gdDigests[1], gdCity, address(consortium), 2);
        vm.prank(zjAdmin);
        consortium.execute(proposalId);

        ICertificateRegistry.StatusRecord memory record = certificates.certificateStatus(gdCity, gdRoot, gdDigests[1]);
        assertEq(uint8(record.status), uint8(ICertificateRegistry.CertificateStatus.Revoked));
        assertEq(record.reason, 2);
        assertEq(record.updatedAt, START + 2 days);
        assertEq(_status(gdCity, gdRoot, gdDigests[0]), uint8(ICertificateRegistry.CertificateStatus.Valid));
        assertEq(certificates.consortium(), address(consortium));
    }

    function test_consortiumRevoke_revokesACertificateOfARemovedProvince() public {
        (bytes32[] memory gdDigests, bytes32 gdRoot) = _anchorGuangdong();
        _removeProvince(GD);
        _voteRevoke(gdRoot, gdDigests, 0, 5);
        assertEq(_status(gdCity, gdRoot, gdDigests[0]), uint8(ICertificateRegistry.CertificateStatus.Revoked));
    }

    function test_consortiumRevoke_revokesASuspendedCertificate() public {
        (bytes32[] memory gdDigests, bytes32 gdRoot) = _anchorGuangdong();
        bytes32[] memory proof = gdDigests.proof(0);
        vm.prank(gdCity);
        certificates.suspend(gdCity, gdRoot, gdDigests[0], proof, 1);
        _suspendProvince(GD);
        _voteRevoke(gdRoot, gdDigests, 0, 5);
        assertEq(_status(gdCity, gdRoot, gdDigests[0]), uint8(ICertificateRegistry.CertificateStatus.Revoked));
    }

    /// After removal and re-admission the old agency belongs to an earlier membership: the new admins cannot
    /// manage it, so its certificates are the consortium's to revoke.
    function test_consortiumRevoke_revokesACertificateOfAnAgencyOfAnEarlierMembership() public {
        (bytes32[] memory gdDigests, bytes32 gdRoot) = _anchorGuangdong();
        _removeProvince(GD);
        _govern(abi.encodeCall(IConsortium.admitProvince, (GD, unicode"广东省", _one(makeAddr("gdNewAdmin")))));
        assertTrue(authorities.canConsortiumRevokeCertificatesOf(gdCity));
        _voteRevoke(gdRoot, gdDigests, 2, 5);
        assertEq(_status(gdCity, gdRoot, gdDigests[2]), uint8(ICertificateRegistry.CertificateStatus.Revoked));
    }

    function test_consortiumRevoke_revertsForAnAgencyInGoodStanding() public {
        (bytes32[] memory gdDigests, bytes32 gdRoot) = _anchorGuangdong();
        // gdCity itself suspended by its admin: the province still acts for it, so the consortium may not.
        _suspendAgency(gdAdmin, gdCity);
        assertFalse(authorities.canConsortiumRevokeCertificatesOf(gdCity));
        bytes32[] memory proof = gdDigests.proof(0);
        uint256 proposalId = _proposeApproved(
            address(certificates),
            abi.encodeCall(ICertificateRegistry.consortiumRevoke, (gdCity, gdRoot, gdDigests[0], proof, 2))
        );
        vm.expectRevert(
            abi.encodeWithSelector(ICertificateRegistry.CertificateRegistryIssuerInGoodStanding.selector, gdCity, GD)
        );
        vm.prank(shAdmin);
        consortium.execute(proposalId);
        assertEq(_status(gdCity, gdRoot, gdDigests[0]), uint8(ICertificateRegistry.CertificateStatus.Valid));
    }

    function test_consortiumRevoke_revertsForAnyCallerButTheConsortium() public {
        (bytes32[] memory gdDigests, bytes32 gdRoot) = _anchorGuangdong();
        _suspendProvince(GD);
        bytes32[] memory proof = gdDigests.proof(0);
        address[4] memory callers = [gdCity, gdAdmin, shAdmin, outsider];
        for (uint256 i = 0; i < callers.length; ++i) {
            _expectOnlyConsortium(callers[i]);
            vm.prank(callers[i]);
            certificates.consortiumRevoke(gdCity, gdRoot, gdDigests[0], proof, 2);
            _expectOnlyConsortium(callers[i]);
            vm.prank(callers[i]);
            certificates.consortiumRevokeMultiple(gdCity, gdRoot, _single(gdDigests[0]), proof, new bool[](0), 2);
            _expectOnlyConsortium(callers[i]);
            vm.prank(callers[i]);
            certificates.consortiumRevokeBatch(gdCity, gdRoot, 2);
        }
    }

    function test_consortiumRevoke_revertsForAnInvalidProofAnUnknownRootOrARevokedCertificate() public {
        (bytes32[] memory gdDigests, bytes32 gdRoot) = _anchorGuangdong();
        _suspendProvince(GD);
        bytes32[] memory wrong = gdDigests.proof(1);
        bytes32[] memory proof = gdDigests.proof(0);
        vm.startPrank(address(consortium)); // as an executed proposal calls it
        vm.expectRevert(
            abi.encodeWithSelector(ICertificateRegistry.CertificateRegistryInvalidProof.selector, gdRoot, gdDigests[0])
        );
        certificates.consortiumRevoke(gdCity, gdRoot, gdDigests[0], wrong, 2);
        _expectUnknownRoot(gdCity, root);
        certificates.consortiumRevoke(gdCity, root, gdDigests[0], proof, 2);
        _expectUnknownRoot(shCity, gdRoot); // a root of gdCity named under another agency
        certificates.consortiumRevoke(shCity, gdRoot, gdDigests[0], proof, 2);
        certificates.consortiumRevoke(gdCity, gdRoot, gdDigests[0], proof, 2);
        _expectTransition(
            gdDigests[0],
            ICertificateRegistry.CertificateStatus.Revoked,
            ICertificateRegistry.CertificateStatus.Revoked
        );
        certificates.consortiumRevoke(gdCity, gdRoot, gdDigests[0], proof, 2);
        vm.stopPrank();
    }

    function test_consortiumRevokeMultiple_revokesSeveralCertificatesOfASuspendedProvince() public {
        _anchor(gdCity, root4, 4);
        _suspendProvince(GD);
        bytes memory call = abi.encodeCall(
            ICertificateRegistry.consortiumRevokeMultiple,
            (gdCity, root4, _pair(d4[0], d4[1]), _single(h23), _flags(true, false), 7)
        );
        uint256 proposalId = _proposeApproved(address(certificates), call);
        vm.expectEmit(address(certificates));
        emit ICertificateRegistry.CertificateRevoked(d4[0], gdCity, address(consortium), 7);
        vm.expectEmit(address(certificates));
        emit ICertificateRegistry.CertificateRevoked(d4[1], gdCity, address(consortium), 7);
        vm.prank(shAdmin);
        consortium.execute(proposalId);

        assertEq(_status(gdCity, root4, d4[0]), uint8(ICertificateRegistry.CertificateStatus.Revoked));
        assertEq(_status(gdCity, root4, d4[1]), uint8(ICertificateRegistry.CertificateStatus.Revoked));
        assertEq(_status(gdCity, root4, d4[2]), uint8(ICertificateRegistry.CertificateStatus.Valid));
    }

    function test_consortiumRevokeMultiple_revertsForAnInvalidMultiproofOrAnAgencyInGoodStanding() public {
        _anchor(gdCity, root4, 4);
        vm.startPrank(address(consortium));
        vm.expectRevert(
            abi.encodeWithSelector(ICertificateRegistry.CertificateRegistryIssuerInGoodStanding.selector, gdCity, GD)
        );
        certificates.consortiumRevokeMultiple(gdCity, root4, _pair(d4[0], d4[1]), _single(h23), _flags(true, false), 7);
        vm.stopPrank();

        _suspendProvince(GD);
        vm.startPrank(address(consortium));
        vm.expectRevert(
            abi.encodeWithSelector(ICertificateRegistry.CertificateRegistryInvalidProof.selector, root4, d4[0])
        );
        certificates.consortiumRevokeMultiple(gdCity, root4, _pair(d4[0], d4[1]), _single(h23), _flags(false, true), 7);
        vm.stopPrank();
    }

    function test_consortiumRevokeBatch_revokesAWholeBatchOfARemovedProvince() public {
        (bytes32[] memory gdDigests, bytes32 gdRoot) = _anchorGuangdong();
        vm.warp(START + 3 days);
        _removeProvince(GD);
        uint256 proposalId = _proposeApproved(
            address(certificates),
            abi.encodeCall(ICertificateRegistry.consortiumRevokeBatch, (gdCity, gdRoot, 9))
        );
        vm.expectEmit(address(certificates));
        emit ICertificateRegistry.BatchRevoked(gdRoot, gdCity, address(consortium), 9);
        vm.prank(shAdmin);
        consortium.execute(proposalId);

        ICertificateRegistry.Batch memory b = certificates.batch(gdCity, gdRoot);
        assertEq(b.revokedAt, START + 3 days);
        assertEq(b.revokeReason, 9);
        for (uint256 i = 0; i < gdDigests.length; ++i) {
            assertEq(_status(gdCity, gdRoot, gdDigests[i]), uint8(ICertificateRegistry.CertificateStatus.Revoked));
        }

        vm.expectRevert(
            abi.encodeWithSelector(ICertificateRegistry.CertificateRegistryBatchRevoked.selector, gdCity, gdRoot)
        );
        vm.prank(address(consortium));
        certificates.consortiumRevokeBatch(gdCity, gdRoot, 9);
    }

    function test_consortiumRevokeBatch_revertsForAnAgencyInGoodStandingOrAnUnknownAgency() public {
        vm.startPrank(address(consortium));
        vm.expectRevert(
            abi.encodeWithSelector(ICertificateRegistry.CertificateRegistryIssuerInGoodStanding.selector, shCity, SH)
        );
        certificates.consortiumRevokeBatch(shCity, root, 1);
        _expectUnknownRoot(outsider, root);
        certificates.consortiumRevokeBatch(outsider, root, 1);
        vm.stopPrank();
    }

    function test_authorityRegistry_isTheFixturesRegistry() public view {
        assertEq(certificates.authorityRegistry(), address(authorities));
    }
}

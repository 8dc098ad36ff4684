// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";
import {IAuthorityRegistry} from "./interfaces/IAuthorityRegistry.sol";
import {ICertificateRegistry} from "./interfaces/ICertificateRegistry.sol";

/**
 * @title CertificateRegistry
 * @notice Merkle-root anchoring of certificate batches and per-certificate status.
 *
 * Storage is laid out for gas: one packed slot per root of an agency (anchoring time, count, revocation
 * time and reason) with the manifest's digest only in the {BatchAnchored} event, and one packed slot per changed
 * certificate (plus one for a successor digest). Batches and statuses are keyed by agency, so an agency can
 * neither claim another agency's root first nor change the status of a certificate it did not issue by
 * anchoring a tree that contains its digest.
 *
 * The consortium (the {Consortium} contract the authority registry serves, acting on an executed proposal)
 * revokes the certificates of an agency whose province can no longer act for it.
 *
 * Whether an agency may anchor is mirrored here ({canAnchor}): the {AuthorityRegistry} tells this registry of
 * every agency whose effective status may have changed ({agencyStatusChanged}) in the call that changes it, and
 * this registry reads the agency's status back from it, so {anchor} reads one local slot instead of calling out.
 */
contract CertificateRegistry is ICertificateRegistry {
    struct Status {
        CertificateStatus status;
        uint16 reason;
        uint48 updatedAt;
    }

    IAuthorityRegistry private immutable _authorities;
    address private immutable _consortium;

    mapping(address agency => mapping(bytes32 root => Batch)) private _batches;
    mapping(address agency => mapping(bytes32 digest => Status)) private _statuses;
    mapping(address agency => mapping(bytes32 digest => bytes32 successor)) private _successors;
    mapping(address agency => mapping(bytes32 listId => bytes32 listHash)) private _statusLists;
    /// Mirror of {IAuthorityRegistry-isActive}, kept by the authority registry ({agencyStatusChanged}):
    /// {_ACTIVE}, {_INACTIVE}, or 0 for an agency never pushed. Inactive is not 0 so that a reinstatement rewrites
    /// a non-zero slot (5,000 gas) instead of setting a zero one (22,100) for every agency it reaches.
    mapping(address agency => uint256 state) private _agencyStates;
    uint256 private constant _INACTIVE = 1;
    uint256 private constant _ACTIVE = 2;

    /// @param authorities the {AuthorityRegistry} that says which agencies may anchor; it must name this registry
    /// as the one it tells of agencies' status changes ({IAuthorityRegistry-certificateRegistry}). Its consortium is
    /// the one that may revoke by vote.
    constructor(IAuthorityRegistry authorities) {
        address named = authorities.certificateRegistry();
        if (named != address(this)) revert CertificateRegistryNotAuthorityMirror(address(authorities), named);
        _authorities = authorities;
        _consortium = authorities.consortium();
    }

    // ------------------------------------------------------------------ authority-registry-only

    /**
     * @notice Mirrors a possible change of an agency's effective status: reads {IAuthorityRegistry-isActive} of
     * `agency` back from the authority registry and keeps it for {anchor} and {publishStatusList}. The status is
     * read, not passed, so the mirror can only ever hold the authority registry's answer.
     * @dev Requirements: called by the authority registry (it calls this for every agency whose effective status
     * changes: registered, suspended or reinstated, with an ancestor or with its province).
     */
    function agencyStatusChanged(address agency) external {
        if (msg.sender != address(_authorities)) revert CertificateRegistryOnlyAuthorityRegistry(msg.sender);
        _agencyStates[agency] = _authorities.isActive(agency) ? _ACTIVE : _INACTIVE;
    }

    /**
     * @notice Anchors the Merkle root of a batch of `count` certificates issued by the caller.
     * @dev `manifest` is the SHA-256 digest of the batch manifest's root block (the multihash digest of its CIDv1,
     * `raw` or `dag-pb`), or zero for no manifest; the registry does not interpret it.
     * Requirements: the caller is an effectively active agency ({canAnchor}); `root` is non-zero and not yet
     * anchored by the caller; `count > 0`. Emits a {BatchAnchored} event carrying `manifest` (not stored).
     */
    function anchor(bytes32 root, uint32 count, bytes32 manifest) external {
        if (root == bytes32(0) || count == 0) revert CertificateRegistryInvalidBatch(root, count);
        Batch storage b = _batches[msg.sender][root];
        if (b.anchoredAt != 0) revert CertificateRegistryAlreadyAnchored(msg.sender, root);
        if (_agencyStates[msg.sender] != _ACTIVE) revert CertificateRegistryAgencyNotActive(msg.sender);
        b.anchoredAt = Time.timestamp();
        b.count = count;
        emit BatchAnchored(root, msg.sender, count, manifest);
    }

    /**
     * @notice Suspends a valid certificate of `agency`.
     * @dev Requirements: `proof` proves `digest` in the root `agency` anchored, not revoked as a batch; the
     * caller is `agency` (effectively active) or an admin of its active province; the certificate is valid.
     * Emits a {CertificateSuspended} event.
     */
    function suspend(address agency, bytes32 root, bytes32 digest, bytes32[] calldata proof, uint16 reason) external {
        _authorize(agency, root, digest, proof);
        Status storage s = _statuses[agency][digest];
        if (s.status != CertificateStatus.Valid) _badTransition(digest, s.status, CertificateStatus.Suspended);
        _set(s, CertificateStatus.Suspended, reason);
        emit CertificateSuspended(digest, agency, msg.sender, reason);
    }

    /**
     * @notice Returns a suspended certificate to valid.
     * @dev Requirements: as {suspend}; the certificate is suspended. Emits a {CertificateReinstated} event.
     */
    function reinstate(
        address agency,
        bytes32 root,
        bytes32 digest,
        bytes32[] calldata proof,
        uint16 reason
    ) external {
        _authorize(agency, root, digest, proof);
        Status storage s = _statuses[agency][digest];
        if (s.status != CertificateStatus.Suspended) _badTransition(digest, s.status, CertificateStatus.Valid);
        _set(s, CertificateStatus.Valid, reason);
        emit CertificateReinstated(digest, agency, msg.sender, reason);
    }

    /**
     * @notice Revokes a certificate for good.
     * @dev Requirements: as {suspend}; the certificate is not already revoked. Emits a {CertificateRevoked} event.
     */
    function revoke(address agency, bytes32 root, bytes32 digest, bytes32[] calldata proof, uint16 reason) external {
        _authorize(agency, root, digest, proof);
        _revoke(agency, digest, reason);
    }

    /**
     * @notice Marks a certificate as replaced by the certificate with digest `successor`.
     * @dev Requirements: as {suspend}; the certificate is valid or suspended; `successor` is non-zero and not
     * `digest`. Emits a {CertificateSuperseded} event.
     */
    function supersede(
        address agency,
        bytes32 root,
        bytes32 digest,
        bytes32[] calldata proof,
        bytes32 successor,
        uint16 reason
    ) external {
        _authorize(agency, root, digest, proof);
        if (successor == bytes32(0) || successor == digest) revert CertificateRegistryInvalidSuccessor(digest, successor);
        Status storage s = _statuses[agency][digest];
        if (s.status != CertificateStatus.Valid && s.status != CertificateStatus.Suspended) {
            _badTransition(digest, s.status, CertificateStatus.Superseded);
        }
        _set(s, CertificateStatus.Superseded, reason);
        _successors[agency][digest] = successor;
        emit CertificateSuperseded(digest, agency, msg.sender, reason, successor);
    }

    /**
     * @notice Revokes several certificates of one batch with a single OpenZeppelin multi-proof.
     * @dev `digests` are the certificates' digests in the order of the multi-proof's leaves.
     * Requirements: the multi-proof is valid for `root`; the caller may manage `agency`'s certificates; no
     * certificate is already revoked. Emits a {CertificateRevoked} event per certificate.
     */
    function revokeMultiple(
        address agency,
        bytes32 root,
        bytes32[] calldata digests,
        bytes32[] calldata proof,
        bool[] calldata proofFlags,
        uint16 reason
    ) external {
        _authorizeBatch(agency, root);
        _revokeMultiple(agency, root, digests, proof, proofFlags, reason);
    }

    /**
     * @notice Revokes a whole batch: every certificate under `root` reads as revoked.
     * @dev Requirements: `agency` anchored the root and it is not already revoked; the caller may manage
     * `agency`'s certificates. Emits a {BatchRevoked} event.
     */
    function revokeBatch(address agency, bytes32 root, uint16 reason) external {
        _revokeBatch(_authorizeBatch(agency, root), agency, root, reason);
    }

    /**
     * @notice Records `listHash` as the hash of the caller's latest published status list `listId`.
     * @dev Hurong's lists: `listId` is `keccak256("<purpose>/<number>")`, `listHash` the SHA-256 of the list
     * credential's RFC 8785 form. Only the latest hash is stored (one slot per agency and list); the history is
     * in the events. Requirements: the caller is an effectively active agency (as for {anchor}); `listId` and
     * `listHash` are non-zero. Emits a {StatusListPublished} event.
     */
    function publishStatusList(bytes32 listId, bytes32 listHash) external {
        if (listId == bytes32(0) || listHash == bytes32(0)) {
            revert CertificateRegistryInvalidStatusList(listId, listHash);
        }
        if (_agencyStates[msg.sender] != _ACTIVE) revert CertificateRegistryAgencyNotActive(msg.sender);
        _statusLists[msg.sender][listId] = listHash;
        emit StatusListPublished(msg.sender, listId, listHash);
    }

    // ------------------------------------------------------------------ consortium-only

    /**
     * @notice Revokes a certificate of an agency whose province can no longer act for it, by consortium vote.
     * @dev Requirements: called by the consortium (through an executed proposal); `proof` proves `digest` in
     * the root `agency` anchored, not revoked as a batch; the agency's province is suspended or removed, or the
     * agency belongs to an earlier membership of it; the certificate is not already revoked.
     * Emits a {CertificateRevoked} event with `by` the consortium.
     */
    function consortiumRevoke(
        address agency,
        bytes32 root,
        bytes32 digest,
        bytes32[] calldata proof,
        uint16 reason
    ) external {
        _authorizeConsortium(agency, root);
        if (!MerkleProof.verifyCalldata(proof, root, _leaf(digest))) {
            revert CertificateRegistryInvalidProof(root, digest);
        }
        _revoke(agency, digest, reason);
    }

    /**
     * @notice Revokes several certificates of one batch of an agency whose province can no longer act for it,
     * by consortium vote, with a single OpenZeppelin multi-proof.
     * @dev Requirements: as {consortiumRevoke}; the multi-proof is valid for `root`; no certificate is already
     * revoked. Emits a {CertificateRevoked} event per certificate, with `by` the consortium.
     */
    function consortiumRevokeMultiple(
        address agency,
        bytes32 root,
        bytes32[] calldata digests,
        bytes32[] calldata proof,
        bool[] calldata proofFlags,
        uint16 reason
    ) external {
        _authorizeConsortium(agency, root);
        _revokeMultiple(agency, root, digests, proof, proofFlags, reason);
    }

    /**
     * @notice Revokes a whole batch of an agency whose province can no longer act for it, by consortium vote.
     * @dev Requirements: as {consortiumRevoke} without the proof. Emits a {BatchRevoked} event with `by` the
     * consortium.
     */
    function consortiumRevokeBatch(address agency, bytes32 root, uint16 reason) external {
        _revokeBatch(_authorizeConsortium(agency, root), agency, root, reason);
    }

    // ------------------------------------------------------------------ views

    /// @notice The {AuthorityRegistry} consulted for anchoring and status rights.
    function authorityRegistry() external view returns (address) {
        return address(_authorities);
    }

    /// @notice The {Consortium} whose executed proposals may revoke certificates of agencies whose province can
    /// no longer act for them; the `by` of the events those revocations emit.
    function consortium() external view returns (address) {
        return _consortium;
    }

    /// @notice Whether `agency` may anchor now: the mirror of {IAuthorityRegistry-isActive} {anchor} reads.
    function canAnchor(address agency) external view returns (bool) {
        return _agencyStates[agency] == _ACTIVE;
    }

    /// @notice A batch's record; `anchoredAt` is 0 for a root `agency` never anchored.
    function batch(address agency, bytes32 root) external view returns (Batch memory) {
        return _batches[agency][root];
    }

    /// @notice Whether `agency` anchored `root`.
    function isAnchored(address agency, bytes32 root) external view returns (bool) {
        return _batches[agency][root].anchoredAt != 0;
    }

    /// @notice The status record of `digest` among `agency`'s certificates.
    function statusOf(address agency, bytes32 digest) public view returns (StatusRecord memory) {
        Status storage s = _statuses[agency][digest];
        return StatusRecord(s.status, s.reason, s.updatedAt, _successors[agency][digest]);
    }

    /**
     * @notice The status of a certificate of `agency`'s batch `root`; a revoked batch reads as revoked, with
     * the batch's revocation time and reason.
     * @dev Does not check inclusion: use {verifyInclusion}. Reverts with {CertificateRegistryUnknownRoot}.
     */
    function certificateStatus(
        address agency,
        bytes32 root,
        bytes32 digest
    ) external view returns (StatusRecord memory record) {
        Batch storage b = _batches[agency][root];
        if (b.anchoredAt == 0) revert CertificateRegistryUnknownRoot(agency, root);
        record = statusOf(agency, digest);
        if (b.revokedAt != 0 && record.status != CertificateStatus.Revoked) {
            record = StatusRecord(CertificateStatus.Revoked, b.revokeReason, b.revokedAt, bytes32(0));
        }
    }

    /// @notice Whether `proof` leads from `digest`'s leaf to `root`.
    function verifyInclusion(bytes32 root, bytes32 digest, bytes32[] calldata proof) external pure returns (bool) {
        return MerkleProof.verifyCalldata(proof, root, _leaf(digest));
    }

    /// @notice The Merkle leaf of a digest: `keccak256(bytes.concat(keccak256(abi.encode(digest))))`.
    function leafOf(bytes32 digest) external pure returns (bytes32) {
        return _leaf(digest);
    }

    /// @notice The hash `agency` last published for its status list `listId` ({publishStatusList}); zero if none.
    /// Called at an earlier block, the hash that was the latest then.
    function statusListHash(address agency, bytes32 listId) external view returns (bytes32) {
        return _statusLists[agency][listId];
    }

    // ------------------------------------------------------------------ internals

    function _leaf(bytes32 digest) private pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(digest))));
    }

    function _authorizeBatch(address agency, bytes32 root) private view returns (Batch storage b) {
        b = _batches[agency][root];
        if (b.anchoredAt == 0) revert CertificateRegistryUnknownRoot(agency, root);
        if (b.revokedAt != 0) revert CertificateRegistryBatchRevoked(agency, root);
        if (!_authorities.canManageCertificatesOf(msg.sender, agency)) {
            revert CertificateRegistryUnauthorized(msg.sender, agency);
        }
    }

    /// The caller is the consortium, `agency` anchored `root` (not revoked as a batch), and no one of the
    /// agency's province can act for it any more.
    function _authorizeConsortium(address agency, bytes32 root) private view returns (Batch storage b) {
        if (msg.sender != _consortium) revert CertificateRegistryOnlyConsortium(msg.sender);
        b = _batches[agency][root];
        if (b.anchoredAt == 0) revert CertificateRegistryUnknownRoot(agency, root);
        if (b.revokedAt != 0) revert CertificateRegistryBatchRevoked(agency, root);
        if (!_authorities.canConsortiumRevokeCertificatesOf(agency)) {
            revert CertificateRegistryIssuerInGoodStanding(agency, _authorities.agencyProvince(agency));
        }
    }

    function _authorize(address agency, bytes32 root, bytes32 digest, bytes32[] calldata proof) private view {
        _authorizeBatch(agency, root);
        if (!MerkleProof.verifyCalldata(proof, root, _leaf(digest))) {
            revert CertificateRegistryInvalidProof(root, digest);
        }
    }

    function _revokeMultiple(
        address agency,
        bytes32 root,
        bytes32[] calldata digests,
        bytes32[] calldata proof,
        bool[] calldata proofFlags,
        uint16 reason
    ) private {
        uint256 n = digests.length;
        bytes32[] memory leaves = new bytes32[](n);
        for (uint256 i = 0; i < n; ++i) {
            leaves[i] = _leaf(digests[i]);
        }
        if (n == 0 || !MerkleProof.multiProofVerifyCalldata(proof, proofFlags, root, leaves)) {
            revert CertificateRegistryInvalidProof(root, n == 0 ? bytes32(0) : digests[0]);
        }
        for (uint256 i = 0; i < n; ++i) {
            _revoke(agency, digests[i], reason);
        }
    }

    function _revokeBatch(Batch storage b, address agency, bytes32 root, uint16 reason) private {
        b.revokedAt = Time.timestamp();
        b.revokeReason = reason;
        emit BatchRevoked(root, agency, msg.sender, reason);
    }

    function _revoke(address agency, bytes32 digest, uint16 reason) private {
        Status storage s = _statuses[agency][digest];
        if (s.status == CertificateStatus.Revoked) _badTransition(digest, s.status, CertificateStatus.Revoked);
        _set(s, CertificateStatus.Revoked, reason);
        emit CertificateRevoked(digest, agency, msg.sender, reason);
    }

    function _set(Status storage s, CertificateStatus to, uint16 reason) private {
        s.status = to;
        s.reason = reason;
        s.updatedAt = Time.timestamp();
    }

    function _badTransition(bytes32 digest, CertificateStatus from, CertificateStatus to) private pure {
        revert CertificateRegistryInvalidTransition(digest, from, to);
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title ICertificateRegistry
 * @notice Anchors Merkle roots of certificate batches and keeps the status of individual certificates.
 *
 * A batch is a Merkle tree in OpenZeppelin `StandardMerkleTree` form over `bytes32` certificate digests:
 * `leaf = keccak256(bytes.concat(keccak256(abi.encode(digest))))`, pairs hashed sorted. Batches and
 * certificate statuses are keyed by the issuing agency: another agency can neither take a root first (by
 * copying it from a pending transaction) nor change the status of a certificate it did not issue. A status
 * is changed by presenting the certificate's Merkle proof to an anchored root of its agency.
 *
 * The agency and its province admin change statuses while the province is in good standing. Once no one of
 * the province can act any more (the province is suspended or removed, or the agency belongs to an earlier
 * membership of it), the consortium revokes its certificates by vote: {Consortium} executes an approved
 * proposal calling {consortiumRevoke}, {consortiumRevokeMultiple} or {consortiumRevokeBatch}. Those emit the
 * same {CertificateRevoked} and {BatchRevoked} events, with `by` the consortium's address ({consortium}).
 *
 * Each batch's manifest is named by the SHA-256 digest of its root block (the digest of its CIDv1) in
 * {BatchAnchored}; readers rebuild the CID from it. Whether an agency may anchor is mirrored from the
 * {AuthorityRegistry} ({canAnchor}), which pushes every change ({agencyStatusChanged}).
 *
 * An agency also anchors the hash of each W3C Bitstring Status List it publishes ({publishStatusList}): one slot
 * per agency and list holds the latest hash, and every publication emits {StatusListPublished}, so a verifier
 * checks a fetched list against {statusListHash} now, or at any earlier block (a call at that block, or the
 * events up to it).
 */
interface ICertificateRegistry {
    /// Status of a certificate. `Valid` is the status of every anchored certificate never changed.
    enum CertificateStatus {
        Valid,
        Suspended,
        Revoked,
        Superseded
    }

    /// A batch; `anchoredAt` is 0 for a root the agency never anchored, `revokedAt` 0 while not revoked.
    struct Batch {
        uint48 anchoredAt;
        uint32 count;
        uint48 revokedAt;
        uint16 revokeReason;
    }

    struct StatusRecord {
        CertificateStatus status;
        uint16 reason;
        uint48 updatedAt;
        bytes32 successor;
    }

    // ----- errors -----
    error CertificateRegistryAgencyNotActive(address agency);
    error CertificateRegistryInvalidBatch(bytes32 root, uint256 count);
    error CertificateRegistryAlreadyAnchored(address agency, bytes32 root);
    error CertificateRegistryUnknownRoot(address agency, bytes32 root);
    error CertificateRegistryUnauthorized(address caller, address agency);
    error CertificateRegistryInvalidProof(bytes32 root, bytes32 digest);
    error CertificateRegistryInvalidTransition(bytes32 digest, CertificateStatus current, CertificateStatus requested);
    error CertificateRegistryBatchRevoked(address agency, bytes32 root);
    error CertificateRegistryInvalidSuccessor(bytes32 digest, bytes32 successor);
    error CertificateRegistryOnlyConsortium(address caller);
    error CertificateRegistryIssuerInGoodStanding(address agency, uint32 province);
    error CertificateRegistryInvalidStatusList(bytes32 listId, bytes32 listHash);
    error CertificateRegistryOnlyAuthorityRegistry(address caller);
    error CertificateRegistryNotAuthorityMirror(address authorities, address registry);

    // ----- events -----
    event BatchAnchored(bytes32 indexed root, address indexed agency, uint32 count, bytes32 manifest);
    event BatchRevoked(bytes32 indexed root, address indexed agency, address indexed by, uint16 reason);
    event CertificateSuspended(bytes32 indexed digest, address indexed agency, address indexed by, uint16 reason);
    event CertificateReinstated(bytes32 indexed digest, address indexed agency, address indexed by, uint16 reason);
    event CertificateRevoked(bytes32 indexed digest, address indexed agency, address indexed by, uint16 reason);
    event CertificateSuperseded(
        bytes32 indexed digest,
        address indexed agency,
        address indexed by,
        uint16 reason,
        bytes32 successor
    );
    event StatusListPublished(address indexed agency, bytes32 indexed listId, bytes32 listHash);

    // ----- mutations -----
    function anchor(bytes32 root, uint32 count, bytes32 manifest) external;
    function suspend(address agency, bytes32 root, bytes32 digest, bytes32[] calldata proof, uint16 reason) external;
    function reinstate(address agency, bytes32 root, bytes32 digest, bytes32[] calldata proof, uint16 reason) external;
    function revoke(address agency, bytes32 root, bytes32 digest, bytes32[] calldata proof, uint16 reason) external;
    function supersede(
        address agency,
        bytes32 root,
        bytes32 digest,
        bytes32[] calldata proof,
        bytes32 successor,
        uint16 reason
    ) external;
    function revokeMultiple(
        address agency,
        bytes32 root,
        bytes32[] calldata digests,
        bytes32[] calldata proof,
        bool[] calldata proofFlags,
        uint16 reason
    ) external;
    function revokeBatch(address agency, bytes32 root, uint16 reason) external;
    function publishStatusList(bytes32 listId, bytes32 listHash) external;

    // ----- authority-registry-only (pushed by every change of an agency's effective status) -----
    function agencyStatusChanged(address agency) external;

    // ----- consortium-only (called through an executed proposal) -----
    function consortiumRevoke(
        address agency,
        bytes32 root,
        bytes32 digest,
        bytes32[] calldata proof,
        uint16 reason
    ) external;
    function consortiumRevokeMultiple(
        address agency,
        bytes32 root,
        bytes32[] calldata digests,
        bytes32[] calldata proof,
        bool[] calldata proofFlags,
        uint16 reason
    ) external;
    function consortiumRevokeBatch(address agency, bytes32 root, uint16 reason) external;

    // ----- views -----
    function authorityRegistry() external view returns (address);
    function consortium() external view returns (address);
    function canAnchor(address agency) external view returns (bool);
    function batch(address agency, bytes32 root) external view returns (Batch memory);
    function isAnchored(address agency, bytes32 root) external view returns (bool);
    function statusOf(address agency, bytes32 digest) external view returns (StatusRecord memory);
    function certificateStatus(
        address agency,
        bytes32 root,
        bytes32 digest
    ) external view returns (StatusRecord memory);
    function verifyInclusion(bytes32 root, bytes32 digest, bytes32[] calldata proof) external pure returns (bool);
    function leafOf(bytes32 digest) external pure returns (bytes32);
    function statusListHash(address agency, bytes32 listId) external view returns (bytes32);
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title ICertificateRegistry
 * @notice Anchors Merkle roots of certificate batches and keeps the status of individual certificates.
 *
 * A batch is a Merkle tree in OpenZeppelin `StandardMerkleTree` form over `bytes32` certificate digests:
 * `leaf = keccak256(bytes.concat(keccak256(abi.encode(digest))))`, pairs hashed sorted. A certificate's
 * status is keyed by its issuing agency and its digest, and changed by presenting its Merkle proof to an
 * anchored root of that agency.
 */
interface ICertificateRegistry {
    /// Status of a certificate. `Valid` is the status of every anchored certificate never changed.
    enum CertificateStatus {
        Valid,
        Suspended,
        Revoked,
        Superseded
    }

    struct Batch {
        address agency;
        uint48 anchoredAt;
        uint32 count;
        bool revoked;
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
    error CertificateRegistryAlreadyAnchored(bytes32 root);
    error CertificateRegistryUnknownRoot(bytes32 root);
    error CertificateRegistryUnauthorized(address caller, bytes32 root);
    error CertificateRegistryInvalidProof(bytes32 root, bytes32 digest);
    error CertificateRegistryInvalidTransition(bytes32 digest, CertificateStatus current, CertificateStatus requested);
    error CertificateRegistryBatchRevoked(bytes32 root);
    error CertificateRegistryInvalidSuccessor(bytes32 digest, bytes32 successor);

    // ----- events -----
    event BatchAnchored(bytes32 indexed root, address indexed agency, uint32 count, string manifestCid);
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

    // ----- mutations -----
    function anchor(bytes32 root, uint32 count, string calldata manifestCid) external;
    function suspend(bytes32 root, bytes32 digest, bytes32[] calldata proof, uint16 reason) external;
    function reinstate(bytes32 root, bytes32 digest, bytes32[] calldata proof, uint16 reason) external;
    function revoke(bytes32 root, bytes32 digest, bytes32[] calldata proof, uint16 reason) external;
    function supersede(
        bytes32 root,
        bytes32 digest,
        bytes32[] calldata proof,
        bytes32 successor,
        uint16 reason
    ) external;
    function revokeMultiple(
        bytes32 root,
        bytes32[] calldata digests,
        bytes32[] calldata proof,
        bool[] calldata proofFlags,
        uint16 reason
    ) external;
    function revokeBatch(bytes32 root, uint16 reason) external;

    // ----- views -----
    function authorityRegistry() external view returns (address);
    function batch(bytes32 root) external view returns (Batch memory);
    function isAnchored(bytes32 root) external view returns (bool);
    function statusOf(address agency, bytes32 digest) external view returns (StatusRecord memory);
    function certificateStatus(bytes32 root, bytes32 digest) external view returns (StatusRecord memory);
    function verifyInclusion(bytes32 root, bytes32 digest, bytes32[] calldata proof) external pure returns (bool);
    function leafOf(bytes32 digest) external pure returns (bytes32);
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title IAuthorityRegistry
 * @notice Issuing agencies, arranged as a tree under each province (province → city → district), the
 * certificate types each is granted, and their detached signing keys.
 *
 * Statuses and grants are kept as timestamped histories, so "was agency X allowed to issue type T at time
 * t" is a view ({canIssueAt}). An agency is effectively active only while it, every ancestor and its province
 * are active: suspending a parent suspends everything below it without touching the children's records.
 *
 * Signing keys belong to one agency: a key's id is `keccak256(abi.encodePacked(agency, algorithm, publicKey))`
 * ({keyIdOf}), so no agency can take another's id first or block its registration. Registering a key takes a
 * proof of possession: a signature by the new key over the message of {proofOfPossessionMessage}. The EVM
 * cannot check Ed25519 or SM2 signatures, so the registry checks the proof's shape and publishes it in
 * {SigningKeyAdded}; clients check it before registering and anyone can check it afterwards.
 *
 * The registry keeps a mirror of each province's membership ({provinceActiveEpoch}): the {Consortium} pushes
 * every change of a province's status to it ({provinceStatusChanged}) in the same call that makes the change,
 * and the registry then reads the province's new state from the consortium, so the mirror never disagrees
 * with it and an agency's rights are checked without asking the consortium.
 *
 * In turn the registry pushes every change of an agency's effective status to the {CertificateRegistry}
 * ({certificateRegistry}), which keeps its own mirror for anchoring.
 */
interface IAuthorityRegistry {
    enum AgencyStatus {
        None,
        Active,
        Suspended
    }

    /// Signature algorithm of a detached signing key.
    enum KeyAlgorithm {
        None,
        Ed25519,
        SM2
    }

    struct AgencyView {
        address account;
        address parent;
        uint32 province;
        uint32 region;
        uint8 depth;
        AgencyStatus status;
        bool effectivelyActive;
        string name;
        address[] children;
        bytes32[] certificateTypes;
    }

    struct SigningKey {
        address agency;
        KeyAlgorithm algorithm;
        uint48 validFrom;
        uint48 validUntil;
        bytes publicKey;
    }

    // ----- errors -----
    error AuthorityRegistryUnauthorized(address caller, address agency);
    error AuthorityRegistryUnauthorizedProvince(address caller, uint32 province);
    error AuthorityRegistryProvinceNotActive(uint32 province);
    error AuthorityRegistryUnknownAgency(address agency);
    error AuthorityRegistryAgencyExists(address agency);
    error AuthorityRegistryInvalidAgency(address agency);
    error AuthorityRegistryInvalidRegion(uint32 region, uint32 province);
    error AuthorityRegistryProvinceMismatch(address parent, uint32 province);
    error AuthorityRegistryTreeTooDeep(address parent, uint8 maxDepth);
    error AuthorityRegistryAgencyNotActive(address agency);
    error AuthorityRegistryAgencyNotSuspended(address agency);
    error AuthorityRegistryInvalidCertificateType(bytes32 certificateType);
    error AuthorityRegistryTypeAlreadyGranted(address agency, bytes32 certificateType);
    error AuthorityRegistryTypeNotGranted(address agency, bytes32 certificateType);
    error AuthorityRegistryInvalidKey(bytes32 keyId);
    error AuthorityRegistryKeyExists(bytes32 keyId);
    error AuthorityRegistryUnknownKey(bytes32 keyId);
    error AuthorityRegistryInvalidKeyWindow(uint48 validFrom, uint48 validUntil);
    error AuthorityRegistryStaleAgency(address agency, uint32 province);
    error AuthorityRegistryInvalidKeyProof(bytes32 keyId, uint256 length);
    error AuthorityRegistryTooManyChildren(address parent, uint256 children, uint256 maxChildren);
    error AuthorityRegistryOnlyConsortium(address caller);
    error AuthorityRegistryNotConsortiumMirror(address consortium, address registry);
    error AuthorityRegistryInvalidCertificateRegistry(address registry);

    // ----- events -----
    event AgencyRegistered(
        address indexed agency,
        uint32 indexed province,
        address indexed parent,
        uint32 region,
        string name
    );
    event AgencySuspended(address indexed agency, address indexed by, uint16 reason);
    event AgencyReinstated(address indexed agency, address indexed by);
    event CertificateTypeGranted(address indexed agency, bytes32 indexed certificateType, address indexed by);
    event CertificateTypeRevoked(address indexed agency, bytes32 indexed certificateType, address indexed by);
    event SigningKeyAdded(
        address indexed agency,
        bytes32 indexed keyId,
        KeyAlgorithm algorithm,
        uint48 validFrom,
        uint48 validUntil,
        bytes publicKey,
        bytes proofOfPossession
    );
    event SigningKeyRevoked(address indexed agency, bytes32 indexed keyId, uint48 validUntil);

    // ----- mutations -----
    function registerAgency(
        address agency,
        uint32 province,
        address parent,
        uint32 region,
        string calldata name
    ) external;
    function suspendAgency(address agency, uint16 reason) external;
    function reinstateAgency(address agency) external;
    function grantCertificateType(address agency, bytes32 certificateType) external;
    function revokeCertificateType(address agency, bytes32 certificateType) external;
    function addSigningKey(
        address agency,
        KeyAlgorithm algorithm,
        bytes calldata publicKey,
        uint48 validFrom,
        uint48 validUntil,
        bytes calldata proofOfPossession
    ) external returns (bytes32 keyId);
    function revokeSigningKey(bytes32 keyId) external;

    // ----- consortium-only (pushed by every change of a province's status) -----
    function provinceStatusChanged(uint32 code) external;

    // ----- views -----
    function consortium() external view returns (address);
    function certificateRegistry() external view returns (address);
    function maxDepth() external view returns (uint8);
    function maxChildren() external view returns (uint256);
    function provinceActiveEpoch(uint32 code) external view returns (uint32);
    function agency(address account) external view returns (AgencyView memory);
    function agencyStatus(address account) external view returns (AgencyStatus);
    function agencyProvince(address account) external view returns (uint32);
    function agencyCount() external view returns (uint256);
    function agencyAt(uint256 index) external view returns (address);
    function isActive(address account) external view returns (bool);
    function wasActiveAt(address account, uint48 timepoint) external view returns (bool);
    function isGranted(address account, bytes32 certificateType) external view returns (bool);
    function wasGrantedAt(address account, bytes32 certificateType, uint48 timepoint) external view returns (bool);
    function canIssueAt(address account, bytes32 certificateType, uint48 timepoint) external view returns (bool);
    function isAncestor(address ancestor, address account) external view returns (bool);
    function signingKey(bytes32 keyId) external view returns (SigningKey memory);
    function signingKeysOf(address account) external view returns (bytes32[] memory);
    function signingKeyRevokedAt(bytes32 keyId) external view returns (uint48);
    function keyIdOf(address account, KeyAlgorithm algorithm, bytes calldata publicKey) external pure returns (bytes32);
    function proofOfPossessionMessage(address account, bytes32 keyId) external view returns (bytes memory);
    function isKeyValidAt(address account, bytes32 keyId, uint48 timepoint) external view returns (bool);
    function canManageCertificatesOf(address caller, address account) external view returns (bool);
    function canConsortiumRevokeCertificatesOf(address account) external view returns (bool);
}

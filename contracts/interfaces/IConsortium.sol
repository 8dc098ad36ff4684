// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title IConsortium
 * @notice The provinces of the Hurong consortium, their admin accounts, and the m-of-n vote that governs them.
 *
 * Provinces are identified by their GB/T 2260 province-level code (for example `310000` for Shanghai).
 * Each active province has one vote. A proposal names a call (`target`, `data`); once the number of active
 * provinces that voted for it reaches the threshold, an admin of any active province may execute it before
 * it expires.
 */
interface IConsortium {
    /// Lifecycle of a province in the consortium.
    enum ProvinceStatus {
        None,
        Active,
        Suspended,
        Removed
    }

    /// Lifecycle of a proposal.
    enum ProposalState {
        None,
        Pending,
        Approved,
        Executed,
        Expired,
        Cancelled
    }

    /// A province as returned by {province}.
    struct ProvinceView {
        uint32 code;
        ProvinceStatus status;
        uint48 statusSince;
        uint32 epoch;
        string name;
        address[] admins;
    }

    /// A province of the bootstrap set passed to the constructor.
    struct InitialProvince {
        uint32 code;
        string name;
        address[] admins;
    }

    /// A proposal as returned by {proposal}.
    struct ProposalView {
        uint32 proposer;
        ProposalState state;
        uint48 createdAt;
        uint48 expiresAt;
        address target;
        bytes data;
        string description;
        uint32[] voters;
    }

    // ----- errors -----
    error ConsortiumInvalidProvinceCode(uint32 code);
    error ConsortiumProvinceExists(uint32 code);
    error ConsortiumUnknownProvince(uint32 code);
    error ConsortiumProvinceNotActive(uint32 code);
    error ConsortiumProvinceNotSuspended(uint32 code);
    error ConsortiumInvalidThreshold(uint256 threshold, uint256 activeProvinces);
    error ConsortiumNotProvinceAdmin(address account);
    error ConsortiumUnauthorizedAdmin(address account, uint32 code);
    error ConsortiumOnlyGovernance(address caller);
    error ConsortiumAdminAlreadyAssigned(address account, uint32 code);
    error ConsortiumNotAdminOfProvince(address account, uint32 code);
    error ConsortiumLastAdmin(uint32 code);
    error ConsortiumInvalidAdmin(address account);
    error ConsortiumLastActiveProvince(uint32 code);
    error ConsortiumUnknownProposal(uint256 proposalId);
    error ConsortiumProposalNotPending(uint256 proposalId, ProposalState state);
    error ConsortiumProposalExpired(uint256 proposalId, uint48 expiresAt);
    error ConsortiumInvalidExpiry(uint48 expiresAt);
    error ConsortiumInvalidTarget(address target);
    error ConsortiumAlreadyVoted(uint256 proposalId, uint32 province);
    error ConsortiumThresholdNotReached(uint256 proposalId, uint256 votes, uint256 threshold);
    error ConsortiumNotProposer(uint256 proposalId, uint32 province);
    error ConsortiumInvalidAuthorityRegistry(address registry);

    // ----- events -----
    event ProvinceAdmitted(uint32 indexed code, string name, address[] admins);
    event ProvinceSuspended(uint32 indexed code);
    event ProvinceReinstated(uint32 indexed code);
    event ProvinceRemoved(uint32 indexed code);
    event ProvinceAdminAdded(uint32 indexed code, address indexed account);
    event ProvinceAdminRemoved(uint32 indexed code, address indexed account);
    event ThresholdChanged(uint256 oldThreshold, uint256 newThreshold);
    event ProposalCreated(
        uint256 indexed proposalId,
        uint32 indexed proposer,
        address target,
        bytes data,
        uint48 expiresAt,
        string description
    );
    event VoteCast(uint256 indexed proposalId, uint32 indexed province, address voter);
    event ProposalExecuted(uint256 indexed proposalId, address indexed executor);
    event ProposalCancelled(uint256 indexed proposalId);

    // ----- governance-only (called through an executed proposal) -----
    function admitProvince(uint32 code, string calldata name, address[] calldata admins) external;
    function suspendProvince(uint32 code) external;
    function reinstateProvince(uint32 code) external;
    function removeProvince(uint32 code) external;
    function setThreshold(uint256 newThreshold) external;

    // ----- province self-administration -----
    function addProvinceAdmin(uint32 code, address account) external;
    function removeProvinceAdmin(uint32 code, address account) external;

    // ----- proposals -----
    function propose(
        address target,
        bytes calldata data,
        uint48 expiresAt,
        string calldata description
    ) external returns (uint256 proposalId);
    function vote(uint256 proposalId) external;
    function execute(uint256 proposalId) external returns (bytes memory result);
    function cancel(uint256 proposalId) external;

    // ----- views -----
    function authorityRegistry() external view returns (address);
    function threshold() external view returns (uint256);
    function configuredThreshold() external view returns (uint256);
    function activeProvinceCount() external view returns (uint256);
    function provinceCodes() external view returns (uint32[] memory);
    function province(uint32 code) external view returns (ProvinceView memory);
    function provinceStatus(uint32 code) external view returns (ProvinceStatus);
    function isProvinceActive(uint32 code) external view returns (bool);
    function wasProvinceActiveAt(uint32 code, uint48 timepoint) external view returns (bool);
    function provinceEpoch(uint32 code) external view returns (uint32 epoch, bool active);
    function provinceEpochAt(uint32 code, uint48 timepoint) external view returns (uint32);
    function provinceOfAdmin(address account) external view returns (uint32);
    function isProvinceAdmin(uint32 code, address account) external view returns (bool);
    function proposalCount() external view returns (uint256);
    function proposal(uint256 proposalId) external view returns (ProposalView memory);
    function proposalState(uint256 proposalId) external view returns (ProposalState);
    function proposalVotes(uint256 proposalId) external view returns (uint256);
    function hasVoted(uint256 proposalId, uint32 code) external view returns (bool);
}

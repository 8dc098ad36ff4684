// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";
import {IAuthorityRegistry} from "./interfaces/IAuthorityRegistry.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";

/**
 * @title Consortium
 * @notice The provinces of Hurong and their m-of-n governance.
 *
 * Every province-level change (admitting, suspending, reinstating or removing a province, changing the
 * threshold) is a governance-only function: it can only be reached through {execute} of a proposal that
 * enough active provinces voted for. A province manages its own admin accounts directly.
 *
 * The history of each province's status is kept as timestamped checkpoints so that
 * {wasProvinceActiveAt} can answer for any past time, which certificate verification needs. Each admission
 * of a province starts a new *epoch*: agencies registered in an earlier membership of a removed and later
 * re-admitted province do not come back to life with it ({provinceEpochAt}).
 *
 * Every change of a province's status is pushed, in the same call, to the {AuthorityRegistry} named at
 * deployment ({authorityRegistry}), which mirrors each province's current epoch while it is active: agencies'
 * rights are then checked without a call back to the consortium. The registry is deployed right after the
 * consortium (its address is known in advance) and copies the founding provinces when it is constructed; until
 * it exists, no province's status can change.
 *
 * The threshold is configured by vote; while fewer provinces are active than the configured number, the
 * effective threshold is the number of active provinces ({threshold}), and it returns to the configured
 * number when they are reinstated.
 */
contract Consortium is IConsortium {
    using Checkpoints for Checkpoints.Trace208;

    /// Longest time a proposal may stay open.
    uint48 public constant MAX_PROPOSAL_LIFETIME = 90 days;

    struct Province {
        ProvinceStatus status;
        uint48 statusSince;
        uint32 epoch;
        string name;
        address[] admins;
    }

    struct Proposal {
        uint32 proposer;
        bool executed;
        bool cancelled;
        uint48 createdAt;
        uint48 expiresAt;
        address target;
        bytes data;
        string description;
        uint32[] voters;
    }

    IAuthorityRegistry private immutable _authorityRegistry;

    uint256 private _threshold;
    uint256 private _activeCount;
    uint256 private _proposalCount;
    uint32[] private _codes;
    mapping(uint32 code => Province) private _provinces;
    mapping(uint32 code => Checkpoints.Trace208) private _activeHistory;
    mapping(address account => uint32 code) private _adminProvince;
    mapping(uint256 proposalId => Proposal) private _proposals;
    /// The membership epoch in which a province voted (0: not voted), so a re-admitted province votes anew.
    mapping(uint256 proposalId => mapping(uint32 code => uint32 epoch)) private _voted;

    modifier onlyGovernance() {
        if (msg.sender != address(this)) revert ConsortiumOnlyGovernance(msg.sender);
        _;
    }

    /**
     * @notice Bootstraps the consortium with its founding provinces and the initial vote threshold.
     * @dev Requirements: at least one province, valid distinct codes, distinct non-zero admins,
     * `1 <= initialThreshold <= provinces.length`; `authorityRegistry_` is non-zero: the address the
     * {AuthorityRegistry} of this consortium will be deployed at (it checks that it is the one named here).
     */
    constructor(InitialProvince[] memory provinces, uint256 initialThreshold, IAuthorityRegistry authorityRegistry_) {
        if (address(authorityRegistry_) == address(0)) revert ConsortiumInvalidAuthorityRegistry(address(0));
        _authorityRegistry = authorityRegistry_;
        for (uint256 i = 0; i < provinces.length; ++i) {
            _admit(provinces[i].code, provinces[i].name, provinces[i].admins);
        }
        _setThreshold(initialThreshold);
    }

    // ------------------------------------------------------------------ governance-only

    /**
     * @notice Admits a new province (or re-admits a removed one) with its admin accounts.
     * @dev Requirements: called through an executed proposal; `code` is a GB/T 2260 province-level code not
     * already a member; `admins` is non-empty, with no zero address and no account already an admin.
     * Emits a {ProvinceAdmitted} event.
     */
    function admitProvince(uint32 code, string calldata name, address[] calldata admins) external onlyGovernance {
        _admit(code, name, admins);
    }

    /**
     * @notice Suspends an active province: its admins and agencies can no longer act and it has no vote.
     * @dev Requirements: called through an executed proposal; the province is active and not the last active
     * one. The effective threshold never exceeds the number of active provinces. Emits {ProvinceSuspended}.
     */
    function suspendProvince(uint32 code) external onlyGovernance {
        Province storage p = _provinces[code];
        if (p.status != ProvinceStatus.Active) revert ConsortiumProvinceNotActive(code);
        _deactivate(code, p, ProvinceStatus.Suspended);
        emit ProvinceSuspended(code);
    }

    /**
     * @notice Reinstates a suspended province.
     * @dev Requirements: called through an executed proposal; the province is suspended.
     * Emits a {ProvinceReinstated} event.
     */
    function reinstateProvince(uint32 code) external onlyGovernance {
        Province storage p = _provinces[code];
        if (p.status != ProvinceStatus.Suspended) revert ConsortiumProvinceNotSuspended(code);
        _setStatus(code, p, ProvinceStatus.Active);
        ++_activeCount;
        emit ProvinceReinstated(code);
    }

    /**
     * @notice Removes a province from the consortium and releases its admin accounts.
     * @dev Requirements: called through an executed proposal; the province is active or suspended and, if
     * active, not the last active one. Emits a {ProvinceRemoved} event.
     */
    function removeProvince(uint32 code) external onlyGovernance {
        Province storage p = _provinces[code];
        if (p.status == ProvinceStatus.Active) {
            _deactivate(code, p, ProvinceStatus.Removed);
        } else if (p.status == ProvinceStatus.Suspended) {
            _setStatus(code, p, ProvinceStatus.Removed);
        } else {
            revert ConsortiumUnknownProvince(code);
        }
        address[] storage admins = p.admins;
        for (uint256 i = 0; i < admins.length; ++i) {
            delete _adminProvince[admins[i]];
            emit ProvinceAdminRemoved(code, admins[i]);
        }
        delete p.admins;
        emit ProvinceRemoved(code);
    }

    /**
     * @notice Changes the number of active provinces whose votes approve a proposal.
     * @dev Requirements: called through an executed proposal; `1 <= newThreshold <= activeProvinceCount()`.
     * While fewer provinces are active than `newThreshold`, {threshold} is their number.
     * Emits a {ThresholdChanged} event.
     */
    function setThreshold(uint256 newThreshold) external onlyGovernance {
        _setThreshold(newThreshold);
    }

    // ------------------------------------------------------------------ province self-administration

    /**
     * @notice Adds an admin account to a province.
     * @dev Requirements: the caller is an admin of `code` and the province is active (or the call comes
     * through governance); `account` is non-zero and not an admin of any province.
     * Emits a {ProvinceAdminAdded} event.
     */
    function addProvinceAdmin(uint32 code, address account) external {
        Province storage p = _requireAdminOf(code);
        _addAdmin(code, p, account);
    }

    /**
     * @notice Removes an admin account from a province.
     * @dev Requirements: the caller is an admin of `code` and the province is active (or the call comes
     * through governance); `account` is an admin of `code` and not its last one.
     * Emits a {ProvinceAdminRemoved} event.
     */
    function removeProvinceAdmin(uint32 code, address account) external {
        Province storage p = _requireAdminOf(code);
        if (_adminProvince[account] != code) revert ConsortiumNotAdminOfProvince(account, code);
        address[] storage admins = p.admins;
        uint256 n = admins.length;
        if (n == 1) revert ConsortiumLastAdmin(code);
        for (uint256 i = 0; i < n; ++i) {
            if (admins[i] == account) {
                admins[i] = admins[n - 1];
                admins.pop();
                break;
            }
        }
        delete _adminProvince[account];
        emit ProvinceAdminRemoved(code, account);
    }

    // ------------------------------------------------------------------ proposals

    /**
     * @notice Proposes a call for the consortium to vote on.
     * @dev Requirements: the caller is an admin of an active province; `target` is a contract;
     * `block.timestamp < expiresAt <= block.timestamp + MAX_PROPOSAL_LIFETIME`.
     * The proposer's vote is not cast automatically. Emits a {ProposalCreated} event.
     * @return proposalId the new proposal's id, counting from 1.
     */
    function propose(
        address target,
        bytes calldata data,
        uint48 expiresAt,
        string calldata description
    ) external returns (uint256 proposalId) {
        uint32 code = _requireActiveAdmin();
        if (target.code.length == 0) revert ConsortiumInvalidTarget(target);
        uint48 now_ = Time.timestamp();
        if (expiresAt <= now_ || expiresAt > now_ + MAX_PROPOSAL_LIFETIME) revert ConsortiumInvalidExpiry(expiresAt);
        proposalId = ++_proposalCount;
        Proposal storage pr = _proposals[proposalId];
        pr.proposer = code;
        pr.createdAt = now_;
        pr.expiresAt = expiresAt;
        pr.target = target;
        pr.data = data;
        pr.description = description;
        emit ProposalCreated(proposalId, code, target, data, expiresAt, description);
    }

    /**
     * @notice Casts the caller's province's vote for a proposal.
     * @dev Requirements: the caller is an admin of an active province; the proposal is open (not executed,
     * cancelled or expired); the province has not voted on it. Emits a {VoteCast} event.
     */
    function vote(uint256 proposalId) external {
        uint32 code = _requireActiveAdmin();
        Proposal storage pr = _openProposal(proposalId);
        uint32 epoch = _provinces[code].epoch;
        if (_voted[proposalId][code] == epoch) revert ConsortiumAlreadyVoted(proposalId, code);
        _voted[proposalId][code] = epoch;
        pr.voters.push(code);
        emit VoteCast(proposalId, code, msg.sender);
    }

    /**
     * @notice Executes an approved proposal: performs its call and bubbles up any revert of the target.
     * @dev Requirements: the caller is an admin of an active province; the proposal is open; the number of
     * provinces that voted for it and are still active is at least the threshold.
     * Emits a {ProposalExecuted} event.
     * @return result the data returned by the target.
     */
    function execute(uint256 proposalId) external returns (bytes memory result) {
        _requireActiveAdmin();
        Proposal storage pr = _openProposal(proposalId);
        uint256 votes = _countVotes(proposalId, pr);
        uint256 needed = _effectiveThreshold();
        if (votes < needed) revert ConsortiumThresholdNotReached(proposalId, votes, needed);
        pr.executed = true;
        emit ProposalExecuted(proposalId, msg.sender);
        result = Address.functionCall(pr.target, pr.data);
    }

    /**
     * @notice Withdraws a proposal.
     * @dev Requirements: the caller is an admin of the proposing province, which is active; the proposal is
     * open. Emits a {ProposalCancelled} event.
     */
    function cancel(uint256 proposalId) external {
        uint32 code = _requireActiveAdmin();
        Proposal storage pr = _openProposal(proposalId);
        if (pr.proposer != code) revert ConsortiumNotProposer(proposalId, code);
        pr.cancelled = true;
        emit ProposalCancelled(proposalId);
    }

    // ------------------------------------------------------------------ views

    /// @notice The {AuthorityRegistry} that mirrors the provinces' status, told of every change.
    function authorityRegistry() external view returns (address) {
        return address(_authorityRegistry);
    }

    /// @notice Number of votes of active provinces needed to execute a proposal now: the configured threshold,
    /// or the number of active provinces while that is lower.
    function threshold() external view returns (uint256) {
        return _effectiveThreshold();
    }

    /// @notice The threshold as last set by vote (or at deployment).
    function configuredThreshold() external view returns (uint256) {
        return _threshold;
    }

    /// @notice Number of provinces currently active.
    function activeProvinceCount() external view returns (uint256) {
        return _activeCount;
    }

    /// @notice Every province code ever admitted, in order of first admission.
    function provinceCodes() external view returns (uint32[] memory) {
        return _codes;
    }

    /// @notice A province's record. Reverts with {ConsortiumUnknownProvince} for a code never admitted.
    function province(uint32 code) external view returns (ProvinceView memory) {
        Province storage p = _provinces[code];
        if (p.status == ProvinceStatus.None) revert ConsortiumUnknownProvince(code);
        return ProvinceView(code, p.status, p.statusSince, p.epoch, p.name, p.admins);
    }

    /// @notice A province's current status (`None` for a code never admitted).
    function provinceStatus(uint32 code) external view returns (ProvinceStatus) {
        return _provinces[code].status;
    }

    /// @notice Whether a province is active now.
    function isProvinceActive(uint32 code) external view returns (bool) {
        return _provinces[code].status == ProvinceStatus.Active;
    }

    /// @notice Whether a province was active at `timepoint` (a block timestamp).
    function wasProvinceActiveAt(uint32 code, uint48 timepoint) external view returns (bool) {
        return _activeHistory[code].upperLookup(timepoint) != 0;
    }

    /// @notice The province's current membership epoch (1 from its first admission) and whether it is active.
    function provinceEpoch(uint32 code) external view returns (uint32 epoch, bool active) {
        Province storage p = _provinces[code];
        return (p.epoch, p.status == ProvinceStatus.Active);
    }

    /// @notice The epoch in which the province was active at `timepoint`, or 0 if it was not active then.
    function provinceEpochAt(uint32 code, uint48 timepoint) external view returns (uint32) {
        return uint32(_activeHistory[code].upperLookup(timepoint));
    }

    /// @notice The province an account administers, or 0.
    function provinceOfAdmin(address account) external view returns (uint32) {
        return _adminProvince[account];
    }

    /// @notice Whether `account` is an admin of province `code` (whatever the province's status).
    function isProvinceAdmin(uint32 code, address account) external view returns (bool) {
        return code != 0 && _adminProvince[account] == code;
    }

    /// @notice Number of proposals ever created (ids run from 1 to this number).
    function proposalCount() external view returns (uint256) {
        return _proposalCount;
    }

    /// @notice A proposal's record. Reverts with {ConsortiumUnknownProposal} for an unknown id.
    function proposal(uint256 proposalId) external view returns (ProposalView memory) {
        Proposal storage pr = _proposal(proposalId);
        return
            ProposalView(
                pr.proposer,
                _state(proposalId, pr),
                pr.createdAt,
                pr.expiresAt,
                pr.target,
                pr.data,
                pr.description,
                pr.voters
            );
    }

    /// @notice A proposal's state (`None` for an unknown id).
    function proposalState(uint256 proposalId) external view returns (ProposalState) {
        Proposal storage pr = _proposals[proposalId];
        if (pr.createdAt == 0) return ProposalState.None;
        return _state(proposalId, pr);
    }

    /// @notice Votes for a proposal that count now: those of provinces still active.
    function proposalVotes(uint256 proposalId) external view returns (uint256) {
        return _countVotes(proposalId, _proposal(proposalId));
    }

    /// @notice Whether province `code` voted for a proposal.
    function hasVoted(uint256 proposalId, uint32 code) external view returns (bool) {
        uint32 epoch = _voted[proposalId][code];
        return epoch != 0 && epoch == _provinces[code].epoch;
    }

    // ------------------------------------------------------------------ internals

    function _admit(uint32 code, string memory name, address[] memory admins) private {
        if (code < 110000 || code > 829999 || code % 10000 != 0) revert ConsortiumInvalidProvinceCode(code);
        Province storage p = _provinces[code];
        if (p.status == ProvinceStatus.None) {
            _codes.push(code);
        } else if (p.status != ProvinceStatus.Removed) {
            revert ConsortiumProvinceExists(code);
        }
        if (admins.length == 0) revert ConsortiumInvalidAdmin(address(0));
        p.name = name;
        if (p.epoch == type(uint16).max) revert ConsortiumProvinceExists(code); // agencies store a uint16 epoch
        ++p.epoch;
        _setStatus(code, p, ProvinceStatus.Active);
        ++_activeCount;
        emit ProvinceAdmitted(code, name, admins);
        for (uint256 i = 0; i < admins.length; ++i) {
            _addAdmin(code, p, admins[i]);
        }
    }

    function _addAdmin(uint32 code, Province storage p, address account) private {
        if (account == address(0)) revert ConsortiumInvalidAdmin(account);
        uint32 existing = _adminProvince[account];
        if (existing != 0) revert ConsortiumAdminAlreadyAssigned(account, existing);
        _adminProvince[account] = code;
        p.admins.push(account);
        emit ProvinceAdminAdded(code, account);
    }

    function _deactivate(uint32 code, Province storage p, ProvinceStatus to) private {
        if (_activeCount == 1) revert ConsortiumLastActiveProvince(code);
        _setStatus(code, p, to);
        --_activeCount;
    }

    function _effectiveThreshold() private view returns (uint256) {
        return _threshold < _activeCount ? _threshold : _activeCount;
    }

    /// Records the new status and tells the authority registry, which mirrors it, except while this contract is
    /// being constructed (the registry, deployed next, copies the founding provinces itself). Once constructed,
    /// a status change reverts while the registry is not deployed.
    function _setStatus(uint32 code, Province storage p, ProvinceStatus to) private {
        uint48 now_ = Time.timestamp();
        p.status = to;
        p.statusSince = now_;
        _activeHistory[code].push(now_, to == ProvinceStatus.Active ? p.epoch : 0);
        if (address(this).code.length != 0) _authorityRegistry.provinceStatusChanged(code);
    }

    function _setThreshold(uint256 newThreshold) private {
        if (newThreshold == 0 || newThreshold > _activeCount) {
            revert ConsortiumInvalidThreshold(newThreshold, _activeCount);
        }
        emit ThresholdChanged(_threshold, newThreshold);
        _threshold = newThreshold;
    }

    function _requireActiveAdmin() private view returns (uint32 code) {
        code = _adminProvince[msg.sender];
        if (code == 0) revert ConsortiumNotProvinceAdmin(msg.sender);
        if (_provinces[code].status != ProvinceStatus.Active) revert ConsortiumProvinceNotActive(code);
    }

    function _requireAdminOf(uint32 code) private view returns (Province storage p) {
        p = _provinces[code];
        if (msg.sender == address(this)) {
            if (p.status == ProvinceStatus.None || p.status == ProvinceStatus.Removed) {
                revert ConsortiumUnknownProvince(code);
            }
            return p;
        }
        if (code == 0 || _adminProvince[msg.sender] != code) revert ConsortiumUnauthorizedAdmin(msg.sender, code);
        if (p.status != ProvinceStatus.Active) revert ConsortiumProvinceNotActive(code);
    }

    function _proposal(uint256 proposalId) private view returns (Proposal storage pr) {
        pr = _proposals[proposalId];
        if (pr.createdAt == 0) revert ConsortiumUnknownProposal(proposalId);
    }

    function _openProposal(uint256 proposalId) private view returns (Proposal storage pr) {
        pr = _proposal(proposalId);
        ProposalState s = _state(proposalId, pr);
        if (s == ProposalState.Expired) revert ConsortiumProposalExpired(proposalId, pr.expiresAt);
        if (s != ProposalState.Pending && s != ProposalState.Approved) {
            revert ConsortiumProposalNotPending(proposalId, s);
        }
    }

    function _state(uint256 proposalId, Proposal storage pr) private view returns (ProposalState) {
        if (pr.executed) return ProposalState.Executed;
        if (pr.cancelled) return ProposalState.Cancelled;
        if (Time.timestamp() > pr.expiresAt) return ProposalState.Expired;
        if (_countVotes(proposalId, pr) >= _effectiveThreshold()) return ProposalState.Approved;
        return ProposalState.Pending;
    }

    function _countVotes(uint256 proposalId, Proposal storage pr) private view returns (uint256 votes) {
        uint32[] storage voters = pr.voters;
        for (uint256 i = 0; i < voters.length; ++i) {
            Province storage p = _provinces[voters[i]];
            if (p.status == ProvinceStatus.Active && _voted[proposalId][voters[i]] == p.epoch) ++votes;
        }
    }
}

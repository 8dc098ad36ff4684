// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";
import {IRecognitionRegistry} from "./interfaces/IRecognitionRegistry.sol";

/**
 * @title RecognitionRegistry
 * @notice Recognition rules of the consortium's provinces. Rules are never deleted: revoking one records the
 * time, so the question "was this accepted at time t" keeps its answer.
 */
contract RecognitionRegistry is IRecognitionRegistry {
    IConsortium private immutable _consortium;

    Rule[] private _rules;
    mapping(uint32 acceptingProvince => uint256[] ruleIds) private _byProvince;
    mapping(uint32 acceptingProvince => mapping(bytes32 certificateType => uint256[] ruleIds)) private _byType;

    /// @param consortium_ the {Consortium} whose province admins set rules.
    constructor(IConsortium consortium_) {
        _consortium = consortium_;
    }

    /**
     * @notice Sets a rule by which `acceptingProvince` recognises certificates of `certificateType`.
     * @dev `issuingProvince` 0 means any province, `serviceItem` 0 any service item, `effectiveFrom` 0 now and
     * `effectiveUntil` 0 no end. A rule cannot take effect in the past, so what was recognised at a given
     * time never changes afterwards. Requirements: the caller is an admin of `acceptingProvince`, which is
     * active; `issuingProvince` is 0 or a province known to the consortium; `certificateType` is non-zero;
     * `block.timestamp <= effectiveFrom < effectiveUntil`. Emits a {RecognitionRuleSet} event.
     * @return ruleId the new rule's id, counting from 1.
     */
    function setRule(
        uint32 acceptingProvince,
        uint32 issuingProvince,
        bytes32 certificateType,
        bytes32 serviceItem,
        uint48 effectiveFrom,
        uint48 effectiveUntil,
        string calldata legalBasis
    ) external returns (uint256 ruleId) {
        _requireAdmin(acceptingProvince);
        if (issuingProvince != 0 && _consortium.provinceStatus(issuingProvince) == IConsortium.ProvinceStatus.None) {
            revert RecognitionRegistryUnknownProvince(issuingProvince);
        }
        if (certificateType == bytes32(0)) revert RecognitionRegistryInvalidCertificateType(certificateType);
        uint48 now_ = Time.timestamp();
        if (effectiveFrom == 0) effectiveFrom = now_;
        if (effectiveUntil == 0) effectiveUntil = type(uint48).max;
        if (effectiveFrom < now_ || effectiveFrom >= effectiveUntil) {
            revert RecognitionRegistryInvalidWindow(effectiveFrom, effectiveUntil);
        }
        _rules.push(
            Rule(
                acceptingProvince,
                issuingProvince,
                certificateType,
                serviceItem,
                effectiveFrom,
                effectiveUntil,
                now_,
                0,
                legalBasis
            )
        );
        ruleId = _rules.length;
        _byProvince[acceptingProvince].push(ruleId);
        _byType[acceptingProvince][certificateType].push(ruleId);
        emit RecognitionRuleSet(
            ruleId,
            acceptingProvince,
            issuingProvince,
            certificateType,
            serviceItem,
            effectiveFrom,
            effectiveUntil,
            legalBasis
        );
    }

    /**
     * @notice Revokes a rule from now on.
     * @dev Requirements: the rule exists and is not revoked; the caller is an admin of its accepting province,
     * which is active. Emits a {RecognitionRuleRevoked} event.
     */
    function revokeRule(uint256 ruleId) external {
        Rule storage r = _rule(ruleId);
        _requireAdmin(r.acceptingProvince);
        if (r.revokedAt != 0) revert RecognitionRegistryRuleAlreadyRevoked(ruleId);
        r.revokedAt = Time.timestamp();
        emit RecognitionRuleRevoked(ruleId, r.acceptingProvince, msg.sender);
    }

    // ------------------------------------------------------------------ views

    /// @notice The {Consortium} whose province admins set rules.
    function consortium() external view returns (address) {
        return address(_consortium);
    }

    /// @notice Number of rules ever set (ids run from 1 to this number).
    function ruleCount() external view returns (uint256) {
        return _rules.length;
    }

    /// @notice A rule. Reverts with {RecognitionRegistryUnknownRule} for an unknown id.
    function rule(uint256 ruleId) external view returns (Rule memory) {
        return _rule(ruleId);
    }

    /// @notice Ids of every rule ever set by an accepting province.
    function rulesOf(uint32 acceptingProvince) external view returns (uint256[] memory) {
        return _byProvince[acceptingProvince];
    }

    /// @notice Whether a rule was in force at `timepoint`: inside its window and not yet revoked.
    function isInForce(uint256 ruleId, uint48 timepoint) public view returns (bool) {
        return _inForce(_rule(ruleId), timepoint);
    }

    /**
     * @notice Whether `acceptingProvince` accepted `certificateType` issued in `issuingProvince` for
     * `serviceItem` at `timepoint`, and the first rule in force that says so (0 if none).
     * @dev A `serviceItem` of 0 asks for a rule that covers every service item.
     */
    function accepts(
        uint32 acceptingProvince,
        uint32 issuingProvince,
        bytes32 certificateType,
        bytes32 serviceItem,
        uint48 timepoint
    ) external view returns (bool accepted, uint256 ruleId) {
        uint256[] storage ids = _byType[acceptingProvince][certificateType];
        for (uint256 i = 0; i < ids.length; ++i) {
            Rule storage r = _rules[ids[i] - 1];
            if (r.issuingProvince != 0 && r.issuingProvince != issuingProvince) continue;
            if (r.serviceItem != bytes32(0) && r.serviceItem != serviceItem) continue;
            if (_inForce(r, timepoint)) return (true, ids[i]);
        }
        return (false, 0);
    }

    // ------------------------------------------------------------------ internals

    function _rule(uint256 ruleId) private view returns (Rule storage) {
        if (ruleId == 0 || ruleId > _rules.length) revert RecognitionRegistryUnknownRule(ruleId);
        return _rules[ruleId - 1];
    }

    function _inForce(Rule storage r, uint48 timepoint) private view returns (bool) {
        return
            r.effectiveFrom <= timepoint &&
            timepoint < r.effectiveUntil &&
            (r.revokedAt == 0 || timepoint < r.revokedAt);
    }

    function _requireAdmin(uint32 province) private view {
        if (!_consortium.isProvinceAdmin(province, msg.sender)) {
            revert RecognitionRegistryUnauthorized(msg.sender, province);
        }
        if (!_consortium.isProvinceActive(province)) revert RecognitionRegistryProvinceNotActive(province);
    }
}

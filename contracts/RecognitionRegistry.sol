// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";
import {IRecognitionRegistry} from "./interfaces/IRecognitionRegistry.sol";

/**
 * @title RecognitionRegistry
 * @notice Recognition rules of the consortium's provinces. Rules are never deleted: revoking one records the
 * time, so the question "was this accepted at time t" keeps its answer.
 *
 * Lookups go through an index by key, `keccak256(abi.encode(acceptingProvince, certificateType,
 * issuingProvince, serviceItem))`: per key, the unrevoked rules in the order they were set (at most
 * {maxRulesPerKey}) and the revoked ones in the order they were revoked, that is by non-decreasing
 * `revokedAt`. A question about the present or the future reads the unrevoked rules only; one about the past
 * reads, beyond them, the rules revoked after that time, newest revocation first, and stops at the first
 * revoked before it.
 */
contract RecognitionRegistry is IRecognitionRegistry {
    uint256 private constant _MAX_RULES_PER_KEY = 16;

    IConsortium private immutable _consortium;

    Rule[] private _rules;
    mapping(uint32 acceptingProvince => uint256[] ruleIds) private _byProvince;
    mapping(bytes32 key => uint256[] ruleIds) private _unrevoked;
    mapping(bytes32 key => uint256[] ruleIds) private _revoked;

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
     * `block.timestamp <= effectiveFrom < effectiveUntil`; fewer than {maxRulesPerKey} unrevoked rules of the
     * same accepting province, type, issuing province and service item. Emits a {RecognitionRuleSet} event.
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
        uint256[] storage unrevoked = _unrevoked[
            _key(acceptingProvince, certificateType, issuingProvince, serviceItem)
        ];
        if (unrevoked.length >= _MAX_RULES_PER_KEY) {
            revert RecognitionRegistryTooManyRules(
                acceptingProvince,
                certificateType,
                issuingProvince,
                serviceItem,
                _MAX_RULES_PER_KEY
            );
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
        unrevoked.push(ruleId);
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
        bytes32 key = _key(r.acceptingProvince, r.certificateType, r.issuingProvince, r.serviceItem);
        _remove(_unrevoked[key], ruleId);
        _revoked[key].push(ruleId);
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

    /// @notice Most unrevoked rules one key (accepting province, type, issuing province, service item) may hold.
    function maxRulesPerKey() external pure returns (uint256) {
        return _MAX_RULES_PER_KEY;
    }

    /// @notice Ids of the unrevoked rules with exactly this key (0 meaning "any" for the issuing province and
    /// the service item, as in {setRule}), in the order they were set.
    function unrevokedRules(
        uint32 acceptingProvince,
        bytes32 certificateType,
        uint32 issuingProvince,
        bytes32 serviceItem
    ) external view returns (uint256[] memory) {
        return _unrevoked[_key(acceptingProvince, certificateType, issuingProvince, serviceItem)];
    }

    /// @notice Whether a rule was in force at `timepoint`: inside its window and not yet revoked.
    function isInForce(uint256 ruleId, uint48 timepoint) public view returns (bool) {
        return _inForce(_rule(ruleId), timepoint);
    }

    /**
     * @notice Whether `acceptingProvince` accepted `certificateType` issued in `issuingProvince` for
     * `serviceItem` at `timepoint`, and a rule in force that says so (0 if none).
     * @dev A `serviceItem` of 0 asks for a rule that covers every service item. The rule named is the first
     * found, most specific key first: the issuing province and the service item, the issuing province and any
     * item, any province and the item, any province and any item; within a key, unrevoked rules in the order
     * they were set, then rules revoked after `timepoint`, latest revocation first.
     */
    function accepts(
        uint32 acceptingProvince,
        uint32 issuingProvince,
        bytes32 certificateType,
        bytes32 serviceItem,
        uint48 timepoint
    ) external view returns (bool accepted, uint256 ruleId) {
        bool past = timepoint < block.timestamp;
        ruleId = _match(_key(acceptingProvince, certificateType, issuingProvince, serviceItem), timepoint, past);
        if (ruleId == 0 && serviceItem != bytes32(0)) {
            ruleId = _match(_key(acceptingProvince, certificateType, issuingProvince, bytes32(0)), timepoint, past);
        }
        if (ruleId == 0 && issuingProvince != 0) {
            ruleId = _match(_key(acceptingProvince, certificateType, 0, serviceItem), timepoint, past);
            if (ruleId == 0 && serviceItem != bytes32(0)) {
                ruleId = _match(_key(acceptingProvince, certificateType, 0, bytes32(0)), timepoint, past);
            }
        }
        accepted = ruleId != 0;
    }

    // ------------------------------------------------------------------ internals

    function _rule(uint256 ruleId) private view returns (Rule storage) {
        if (ruleId == 0 || ruleId > _rules.length) revert RecognitionRegistryUnknownRule(ruleId);
        return _rules[ruleId - 1];
    }

    function _key(
        uint32 acceptingProvince,
        bytes32 certificateType,
        uint32 issuingProvince,
        bytes32 serviceItem
    ) private pure returns (bytes32) {
        return keccak256(abi.encode(acceptingProvince, certificateType, issuingProvince, serviceItem));
    }

    /// The first rule of `key` in force at `timepoint`, or 0: unrevoked rules, then, if `past` (the timepoint
    /// is before this block, so a rule revoked since may have been in force), rules revoked after `timepoint`.
    function _match(bytes32 key, uint48 timepoint, bool past) private view returns (uint256) {
        uint256[] storage ids = _unrevoked[key];
        uint256 n = ids.length;
        for (uint256 i = 0; i < n; ++i) {
            uint256 id = ids[i];
            Rule storage r = _rules[id - 1];
            if (r.effectiveFrom <= timepoint && timepoint < r.effectiveUntil) return id;
        }
        if (!past) return 0;
        ids = _revoked[key];
        for (uint256 i = ids.length; i > 0; --i) {
            uint256 id = ids[i - 1];
            Rule storage r = _rules[id - 1];
            if (r.revokedAt <= timepoint) break; // every earlier one was revoked earlier still
            if (r.effectiveFrom <= timepoint && timepoint < r.effectiveUntil) return id;
        }
        return 0;
    }

    /// Removes `id` from `ids`, keeping the order of the others.
    function _remove(uint256[] storage ids, uint256 id) private {
        uint256 last = ids.length - 1;
        uint256 i = 0;
        while (ids[i] != id) ++i;
        for (; i < last; ++i) {
            ids[i] = ids[i + 1];
        }
        ids.pop();
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

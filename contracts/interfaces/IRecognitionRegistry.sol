// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title IRecognitionRegistry
 * @notice Machine-readable recognition rules: "province B accepts certificate type T issued in province A
 * for service item S, from date F until date U, on legal basis L".
 *
 * Rules are set and revoked by the accepting province's admins. A rule with `issuingProvince == 0` accepts
 * every issuing province; with `serviceItem == 0` every service item. A mutual agreement is two rules.
 *
 * Rules are indexed by their key (accepting province, certificate type, issuing province or any, service item
 * or any), and a key holds at most {maxRulesPerKey} unrevoked rules: {accepts} reads at most the four keys that
 * can match a question, and only their unrevoked rules when asked about the present or the future (rules
 * revoked since `timepoint` too when asked about the past), whatever other provinces, types and service items
 * have set.
 */
interface IRecognitionRegistry {
    struct Rule {
        uint32 acceptingProvince;
        uint32 issuingProvince;
        bytes32 certificateType;
        bytes32 serviceItem;
        uint48 effectiveFrom;
        uint48 effectiveUntil;
        uint48 createdAt;
        uint48 revokedAt;
        string legalBasis;
    }

    // ----- errors -----
    error RecognitionRegistryUnauthorized(address caller, uint32 province);
    error RecognitionRegistryProvinceNotActive(uint32 province);
    error RecognitionRegistryUnknownProvince(uint32 province);
    error RecognitionRegistryInvalidCertificateType(bytes32 certificateType);
    error RecognitionRegistryInvalidWindow(uint48 effectiveFrom, uint48 effectiveUntil);
    error RecognitionRegistryUnknownRule(uint256 ruleId);
    error RecognitionRegistryRuleAlreadyRevoked(uint256 ruleId);
    error RecognitionRegistryTooManyRules(
        uint32 acceptingProvince,
        bytes32 certificateType,
        uint32 issuingProvince,
        bytes32 serviceItem,
        uint256 maxRules
    );

    // ----- events -----
    event RecognitionRuleSet(
        uint256 indexed ruleId,
        uint32 indexed acceptingProvince,
        uint32 indexed issuingProvince,
        bytes32 certificateType,
        bytes32 serviceItem,
        uint48 effectiveFrom,
        uint48 effectiveUntil,
        string legalBasis
    );
    event RecognitionRuleRevoked(uint256 indexed ruleId, uint32 indexed acceptingProvince, address by);

    // ----- mutations -----
    function setRule(
        uint32 acceptingProvince,
        uint32 issuingProvince,
        bytes32 certificateType,
        bytes32 serviceItem,
        uint48 effectiveFrom,
        uint48 effectiveUntil,
        string calldata legalBasis
    ) external returns (uint256 ruleId);
    function revokeRule(uint256 ruleId) external;

    // ----- views -----
    function consortium() external view returns (address);
    function ruleCount() external view returns (uint256);
    function rule(uint256 ruleId) external view returns (Rule memory);
    function rulesOf(uint32 acceptingProvince) external view returns (uint256[] memory);
    function maxRulesPerKey() external view returns (uint256);
    function unrevokedRules(
        uint32 acceptingProvince,
        bytes32 certificateType,
        uint32 issuingProvince,
        bytes32 serviceItem
    ) external view returns (uint256[] memory);
    function isInForce(uint256 ruleId, uint48 timepoint) external view returns (bool);
    function accepts(
        uint32 acceptingProvince,
        uint32 issuingProvince,
        bytes32 certificateType,
        bytes32 serviceItem,
        uint48 timepoint
    ) external view returns (bool accepted, uint256 ruleId);
}

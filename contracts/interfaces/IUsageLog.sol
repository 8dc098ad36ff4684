// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title IUsageLog
 * @notice The tamper-evident log of the supervision usage records (用证记录): for each province and period (a
 * fixed interval of the consortium's choosing, counted from the Unix epoch), the Merkle root of the records the
 * province's service kept in that period. A root is anchored once per province and period and never changed,
 * so a record that was deleted or altered afterwards no longer proves against it.
 *
 * Leaves are `keccak256(bytes.concat(keccak256(abi.encode(digest))))` of each record's SHA-256 digest, as in
 * every tree of Hurong (OpenZeppelin's `StandardMerkleTree` over `bytes32`).
 */
interface IUsageLog {
    // ----- errors -----
    error UsageLogUnauthorized(address account, uint32 province);
    error UsageLogAlreadyAnchored(uint32 province, uint64 period, bytes32 root);
    error UsageLogEmptyAnchor(uint32 province, uint64 period, bytes32 root, uint32 count);

    // ----- events -----
    /// @notice `anchoredBy` anchored `root`, the Merkle root of `count` usage records of `province` in `period`.
    event UsageAnchored(
        uint32 indexed province,
        uint64 indexed period,
        bytes32 root,
        uint32 count,
        address indexed anchoredBy
    );

    // ----- mutating -----
    function anchor(uint32 province, uint64 period, bytes32 root, uint32 count) external;

    // ----- views -----
    function authorities() external view returns (address);
    function consortium() external view returns (address);
    function rootOf(uint32 province, uint64 period) external view returns (bytes32);
    function canAnchor(address account, uint32 province) external view returns (bool);
    function verify(uint32 province, uint64 period, bytes32 digest, bytes32[] calldata proof)
        external
        view
        returns (bool);
}

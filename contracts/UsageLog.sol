// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IAuthorityRegistry} from "./interfaces/IAuthorityRegistry.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";
import {IUsageLog} from "./interfaces/IUsageLog.sol";

/**
 * @title UsageLog
 * @notice Anchors, per province and period, the Merkle root of the usage records of the province's service.
 * One storage slot per anchor: the root; the record count and the anchoring account are in the event.
 */
contract UsageLog is IUsageLog {
    IAuthorityRegistry private immutable _authorities;
    IConsortium private immutable _consortium;

    mapping(bytes32 key => bytes32 root) private _roots;

    /// @param authorities_ the {AuthorityRegistry} whose agencies, and whose consortium's province admins, anchor.
    constructor(IAuthorityRegistry authorities_) {
        _authorities = authorities_;
        _consortium = IConsortium(authorities_.consortium());
    }

    /**
     * @notice Anchors `root`, the Merkle root of `count` usage records of `province` in `period`.
     * @dev Requirements: `province` is active and the caller is one of its admins or one of its agencies, active
     * with every ancestor; `root` is non-zero and `count` positive; nothing is anchored yet for `province` and
     * `period`. Emits a {UsageAnchored} event.
     */
    function anchor(uint32 province, uint64 period, bytes32 root, uint32 count) external {
        if (!canAnchor(msg.sender, province)) revert UsageLogUnauthorized(msg.sender, province);
        if (root == bytes32(0) || count == 0) revert UsageLogEmptyAnchor(province, period, root, count);
        bytes32 key = _key(province, period);
        bytes32 anchored = _roots[key];
        if (anchored != bytes32(0)) revert UsageLogAlreadyAnchored(province, period, anchored);
        _roots[key] = root;
        emit UsageAnchored(province, period, root, count, msg.sender);
    }

    /// @notice The {AuthorityRegistry} this log checks agencies against.
    function authorities() external view returns (address) {
        return address(_authorities);
    }

    /// @notice The {Consortium} this log checks province admins against.
    function consortium() external view returns (address) {
        return address(_consortium);
    }

    /// @notice The root anchored for `province` and `period`, zero if none.
    function rootOf(uint32 province, uint64 period) external view returns (bytes32) {
        return _roots[_key(province, period)];
    }

    /// @notice Whether `account` may anchor for `province` now: an admin of the active province, or one of its
    /// agencies that is active (with every ancestor).
    function canAnchor(address account, uint32 province) public view returns (bool) {
        if (!_consortium.isProvinceActive(province)) return false;
        if (_consortium.isProvinceAdmin(province, account)) return true;
        return _authorities.agencyProvince(account) == province && _authorities.isActive(account);
    }

    /// @notice Whether `proof` leads from the leaf of the record digest `digest` to the root anchored for
    /// `province` and `period` (false when none is anchored).
    function verify(uint32 province, uint64 period, bytes32 digest, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        bytes32 root = _roots[_key(province, period)];
        if (root == bytes32(0)) return false;
        return MerkleProof.verifyCalldata(proof, root, keccak256(bytes.concat(keccak256(abi.encode(digest)))));
    }

    function _key(uint32 province, uint64 period) private pure returns (bytes32) {
        return keccak256(abi.encode(province, period));
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title MerkleHelper
 * @notice Builds Merkle trees over certificate digests in the format the CertificateRegistry checks:
 * OpenZeppelin `StandardMerkleTree` leaves `keccak256(bytes.concat(keccak256(abi.encode(digest))))` and
 * sorted-pair hashing. Levels pair nodes left to right; an odd last node is carried up unchanged, so every
 * proof is accepted by `MerkleProof.verify`.
 */
library MerkleHelper {
    function leaf(bytes32 digest) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(digest))));
    }

    function hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }

    function leaves(bytes32[] memory digests) internal pure returns (bytes32[] memory nodes) {
        nodes = new bytes32[](digests.length);
        for (uint256 i = 0; i < digests.length; ++i) {
            nodes[i] = leaf(digests[i]);
        }
    }

    function root(bytes32[] memory digests) internal pure returns (bytes32) {
        require(digests.length > 0, "MerkleHelper: empty tree");
        bytes32[] memory level = leaves(digests);
        while (level.length > 1) {
            level = _up(level);
        }
        return level[0];
    }

    function proof(bytes32[] memory digests, uint256 index) internal pure returns (bytes32[] memory) {
        require(index < digests.length, "MerkleHelper: index out of range");
        bytes32[] memory level = leaves(digests);
        bytes32[] memory path = new bytes32[](256);
        uint256 length = 0;
        while (level.length > 1) {
            uint256 sibling = index ^ 1;
            if (sibling < level.length) path[length++] = level[sibling];
            level = _up(level);
            index /= 2;
        }
        bytes32[] memory result = new bytes32[](length);
        for (uint256 i = 0; i < length; ++i) {
            result[i] = path[i];
        }
        return result;
    }

    function _up(bytes32[] memory level) private pure returns (bytes32[] memory next) {
        next = new bytes32[]((level.length + 1) / 2);
        for (uint256 i = 0; i < next.length; ++i) {
            uint256 left = 2 * i;
            next[i] = left + 1 < level.length ? hashPair(level[left], level[left + 1]) : level[left];
        }
    }
}

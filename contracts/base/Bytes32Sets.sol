// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @dev A set of `bytes32` values with O(1) add, remove and membership, and the whole set as an array: the
 * `Bytes32Set` of OpenZeppelin's `EnumerableSet`, with the same storage layout (values, then 1-based positions).
 *
 * OpenZeppelin 5's `EnumerableSet` imports `Arrays`, whose assembly needs `mcopy` (Cancun); the contracts are
 * built for the `paris` EVM so that they run on validator networks without Cancun, hence this library.
 */
library Bytes32Sets {
    struct Set {
        bytes32[] _values;
        mapping(bytes32 value => uint256 position) _positions;
    }

    /// @dev Adds `value`; returns false when it was already present.
    function add(Set storage set, bytes32 value) internal returns (bool) {
        if (set._positions[value] != 0) return false;
        set._values.push(value);
        set._positions[value] = set._values.length;
        return true;
    }

    /// @dev Removes `value` (the last value takes its place); returns false when it was absent.
    function remove(Set storage set, bytes32 value) internal returns (bool) {
        uint256 position = set._positions[value];
        if (position == 0) return false;
        uint256 last = set._values.length - 1;
        if (position - 1 != last) {
            bytes32 moved = set._values[last];
            set._values[position - 1] = moved;
            set._positions[moved] = position;
        }
        set._values.pop();
        delete set._positions[value];
        return true;
    }

    /// @dev Whether `value` is in the set.
    function contains(Set storage set, bytes32 value) internal view returns (bool) {
        return set._positions[value] != 0;
    }

    /// @dev Every value, in storage order (which a removal changes).
    function values(Set storage set) internal view returns (bytes32[] memory) {
        return set._values;
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {Bytes32Sets} from "./base/Bytes32Sets.sol";
import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";
import {IAuthorityRegistry} from "./interfaces/IAuthorityRegistry.sol";
import {ICertificateRegistry} from "./interfaces/ICertificateRegistry.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";

/**
 * @title AuthorityRegistry
 * @notice Issuing agencies of the consortium's provinces, their grants of certificate types and their
 * detached signing keys.
 *
 * Grants are independent: revoking a type from an agency does not revoke it from the agencies it granted
 * the type to; a manager revokes each grant it wants gone.
 *
 * Management rights: a province admin (of an active province) manages every agency of the province; an
 * effectively active agency manages the agencies below it (it may register children, suspend and reinstate
 * descendants, and grant them only types it holds itself). An agency manages its own signing keys.
 *
 * The current membership of each province is mirrored here ({provinceActiveEpoch}), pushed by the consortium
 * with every change of a province's status ({provinceStatusChanged}), so checking an agency's rights (on every
 * anchoring) reads no other contract. The history used for past timepoints ({wasActiveAt}) stays the
 * consortium's.
 *
 * In turn, each agency's effective status ({isActive}) is mirrored into the {CertificateRegistry}
 * ({certificateRegistry}): every call that may change it (registering, suspending or reinstating an agency, a
 * change of its province's status) tells the certificate registry of each agency whose status changed
 * ({ICertificateRegistry-agencyStatusChanged}), so anchoring reads one slot of the certificate registry and
 * calls no other contract. Such a call costs gas in proportion to the agencies whose status it changes.
 *
 * Every list a view returns is bounded: an agency has at most {maxChildren} direct children and the tree is at
 * most {maxDepth} levels deep.
 */
contract AuthorityRegistry is IAuthorityRegistry {
    using Checkpoints for Checkpoints.Trace208;
    using Bytes32Sets for Bytes32Sets.Set;

    uint8 private constant _MAX_DEPTH = 4;
    uint256 private constant _MAX_CHILDREN = 256;

    /// Domain of the message a proof of possession signs ({proofOfPossessionMessage}); 32 bytes.
    bytes32 private constant _POSSESSION_DOMAIN = "hurong/signing-key-possession/v1";

    /// One slot: the fields read on every anchoring. `epoch` is the province's membership epoch at
    /// registration: an agency belongs to that membership only.
    struct Agency {
        address parent;
        uint32 province;
        uint32 region;
        uint8 depth;
        AgencyStatus status;
        uint16 epoch;
    }

    /// A signing key as stored: {SigningKey} plus the time it was revoked (0 if never), packed beside
    /// `validUntil`.
    struct Key {
        address agency;
        KeyAlgorithm algorithm;
        uint48 validFrom;
        uint48 validUntil;
        uint48 revokedAt;
        bytes publicKey;
    }

    IConsortium private immutable _consortium;
    ICertificateRegistry private immutable _certificates;

    /// Mirror of the consortium: a province's membership epoch while it is active, 0 while it is not.
    mapping(uint32 province => uint32 epoch) private _activeEpoch;
    address[] private _agencyList;
    mapping(address account => Agency) private _agencies;
    mapping(address account => string) private _names;
    mapping(address account => address[]) private _children;
    /// The agencies registered directly under each province (every membership), roots of its agency trees.
    mapping(uint32 province => address[]) private _topLevel;
    mapping(address account => Checkpoints.Trace208) private _statusHistory;
    mapping(address account => Bytes32Sets.Set) private _grantedTypes;
    mapping(address account => mapping(bytes32 certificateType => Checkpoints.Trace208)) private _grantHistory;
    mapping(bytes32 keyId => Key) private _keys;
    mapping(address account => bytes32[]) private _keysOf;

    /// @param consortium_ the {Consortium} whose provinces and admins this registry serves; it must name this
    /// registry as the one it tells of province changes ({IConsortium-authorityRegistry}). The provinces'
    /// current status is copied from it.
    /// @param certificates_ the {CertificateRegistry} told of every change of an agency's effective status: the
    /// contract deployed next, whose constructor checks that this registry names it. Non-zero.
    constructor(IConsortium consortium_, ICertificateRegistry certificates_) {
        if (consortium_.authorityRegistry() != address(this)) {
            revert AuthorityRegistryNotConsortiumMirror(address(consortium_), consortium_.authorityRegistry());
        }
        if (address(certificates_) == address(0)) revert AuthorityRegistryInvalidCertificateRegistry(address(0));
        _consortium = consortium_;
        _certificates = certificates_;
        uint32[] memory codes = consortium_.provinceCodes();
        for (uint256 i = 0; i < codes.length; ++i) {
            (uint32 epoch, bool active) = consortium_.provinceEpoch(codes[i]);
            _activeEpoch[codes[i]] = active ? epoch : 0;
        }
    }

    // ------------------------------------------------------------------ consortium-only

    /**
     * @notice Mirrors a change of a province's status: reads the province's state from the consortium and keeps
     * its membership epoch if it is active, 0 if it is suspended or removed. The state is read, not passed, so
     * that the mirror can only ever hold the consortium's answer, even for a call proposed by vote. The agencies
     * of the membership that stopped or started being active, and their active descendants, are then pushed to
     * the certificate registry ({ICertificateRegistry-agencyStatusChanged}).
     * @dev Requirements: called by the consortium (it calls this in every call that changes a province's status).
     */
    function provinceStatusChanged(uint32 code) external {
        if (msg.sender != address(_consortium)) revert AuthorityRegistryOnlyConsortium(msg.sender);
        (uint32 epoch, bool active) = _consortium.provinceEpoch(code);
        uint32 before = _activeEpoch[code];
        uint32 now_ = active ? epoch : 0;
        if (before == now_) return;
        _activeEpoch[code] = now_;
        address[] storage roots = _topLevel[code];
        uint256 n = roots.length;
        for (uint256 i = 0; i < n; ++i) {
            Agency storage a = _agencies[roots[i]];
            uint32 membership = a.epoch;
            if (a.status == AgencyStatus.Active && (membership == before || membership == now_)) {
                _pushSubtree(roots[i]);
            }
        }
    }

    // ------------------------------------------------------------------ agencies

    /**
     * @notice Registers an issuing agency under a province, or under a parent agency of the same province.
     * @dev Requirements:
     * - `agency` is non-zero and not registered; `region` is a GB/T 2260 code inside `province`;
     * - if `parent` is zero: the caller is an admin of `province`, which is active;
     * - otherwise `parent` is an agency of `province`, the tree stays within {maxDepth} levels, the caller is
     *   an admin of the active province or `parent` or one of its ancestors, effectively active, and `parent`
     *   has fewer than {maxChildren} direct children (suspended ones count: agencies are never deleted).
     * Emits an {AgencyRegistered} event.
     */
    function registerAgency(
        address agency_,
        uint32 province_,
        address parent,
        uint32 region,
        string calldata name
    ) external {
        if (agency_ == address(0)) revert AuthorityRegistryInvalidAgency(agency_);
        if (_agencies[agency_].status != AgencyStatus.None) revert AuthorityRegistryAgencyExists(agency_);
        uint8 depth = 1;
        if (parent == address(0)) {
            _requireProvinceAdmin(province_);
        } else {
            Agency storage p = _agencies[parent];
            if (p.status == AgencyStatus.None) revert AuthorityRegistryUnknownAgency(parent);
            if (p.province != province_) revert AuthorityRegistryProvinceMismatch(parent, province_);
            if (p.depth >= _MAX_DEPTH) revert AuthorityRegistryTreeTooDeep(parent, _MAX_DEPTH);
            depth = p.depth + 1;
            _requireManagerOf(parent, true);
            uint256 siblings = _children[parent].length;
            if (siblings >= _MAX_CHILDREN) revert AuthorityRegistryTooManyChildren(parent, siblings, _MAX_CHILDREN);
        }
        if (region / 10000 != province_ / 10000 || region < 110000 || region > 829999) {
            revert AuthorityRegistryInvalidRegion(region, province_);
        }
        // The province is active here (checked by the admin or manager check above).
        _agencies[agency_] = Agency(parent, province_, region, depth, AgencyStatus.Active, uint16(_activeEpoch[province_]));
        _names[agency_] = name;
        _agencyList.push(agency_);
        if (parent != address(0)) _children[parent].push(agency_);
        else _topLevel[province_].push(agency_);
        _statusHistory[agency_].push(Time.timestamp(), 1);
        if (_isActive(agency_)) _certificates.agencyStatusChanged(agency_);
        emit AgencyRegistered(agency_, province_, parent, region, name);
    }

    /**
     * @notice Suspends an agency, and with it every agency below it.
     * @dev Requirements: the agency is active; the caller is an admin of its active province or an effectively
     * active ancestor. Emits an {AgencySuspended} event.
     */
    function suspendAgency(address agency_, uint16 reason) external {
        (Agency storage a, ) = _requireManagerOf(agency_, false);
        if (a.status != AgencyStatus.Active) revert AuthorityRegistryAgencyNotActive(agency_);
        bool wasActive = _isActive(agency_);
        a.status = AgencyStatus.Suspended;
        _statusHistory[agency_].push(Time.timestamp(), 0);
        if (wasActive) _pushSubtree(agency_);
        emit AgencySuspended(agency_, msg.sender, reason);
    }

    /**
     * @notice Re-enables a suspended agency.
     * @dev Requirements: the agency is suspended; the caller is an admin of its active province or an
     * effectively active ancestor. Emits an {AgencyReinstated} event.
     */
    function reinstateAgency(address agency_) external {
        (Agency storage a, ) = _requireManagerOf(agency_, false);
        if (a.status != AgencyStatus.Suspended) revert AuthorityRegistryAgencyNotSuspended(agency_);
        a.status = AgencyStatus.Active;
        _statusHistory[agency_].push(Time.timestamp(), 1);
        if (_isActive(agency_)) _pushSubtree(agency_);
        emit AgencyReinstated(agency_, msg.sender);
    }

    /**
     * @notice Grants an agency a certificate type it may issue from now on.
     * @dev Requirements: `certificateType` is non-zero and not already granted; the caller is an admin of the
     * agency's active province, or an effectively active ancestor that itself holds the type.
     * Emits a {CertificateTypeGranted} event.
     */
    function grantCertificateType(address agency_, bytes32 certificateType) external {
        (, bool asAdmin) = _requireManagerOf(agency_, false);
        if (certificateType == bytes32(0)) revert AuthorityRegistryInvalidCertificateType(certificateType);
        if (!asAdmin && !_grantedTypes[msg.sender].contains(certificateType)) {
            revert AuthorityRegistryTypeNotGranted(msg.sender, certificateType);
        }
        if (!_grantedTypes[agency_].add(certificateType)) {
            revert AuthorityRegistryTypeAlreadyGranted(agency_, certificateType);
        }
        _grantHistory[agency_][certificateType].push(Time.timestamp(), 1);
        emit CertificateTypeGranted(agency_, certificateType, msg.sender);
    }

    /**
     * @notice Withdraws a certificate type from an agency. Certificates anchored before stay valid.
     * @dev Requirements: the type is granted; the caller is an admin of the agency's active province or an
     * effectively active ancestor. Emits a {CertificateTypeRevoked} event.
     */
    function revokeCertificateType(address agency_, bytes32 certificateType) external {
        _requireManagerOf(agency_, false);
        if (!_grantedTypes[agency_].remove(certificateType)) {
            revert AuthorityRegistryTypeNotGranted(agency_, certificateType);
        }
        _grantHistory[agency_][certificateType].push(Time.timestamp(), 0);
        emit CertificateTypeRevoked(agency_, certificateType, msg.sender);
    }

    // ------------------------------------------------------------------ signing keys

    /**
     * @notice Registers a detached signing key of an agency, valid in a time window.
     * @dev The key's id is {keyIdOf}: `keccak256(abi.encodePacked(agency, algorithm, publicKey))`, an SM2 key
     * taken in its 64-byte `x || y` form (a 65-byte key with the `0x04` prefix is stored without it), so ids
     * are per agency. `proofOfPossession` is the new key's signature over {proofOfPossessionMessage} of the
     * agency and the id: 64 bytes `R || S` for Ed25519, a DER `SEQUENCE { r, s }` for SM2 (SM3, default signer
     * id). The registry cannot verify it (the EVM has no Ed25519 or SM2): it checks the shape and publishes it
     * in the event, and clients refuse to register a key without a valid one. A `validFrom` of 0 means now; a
     * `validUntil` of 0 means no end. Windows cannot start in the past, so the history of which keys were valid
     * never changes.
     * Requirements: the caller is the agency itself (effectively active) or an admin of its active province;
     * the key is 32 bytes for Ed25519, 64 or 65 for SM2, and not registered for this agency; the proof has
     * the shape of a signature of the algorithm; `block.timestamp <= validFrom < validUntil`.
     * Emits a {SigningKeyAdded} event.
     * @return keyId the key's identifier.
     */
    function addSigningKey(
        address agency_,
        KeyAlgorithm algorithm,
        bytes calldata publicKey,
        uint48 validFrom,
        uint48 validUntil,
        bytes calldata proofOfPossession
    ) external returns (bytes32 keyId) {
        _requireSelfOrAdmin(agency_);
        (bool lengthOk, bytes calldata key) = _normalizedKey(algorithm, publicKey);
        keyId = keccak256(abi.encodePacked(agency_, algorithm, key));
        if (!lengthOk) revert AuthorityRegistryInvalidKey(keyId);
        if (_keys[keyId].agency != address(0)) revert AuthorityRegistryKeyExists(keyId);
        if (!_proofShapeOk(algorithm, proofOfPossession)) {
            revert AuthorityRegistryInvalidKeyProof(keyId, proofOfPossession.length);
        }
        uint48 now_ = Time.timestamp();
        if (validFrom == 0) validFrom = now_;
        if (validUntil == 0) validUntil = type(uint48).max;
        if (validFrom < now_ || validFrom >= validUntil) revert AuthorityRegistryInvalidKeyWindow(validFrom, validUntil);
        _keys[keyId] = Key(agency_, algorithm, validFrom, validUntil, 0, key);
        _keysOf[agency_].push(keyId);
        emit SigningKeyAdded(agency_, keyId, algorithm, validFrom, validUntil, key, proofOfPossession);
    }

    /**
     * @notice Ends a signing key's validity now. Signatures made inside its earlier window stay valid.
     * @dev Requirements: the key is registered and still valid or not yet valid; the caller is its agency
     * (effectively active) or an admin of the agency's active province. Emits a {SigningKeyRevoked} event.
     */
    function revokeSigningKey(bytes32 keyId) external {
        Key storage k = _keys[keyId];
        if (k.agency == address(0)) revert AuthorityRegistryUnknownKey(keyId);
        _requireSelfOrAdmin(k.agency);
        uint48 now_ = Time.timestamp();
        if (k.validUntil <= now_) revert AuthorityRegistryInvalidKeyWindow(k.validFrom, k.validUntil);
        k.validUntil = now_;
        k.revokedAt = now_;
        emit SigningKeyRevoked(k.agency, keyId, now_);
    }

    // ------------------------------------------------------------------ views

    /// @notice The {Consortium} this registry serves.
    function consortium() external view returns (address) {
        return address(_consortium);
    }

    /// @notice The {CertificateRegistry} this registry tells of every change of an agency's effective status.
    function certificateRegistry() external view returns (address) {
        return address(_certificates);
    }

    /// @notice Deepest level of the agency tree (1 = directly under the province).
    function maxDepth() external pure returns (uint8) {
        return _MAX_DEPTH;
    }

    /// @notice Most direct children an agency may have.
    function maxChildren() external pure returns (uint256) {
        return _MAX_CHILDREN;
    }

    /// @notice The mirrored membership epoch of a province while it is active; 0 while it is suspended or removed
    /// (or was never admitted). Always equal to the consortium's {IConsortium-provinceEpoch} of an active province.
    function provinceActiveEpoch(uint32 code) external view returns (uint32) {
        return _activeEpoch[code];
    }

    /// @notice An agency's full record. Reverts with {AuthorityRegistryUnknownAgency} for an unknown account.
    function agency(address account) external view returns (AgencyView memory) {
        Agency storage a = _agencies[account];
        if (a.status == AgencyStatus.None) revert AuthorityRegistryUnknownAgency(account);
        return
            AgencyView(
                account,
                a.parent,
                a.province,
                a.region,
                a.depth,
                a.status,
                _isActive(account),
                _names[account],
                _children[account],
                _grantedTypes[account].values()
            );
    }

    /// @notice An agency's own status (`None` for an unknown account), ignoring its ancestors.
    function agencyStatus(address account) external view returns (AgencyStatus) {
        return _agencies[account].status;
    }

    /// @notice The province of an agency, or 0 for an unknown account.
    function agencyProvince(address account) external view returns (uint32) {
        return _agencies[account].province;
    }

    /// @notice Number of agencies ever registered.
    function agencyCount() external view returns (uint256) {
        return _agencyList.length;
    }

    /// @notice The agency registered `index`-th (from 0).
    function agencyAt(uint256 index) external view returns (address) {
        return _agencyList[index];
    }

    /// @notice Whether the agency, every ancestor and its province are active now.
    function isActive(address account) external view returns (bool) {
        return _isActive(account);
    }

    /// @notice Whether the agency, every ancestor and its province were active at `timepoint`.
    function wasActiveAt(address account, uint48 timepoint) public view returns (bool) {
        Agency storage a = _agencies[account];
        uint32 province_ = a.province;
        if (province_ == 0) return false;
        address cursor = account;
        while (cursor != address(0)) {
            if (_statusHistory[cursor].upperLookup(timepoint) != 1) return false;
            cursor = _agencies[cursor].parent;
        }
        return _consortium.provinceEpochAt(province_, timepoint) == a.epoch;
    }

    /// @notice Whether the agency holds a grant of `certificateType` now.
    function isGranted(address account, bytes32 certificateType) external view returns (bool) {
        return _grantedTypes[account].contains(certificateType);
    }

    /// @notice Whether the agency held a grant of `certificateType` at `timepoint`.
    function wasGrantedAt(address account, bytes32 certificateType, uint48 timepoint) public view returns (bool) {
        return _grantHistory[account][certificateType].upperLookup(timepoint) == 1;
    }

    /// @notice Whether the agency could issue `certificateType` at `timepoint`: granted, and effectively active.
    function canIssueAt(address account, bytes32 certificateType, uint48 timepoint) external view returns (bool) {
        return wasGrantedAt(account, certificateType, timepoint) && wasActiveAt(account, timepoint);
    }

    /// @notice Whether `ancestor` is a strict ancestor of `account` in the agency tree.
    function isAncestor(address ancestor, address account) public view returns (bool) {
        if (ancestor == address(0)) return false;
        address cursor = _agencies[account].parent;
        while (cursor != address(0)) {
            if (cursor == ancestor) return true;
            cursor = _agencies[cursor].parent;
        }
        return false;
    }

    /// @notice A signing key. Reverts with {AuthorityRegistryUnknownKey} for an unknown id.
    function signingKey(bytes32 keyId) external view returns (SigningKey memory) {
        Key storage k = _keys[keyId];
        if (k.agency == address(0)) revert AuthorityRegistryUnknownKey(keyId);
        return SigningKey(k.agency, k.algorithm, k.validFrom, k.validUntil, k.publicKey);
    }

    /// @notice Ids of every signing key ever registered for an agency.
    function signingKeysOf(address account) external view returns (bytes32[] memory) {
        return _keysOf[account];
    }

    /// @notice When a signing key was revoked ({revokeSigningKey}), or 0 if it never was: a key whose window
    /// simply ended reads 0. Reverts with {AuthorityRegistryUnknownKey} for an unknown id.
    function signingKeyRevokedAt(bytes32 keyId) external view returns (uint48) {
        Key storage k = _keys[keyId];
        if (k.agency == address(0)) revert AuthorityRegistryUnknownKey(keyId);
        return k.revokedAt;
    }

    /**
     * @notice The id a key gets when registered for `account`: `keccak256(abi.encodePacked(account, algorithm,
     * publicKey))`, an SM2 key taken without the `0x04` prefix of its 65-byte form.
     * @dev Reverts with {AuthorityRegistryInvalidKey} for a key of the wrong length for its algorithm.
     */
    function keyIdOf(
        address account,
        KeyAlgorithm algorithm,
        bytes calldata publicKey
    ) external pure returns (bytes32) {
        (bool lengthOk, bytes calldata key) = _normalizedKey(algorithm, publicKey);
        bytes32 keyId = keccak256(abi.encodePacked(account, algorithm, key));
        if (!lengthOk) revert AuthorityRegistryInvalidKey(keyId);
        return keyId;
    }

    /**
     * @notice The message a proof of possession of key `keyId` of `account` signs, 136 bytes:
     * `"hurong/signing-key-possession/v1" || uint256(chainId) || registry || account || keyId` (addresses as
     * 20 bytes), binding the proof to this chain, this registry, the agency and the key.
     */
    function proofOfPossessionMessage(address account, bytes32 keyId) external view returns (bytes memory) {
        return abi.encodePacked(_POSSESSION_DOMAIN, block.chainid, address(this), account, keyId);
    }

    /// @notice Whether `keyId` belongs to the agency and was inside its validity window at `timepoint`.
    function isKeyValidAt(address account, bytes32 keyId, uint48 timepoint) external view returns (bool) {
        Key storage k = _keys[keyId];
        return k.agency == account && account != address(0) && k.validFrom <= timepoint && timepoint < k.validUntil;
    }

    /**
     * @notice Whether `caller` may change the status of certificates anchored by `account`: the agency itself
     * while effectively active, or an admin of its province while the province is active.
     */
    function canManageCertificatesOf(address caller, address account) external view returns (bool) {
        if (caller == account) return _isActive(account);
        Agency storage a = _agencies[account];
        uint32 province_ = a.province;
        if (province_ == 0 || _activeEpoch[province_] != a.epoch) return false;
        return _consortium.isProvinceAdmin(province_, caller);
    }

    /**
     * @notice Whether the consortium, by an executed vote, may revoke certificates anchored by `account`: the
     * agency is registered and no one of its province can act for it any more, because the province is
     * suspended or removed or the agency belongs to an earlier membership of it.
     */
    function canConsortiumRevokeCertificatesOf(address account) external view returns (bool) {
        Agency storage a = _agencies[account];
        uint32 province_ = a.province;
        return province_ != 0 && _activeEpoch[province_] != a.epoch;
    }

    // ------------------------------------------------------------------ internals

    /// Whether `publicKey` has a valid length for `algorithm`, and the key as stored (an SM2 key without the
    /// `0x04` prefix of its 65-byte form).
    function _normalizedKey(
        KeyAlgorithm algorithm,
        bytes calldata publicKey
    ) private pure returns (bool lengthOk, bytes calldata key) {
        uint256 len = publicKey.length;
        lengthOk =
            (algorithm == KeyAlgorithm.Ed25519 && len == 32) ||
            (algorithm == KeyAlgorithm.SM2 && (len == 64 || (len == 65 && publicKey[0] == 0x04)));
        key = lengthOk && len == 65 ? publicKey[1:] : publicKey;
    }

    /// Whether `proof` has the shape of a signature of `algorithm`: 64 bytes for Ed25519; for SM2 a DER
    /// `SEQUENCE` of 8 to 72 bytes whose length byte matches.
    function _proofShapeOk(KeyAlgorithm algorithm, bytes calldata proof) private pure returns (bool) {
        uint256 len = proof.length;
        if (algorithm == KeyAlgorithm.Ed25519) return len == 64;
        return len >= 8 && len <= 72 && proof[0] == 0x30 && uint8(proof[1]) == len - 2;
    }

    /// Tells the certificate registry of `agency_` and of every descendant whose own status is active: the
    /// agencies whose effective status follows `agency_`'s (below a suspended one, nothing changes).
    /// Recursion is at most {maxDepth} deep.
    function _pushSubtree(address agency_) private {
        _certificates.agencyStatusChanged(agency_);
        address[] storage children = _children[agency_];
        uint256 n = children.length;
        for (uint256 i = 0; i < n; ++i) {
            address child = children[i];
            if (_agencies[child].status == AgencyStatus.Active) _pushSubtree(child);
        }
    }

    function _isActive(address account) private view returns (bool) {
        Agency storage a = _agencies[account];
        uint32 province_ = a.province;
        if (province_ == 0) return false;
        uint16 epoch = a.epoch;
        while (true) {
            if (a.status != AgencyStatus.Active) return false;
            address parent = a.parent;
            if (parent == address(0)) break;
            a = _agencies[parent];
        }
        return _activeEpoch[province_] == epoch;
    }

    function _requireProvinceAdmin(uint32 province_) private view {
        if (!_consortium.isProvinceAdmin(province_, msg.sender)) {
            revert AuthorityRegistryUnauthorizedProvince(msg.sender, province_);
        }
        if (_activeEpoch[province_] == 0) revert AuthorityRegistryProvinceNotActive(province_);
    }

    /// Caller is an admin of the agency's active province, or an effectively active ancestor
    /// (or, when `inclusive`, the agency itself). `asAdmin` tells which.
    function _requireManagerOf(
        address agency_,
        bool inclusive
    ) private view returns (Agency storage a, bool asAdmin) {
        a = _agencies[agency_];
        uint32 province_ = a.province;
        if (province_ == 0) revert AuthorityRegistryUnknownAgency(agency_);
        if (_consortium.isProvinceAdmin(province_, msg.sender)) {
            _requireCurrentMembership(a, agency_);
            return (a, true);
        }
        bool related = (inclusive && msg.sender == agency_) || isAncestor(msg.sender, agency_);
        if (!related || !_isActive(msg.sender)) revert AuthorityRegistryUnauthorized(msg.sender, agency_);
    }

    function _requireSelfOrAdmin(address agency_) private view {
        uint32 province_ = _agencies[agency_].province;
        if (province_ == 0) revert AuthorityRegistryUnknownAgency(agency_);
        if (msg.sender == agency_) {
            if (!_isActive(agency_)) revert AuthorityRegistryAgencyNotActive(agency_);
            return;
        }
        if (!_consortium.isProvinceAdmin(province_, msg.sender)) {
            revert AuthorityRegistryUnauthorized(msg.sender, agency_);
        }
        _requireCurrentMembership(_agencies[agency_], agency_);
    }

    /// The agency's province is active and the agency belongs to its current membership.
    function _requireCurrentMembership(Agency storage a, address agency_) private view {
        uint32 epoch = _activeEpoch[a.province];
        if (epoch == 0) revert AuthorityRegistryProvinceNotActive(a.province);
        if (epoch != a.epoch) revert AuthorityRegistryStaleAgency(agency_, a.province);
    }
}

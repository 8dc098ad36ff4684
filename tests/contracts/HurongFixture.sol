// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {Consortium} from "../../contracts/Consortium.sol";
import {AuthorityRegistry} from "../../contracts/AuthorityRegistry.sol";
import {CertificateRegistry} from "../../contracts/CertificateRegistry.sol";
import {RecognitionRegistry} from "../../contracts/RecognitionRegistry.sol";
import {IConsortium} from "../../contracts/interfaces/IConsortium.sol";
import {IAuthorityRegistry} from "../../contracts/interfaces/IAuthorityRegistry.sol";
import {ICertificateRegistry} from "../../contracts/interfaces/ICertificateRegistry.sol";

/**
 * @title HurongFixture
 * @notice Shared fixture of the contract tests: a consortium of 上海市, 浙江省 and 广东省 (one admin each,
 * threshold 2), the three registries wired to it, an optional agency tree, and helpers that run a
 * governance proposal through propose / vote / execute.
 */
abstract contract HurongFixture is Test {
    uint32 internal constant SH = 310000; // 上海市
    uint32 internal constant ZJ = 330000; // 浙江省
    uint32 internal constant GD = 440000; // 广东省
    uint32 internal constant JS = 320000; // 江苏省, not a founding member

    uint48 internal constant START = 1_767_225_600; // 2026-01-01T00:00:00Z
    uint48 internal constant VOTING_PERIOD = 7 days;

    bytes32 internal constant HOUSEHOLD = keccak256("hurong.type.household-register");
    bytes32 internal constant BUSINESS_LICENCE = keccak256("hurong.type.business-licence");
    bytes32 internal constant DRIVING_LICENCE = keccak256("hurong.type.driving-licence");

    Consortium internal consortium;
    AuthorityRegistry internal authorities;
    CertificateRegistry internal certificates;
    RecognitionRegistry internal recognition;

    address internal shAdmin;
    address internal zjAdmin;
    address internal gdAdmin;
    address internal jsAdmin;
    address internal outsider;

    // Agency tree registered by {_registerAgencies}:
    // 上海 → shCity (310100) → shDistrict (310115) → shStreet (310115); 浙江 → zjCity; 广东 → gdCity.
    address internal shCity;
    address internal shDistrict;
    address internal shStreet;
    address internal zjCity;
    address internal gdCity;

    uint32[] internal founders;

    function setUp() public virtual {
        vm.warp(START);
        shAdmin = makeAddr("shAdmin");
        zjAdmin = makeAddr("zjAdmin");
        gdAdmin = makeAddr("gdAdmin");
        jsAdmin = makeAddr("jsAdmin");
        outsider = makeAddr("outsider");
        shCity = makeAddr("shCity");
        shDistrict = makeAddr("shDistrict");
        shStreet = makeAddr("shStreet");
        zjCity = makeAddr("zjCity");
        gdCity = makeAddr("gdCity");
        founders.push(SH);
        founders.push(ZJ);
        founders.push(GD);

        consortium = new Consortium(_initialProvinces(), 2, _nextRegistry());
        authorities = new AuthorityRegistry(consortium, _nextCertificates());
        certificates = new CertificateRegistry(authorities);
        recognition = new RecognitionRegistry(consortium);
    }

    // ------------------------------------------------------------------ consortium

    /// Where the next contract but one this fixture creates will be: the {AuthorityRegistry} deployed right
    /// after the {Consortium} that names it.
    function _nextRegistry() internal view returns (IAuthorityRegistry) {
        return IAuthorityRegistry(vm.computeCreateAddress(address(this), vm.getNonce(address(this)) + 1));
    }

    /// Where the contract after the next one this fixture creates will be: the {CertificateRegistry} deployed
    /// right after the {AuthorityRegistry} that names it.
    function _nextCertificates() internal view returns (ICertificateRegistry) {
        return ICertificateRegistry(vm.computeCreateAddress(address(this), vm.getNonce(address(this)) + 1));
    }

    function _initialProvinces() internal view returns (IConsortium.InitialProvince[] memory provinces) {
        provinces = new IConsortium.InitialProvince[](3);
        provinces[0] = IConsortium.InitialProvince(SH, unicode"上海市", _one(shAdmin));
        provinces[1] = IConsortium.InitialProvince(ZJ, unicode"浙江省", _one(zjAdmin));
        provinces[2] = IConsortium.InitialProvince(GD, unicode"广东省", _one(gdAdmin));
    }

    function _one(address account) internal pure returns (address[] memory accounts) {
        accounts = new address[](1);
        accounts[0] = account;
    }

    /// The fixture's admin of a founding province (or of 江苏省 once admitted).
    function _adminOf(uint32 code) internal view returns (address) {
        if (code == SH) return shAdmin;
        if (code == ZJ) return zjAdmin;
        if (code == GD) return gdAdmin;
        if (code == JS) return jsAdmin;
        revert("fixture: no admin for code");
    }

    function _firstActiveAdmin() internal view returns (address) {
        for (uint256 i = 0; i < founders.length; ++i) {
            if (consortium.isProvinceActive(founders[i])) return _adminOf(founders[i]);
        }
        revert("fixture: no active province");
    }

    /// Proposes a call on the consortium itself, expiring after {VOTING_PERIOD}.
    function _propose(address proposer, bytes memory data) internal returns (uint256 proposalId) {
        proposalId = _propose(proposer, address(consortium), data);
    }

    /// Proposes a call on `target`, expiring after {VOTING_PERIOD}.
    function _propose(address proposer, address target, bytes memory data) internal returns (uint256 proposalId) {
        uint48 expiresAt = uint48(block.timestamp) + VOTING_PERIOD;
        vm.prank(proposer);
        proposalId = consortium.propose(target, data, expiresAt, "fixture proposal");
    }

    function _vote(address voter, uint256 proposalId) internal {
        vm.prank(voter);
        consortium.vote(proposalId);
    }

    /// Proposes `data` and has founding provinces that are active vote for it until the threshold is reached.
    function _proposeApproved(bytes memory data) internal returns (uint256 proposalId) {
        proposalId = _proposeApproved(address(consortium), data);
    }

    /// Proposes a call on `target` and has active founding provinces vote for it until the threshold is reached.
    function _proposeApproved(address target, bytes memory data) internal returns (uint256 proposalId) {
        proposalId = _propose(_firstActiveAdmin(), target, data);
        uint256 needed = consortium.threshold();
        uint256 cast = 0;
        for (uint256 i = 0; i < founders.length && cast < needed; ++i) {
            if (!consortium.isProvinceActive(founders[i])) continue;
            _vote(_adminOf(founders[i]), proposalId);
            ++cast;
        }
    }

    /// Runs `data` on the consortium through propose / vote / execute.
    function _govern(bytes memory data) internal returns (uint256 proposalId) {
        proposalId = _govern(address(consortium), data);
    }

    /// Runs a call on `target` through propose / vote / execute.
    function _govern(address target, bytes memory data) internal returns (uint256 proposalId) {
        proposalId = _proposeApproved(target, data);
        vm.prank(_firstActiveAdmin());
        consortium.execute(proposalId);
    }

    function _suspendProvince(uint32 code) internal {
        _govern(abi.encodeCall(IConsortium.suspendProvince, (code)));
    }

    function _reinstateProvince(uint32 code) internal {
        _govern(abi.encodeCall(IConsortium.reinstateProvince, (code)));
    }

    function _removeProvince(uint32 code) internal {
        _govern(abi.encodeCall(IConsortium.removeProvince, (code)));
    }

    function _admitJiangsu() internal {
        _govern(abi.encodeCall(IConsortium.admitProvince, (JS, unicode"江苏省", _one(jsAdmin))));
    }

    // ------------------------------------------------------------------ agencies

    function _registerAgency(address by, address agency, uint32 province, address parent, uint32 region) internal {
        vm.prank(by);
        authorities.registerAgency(agency, province, parent, region, "agency");
    }

    function _registerAgencies() internal {
        vm.startPrank(shAdmin);
        authorities.registerAgency(shCity, SH, address(0), 310100, unicode"上海市人力资源和社会保障局");
        authorities.registerAgency(shDistrict, SH, shCity, 310115, unicode"浦东新区人力资源和社会保障局");
        authorities.registerAgency(shStreet, SH, shDistrict, 310115, unicode"陆家嘴街道社区事务受理中心");
        vm.stopPrank();
        _registerAgency(zjAdmin, zjCity, ZJ, address(0), 330100);
        _registerAgency(gdAdmin, gdCity, GD, address(0), 440100);
    }

    function _suspendAgency(address by, address agency) internal {
        vm.prank(by);
        authorities.suspendAgency(agency, 1);
    }

    function _grant(address by, address agency, bytes32 certificateType) internal {
        vm.prank(by);
        authorities.grantCertificateType(agency, certificateType);
    }

    // ------------------------------------------------------------------ misc

    function _now() internal view returns (uint48) {
        return uint48(block.timestamp);
    }

    function _ed25519Key(uint256 seed) internal pure returns (bytes memory) {
        return abi.encodePacked(keccak256(abi.encode("ed25519", seed)));
    }

    function _sm2Key(uint256 seed) internal pure returns (bytes memory) {
        return abi.encodePacked(bytes1(0x04), keccak256(abi.encode("sm2x", seed)), keccak256(abi.encode("sm2y", seed)));
    }

    /// Bytes shaped as a proof of possession for `algorithm` (the registry checks the shape only): 64 bytes for
    /// Ed25519, a 70-byte DER `SEQUENCE` of two 32-byte integers for SM2.
    function _possessionProof(IAuthorityRegistry.KeyAlgorithm algorithm) internal pure returns (bytes memory) {
        if (algorithm == IAuthorityRegistry.KeyAlgorithm.SM2) {
            bytes32 r = keccak256("r");
            bytes32 s_ = keccak256("s");
            return abi.encodePacked(hex"3044", hex"0220", r, hex"0220", s_);
        }
        return abi.encodePacked(keccak256("R"), keccak256("S"));
    }

    /// The registry's id of a key of `agency`, for a key already in its stored form.
    function _keyIdOf(
        address agency,
        IAuthorityRegistry.KeyAlgorithm algorithm,
        bytes memory key
    ) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(agency, algorithm, key));
    }
}

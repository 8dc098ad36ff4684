"""The Besu QBFT configuration: extraData checked by decoding it with an independent RLP library and against a
known encoding of Besu's own codec, the allowlists, the per-node configuration, and the validators file."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import coincurve
import pytest
import rlp
from eth_utils import keccak, to_checksum_address

from ledger.errors import ConfigurationError
from ledger.network.besu import (
    BFT_MIX_HASH,
    address_of_public_key,
    load_validators,
    parse_validators,
    qbft_extra_data,
    rlp_encode,
    write_besu_config,
)

PROVINCES = [(310000, "上海市"), (330000, "浙江省"), (440000, "广东省"), (110000, "北京市")]


def public_key(seed: int) -> str:
    return "0x" + coincurve.PrivateKey(seed.to_bytes(32, "big")).public_key.format(compressed=False)[1:].hex()


def test_the_rlp_encoder_reproduces_a_known_qbft_extra_data_of_besus_codec() -> None:
    # vanity 0x01…0x20; validators 0x…01 and 0x…02; an add vote for 0x…01; round 0xFEDCBA; two 65-byte seals
    address = [bytes(19) + bytes([n]) for n in (1, 2)]
    seals = [(1).to_bytes(32, "big") + (10).to_bytes(32, "big") + b"\x00",
             (10).to_bytes(32, "big") + (1).to_bytes(32, "big") + b"\x00"]  # fmt: skip
    known = ("f8f0a00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20ea940000000000000000"
             "000000000000000000000001940000000000000000000000000000000000000002d7940000000000000000"
             "00000000000000000000000181ff83fedcbaf886b841000000000000000000000000000000000000000000"
             "0000000000000000000001000000000000000000000000000000000000000000000000000000000000000a"
             "00b841000000000000000000000000000000000000000000000000000000000000000a0000000000000000"
             "00000000000000000000000000000000000000000000000100")  # fmt: skip
    assert rlp_encode([bytes(range(1, 33)), address, [address[0], b"\xff"], 0xFEDCBA, seals]).hex() == known


def test_the_genesis_extra_data_decodes_to_the_validators() -> None:
    validators = [address_of_public_key(public_key(n)) for n in (1, 2, 3, 4)]
    vanity, listed, vote, round_, seals = rlp.decode(bytes.fromhex(qbft_extra_data(validators)[2:]))
    assert vanity == bytes(32) and vote == [] and round_ == b"" and seals == []
    assert [to_checksum_address(a) for a in listed] == validators
    assert address_of_public_key(public_key(1)) == to_checksum_address(keccak(bytes.fromhex(public_key(1)[2:]))[12:])
    with pytest.raises(ConfigurationError):
        qbft_extra_data([])
    with pytest.raises(ConfigurationError):
        qbft_extra_data([validators[0], validators[0].lower()])


def test_a_configuration_for_four_provinces(tmp_path: Path) -> None:
    described = {"validators": [
        {"province": code, "name": name, "host": f"node{i}.consortium.example", "publicKey": public_key(i + 1),
         "accounts": [to_checksum_address(bytes(19) + bytes([i + 10]))]}
        for i, (code, name) in enumerate(PROVINCES)]}  # fmt: skip
    (tmp_path / "validators.yaml").write_text(json.dumps(described, ensure_ascii=False), encoding="utf-8")
    validators = load_validators(tmp_path / "validators.yaml")
    written = write_besu_config(validators, tmp_path / "out", chain_id=8620, block_period=2)
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in written) == sorted(
        ["genesis.json", "permissions_config.toml", "validators.json",
         *(f"node-{code}/config.toml" for code, _ in PROVINCES)])  # fmt: skip
    genesis = json.loads((tmp_path / "out" / "genesis.json").read_text(encoding="utf-8"))
    assert genesis["config"]["qbft"]["blockperiodseconds"] == 2 and genesis["config"]["chainId"] == 8620
    assert genesis["mixHash"] == BFT_MIX_HASH and "clique" not in genesis["config"]
    _, listed, *_ = rlp.decode(bytes.fromhex(genesis["extraData"][2:]))
    assert [to_checksum_address(a) for a in listed] == [v.address for v in validators]
    assert len(genesis["alloc"]) == 4  # the provinces' accounts are funded
    permissions = tomllib.loads((tmp_path / "out" / "permissions_config.toml").read_text(encoding="utf-8"))
    assert permissions["nodes-allowlist"] == [v.enode for v in validators]
    assert set(permissions["accounts-allowlist"]) == {*(v.address for v in validators),
                                                      *(a for v in validators for a in v.accounts)}  # fmt: skip
    node = tomllib.loads((tmp_path / "out" / "node-330000" / "config.toml").read_text(encoding="utf-8"))
    assert node["bootnodes"] == [v.enode for v in validators if v.province != 330000]
    assert node["discovery-enabled"] is False and node["permissions-nodes-config-file-enabled"] is True
    assert node["p2p-host"] == "node1.consortium.example" and node["sync-mode"] == "FULL"


def test_a_bad_validators_file_names_every_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as raised:
        parse_validators({"validators": [
            {"province": 310001, "name": "上海市", "host": "a.example", "publicKey": public_key(1)},
            {"province": 330000, "name": "浙江省", "host": "bad host", "publicKey": "0x" + "00" * 64},
            {"province": 440000, "name": "广东省", "host": "c.example", "publicKey": public_key(3), "extra": 1},
        ]})  # fmt: skip
    message = str(raised.value)
    for expected in ("validators[0].province", "validators[1].host", "validators[1].publicKey", "validators[2].extra"):
        assert expected in message
    with pytest.raises(ConfigurationError, match="same province"):
        parse_validators([{"province": 310000, "name": "a", "host": "a.example", "publicKey": public_key(n)}
                          for n in (1, 2)])  # fmt: skip


def test_the_cli_writes_a_staging_network_with_node_keys(tmp_path: Path) -> None:
    out = tmp_path / "besu"
    proc = subprocess.run([sys.executable, "-m", "ledger.cli", "network", "besu-config", "--validators", "4",
                           "--out", str(out)], capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    keys = sorted(out.glob("node-*/key"))
    assert len(keys) == 4 and all(k.stat().st_mode & 0o777 == 0o600 for k in keys)
    listed = json.loads((out / "validators.json").read_text(encoding="utf-8"))["validators"]
    for entry in listed:
        secret = (out / f"node-{entry['province']}" / "key").read_text().strip()
        pub = coincurve.PrivateKey(bytes.fromhex(secret[2:])).public_key.format(compressed=False)[1:].hex()
        assert entry["enode"].startswith(f"enode://{pub}@") and entry["address"] == address_of_public_key("0x" + pub)
    bad = subprocess.run([sys.executable, "-m", "ledger.cli", "network", "besu-config", "--validators",
                          str(tmp_path / "missing.yaml"), "--out", str(out)], capture_output=True, text=True,
                         timeout=120, check=False)  # fmt: skip
    assert bad.returncode != 0 and "Traceback" not in bad.stderr and "missing.yaml" in bad.stderr

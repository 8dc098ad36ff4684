"""The genesis block and the description of a Clique network, without starting a node."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ledger.network
from ledger.chain.node import dev_private_keys
from ledger.errors import ConfigurationError, LedgerValueError
from ledger.network import DEFAULT_CHAIN_ID, Network, clique_genesis, prefunded_addresses
from ledger.network.geth import GethNode, enode_id

SIGNERS = ["0x" + "bb" * 20, "0x" + "AA" * 20]


def test_the_public_surface_is_sorted() -> None:
    assert ledger.network.__all__ == sorted(ledger.network.__all__)
    assert all(getattr(ledger.network, name) is not None for name in ledger.network.__all__)


def test_the_genesis_enables_forks_up_to_london_only_and_names_the_sorted_signers() -> None:
    genesis = clique_genesis(SIGNERS, block_period=2, timestamp=1_700_000_000)
    config = genesis["config"]
    assert config["chainId"] == DEFAULT_CHAIN_ID and config["londonBlock"] == 0 and config["berlinBlock"] == 0
    assert config["clique"] == {"period": 2, "epoch": 30_000}
    assert not {"shanghaiTime", "cancunTime", "pragueTime", "terminalTotalDifficulty"} & set(config)
    extra = bytes.fromhex(genesis["extraData"][2:])
    assert len(extra) == 32 + 2 * 20 + 65 and extra[32:72] == bytes.fromhex("aa" * 20 + "bb" * 20)
    assert genesis["timestamp"] == hex(1_700_000_000) and int(genesis["gasLimit"], 16) >= 30_000_000


def test_the_genesis_funds_the_development_accounts_anvil_funds() -> None:
    genesis = clique_genesis(SIGNERS)
    funded = prefunded_addresses()
    assert len(funded) >= 20  # every `dev:N` of the test and demo descriptions
    assert funded[0] == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    for address in funded:
        assert int(genesis["alloc"][address.lower()]["balance"], 16) == 10**24
    assert all(s.lower() in genesis["alloc"] for s in SIGNERS)
    assert len(dev_private_keys(3)) == 3


def test_a_genesis_needs_a_signer() -> None:
    with pytest.raises(ValueError, match="signer"):
        clique_genesis([])


def test_a_node_is_described_with_its_loopback_enode_and_rpc() -> None:
    key = bytes(range(1, 33))
    node = GethNode(
        0, 310000, "0x" + "aa" * 20, "/tmp/x/node0", 8545, 30303, 8551, f"enode://{enode_id(key)}@127.0.0.1:30303"
    )
    assert len(enode_id(key)) == 128 and node.rpc == "http://127.0.0.1:8545"
    assert GethNode.from_json(json.loads(json.dumps(node.to_json()))) == node


def test_networks_are_refused_without_a_province_each_or_twice_in_one_home(tmp_path: Path) -> None:
    with pytest.raises(LedgerValueError):
        Network.create(tmp_path / "a", validators=2, provinces=[310000, 310000])
    with pytest.raises(LedgerValueError):
        Network.create(tmp_path / "b", validators=0)
    with pytest.raises(ConfigurationError, match="no network"):
        Network.load(tmp_path / "c")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "network.json").write_text("{}")
    with pytest.raises(ConfigurationError, match="already holds"):
        Network.create(tmp_path / "d")

"""The signer set follows the consortium: a fifth province's node joins the network, the province is admitted by
vote, `hurong network reconcile` votes its validator in and it seals blocks; the province is suspended by vote,
reconciled again, and its validator is dropped."""

from __future__ import annotations

from ledger.network import Network, reconcile, sealer_of, signers, wait_for_signers, wanted_signers
from tests.conftest import World
from tests.network.conftest import NETWORK, hurong

pytestmark = NETWORK

JS = 320000


def test_a_province_admitted_by_vote_gets_a_signer_and_loses_it_when_suspended(
    network: Network, net_world: World
) -> None:
    founders = sorted(n.signer for n in network.nodes)
    hurong("network", "add-node", "--home", network.home, "--province", str(JS))
    network = Network.load(network.home)
    joined = network.node_of_province(JS)
    assert joined is not None and joined.running() and joined.index == 4
    network.wait_synced(timeout=60)
    assert signers(joined.rpc) == founders  # a follower until the consortium says otherwise
    assert wanted_signers(network, net_world.reader) == founders  # its province is not a member yet

    consortium = net_world.reader.consortium
    net_world.govern(
        consortium.address, consortium.encode("admitProvince", JS, "江苏省", [net_world.addr("new_admin")])
    )
    deployments = network.home / "deployments"
    out = hurong("network", "reconcile", "--home", network.home, "--deployments", deployments, "--wait", "60").stdout
    assert f"proposed to add {joined.signer}" in out
    assert signers(network.url) == sorted([*founders, joined.signer])

    def sealed_by_it() -> bool:
        head = network.head(0)[0]
        return any(sealer_of(network.url, n) == joined.signer for n in range(max(head - 5, 1), head + 1))

    network.wait_for(sealed_by_it, 30, "a block sealed by the new validator")

    net_world.govern(consortium.address, consortium.encode("suspendProvince", JS))
    result = reconcile(network, net_world.reader)
    assert result.to_drop == [joined.signer] and result.to_add == []
    assert result.voters == [0, 1, 2, 3, 4]
    wait_for_signers(network, founders, timeout=60)
    assert reconcile(network, net_world.reader).to_drop == []  # settled: nothing more to vote on
    for node in network.nodes:
        assert network.rpc(node.index, "clique_proposals") == {}
    network.stop_node(joined.index)

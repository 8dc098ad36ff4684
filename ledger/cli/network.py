"""`hurong network`: a consortium network of go-ethereum Clique validators on this machine, one per province —
bringing it up, its status, stopping and starting nodes, adding one, and the signer set following the consortium.

Everything is kept in the network's home folder (`--home`, default `.hurong/network`); see `ledger.network`.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ledger.cli.common import DeploymentsOption, JsonOption, connect, console, parse_province, refusals

app = typer.Typer(help="验证节点网络 A validator network (go-ethereum Clique): up, status, nodes, signers.",
                  no_args_is_help=True)  # fmt: skip

HomeOption = Annotated[Path, typer.Option("--home", help="The network's folder")]
IndexOption = Annotated[int, typer.Option("--index", min=0, help="The node's index (see `status`)")]
DEFAULT_HOME = Path(".hurong") / "network"


@app.command("up")
@refusals
def up_cmd(
    validators: Annotated[int, typer.Option(min=1, max=10, help="Validator nodes, one per province")] = 4,
    home: HomeOption = DEFAULT_HOME,
    block_period: Annotated[int, typer.Option(min=1, help="Seconds between blocks")] = 1,
    provinces: Annotated[str | None, typer.Option(help="Comma-separated province codes of the validators")] = None,
    chain_id: Annotated[int | None, typer.Option(min=1, help="Chain id of a new network")] = None,
) -> None:
    """Create the network the first time (keys, genesis, data folders), start every node, and return once the
    nodes peer and blocks advance."""
    from ledger.network import DEFAULT_CHAIN_ID, Network

    os.umask(0o077)
    if (home / "network.json").exists():
        network = Network.load(home)
        console.print(f"starting the network in {home}")
    else:
        codes = [parse_province(c) for c in provinces.split(",")] if provinces else None
        network = Network.create(home, validators=validators, provinces=codes, block_period=block_period,
                                 chain_id=chain_id or DEFAULT_CHAIN_ID)  # fmt: skip
        console.print(f"created a {len(network.nodes)}-validator network in {home} (chain id {network.chain_id})")
    network.up(log=lambda m: console.print(f"  {m}"))
    console.print(f"[green]network up[/]: {network.url} (description in {home / 'network.json'})")


@app.command("status")
@refusals
def status_cmd(home: HomeOption = DEFAULT_HOME, as_json: JsonOption = False) -> None:
    """Each node's head, peers and signer role; the signer set and who sealed the last blocks."""
    from ledger.network import Network, status
    from ledger.network.guard import guard_log, guard_running

    network = Network.load(home)
    state = status(network)
    guard = network.guard_pid if guard_running(network.guard_pid, network.home) else None
    if as_json:
        typer.echo(json.dumps({**dataclasses.asdict(state), "guardPid": guard}, indent=1))
        return
    table = Table(
        "node", "province", "signer", "rpc", "pid", "head", "peers", "sealing", title=f"chain {state.chain_id}"
    )
    for n in state.nodes:
        head = f"{n.head} {n.head_hash[:10]}…" if n.head is not None and n.head_hash else "-"
        role = "stopped" if not n.running else ("signer" if n.is_signer else "follower")
        table.add_row(str(n.index), str(n.province), n.signer, n.rpc, str(n.pid or "-"), head, str(n.peers), role)
    console.print(table)
    console.print(f"signers: {', '.join(state.signers) or '-'}")
    for number, signer in state.sealed_by:
        console.print(f"  block {number} sealed by {signer}")
    console.print(f"guard: pid {guard}, log {guard_log(network.home)}" if guard else "guard: not running")


@app.command("stop-node")
@refusals
def stop_node_cmd(index: IndexOption, home: HomeOption = DEFAULT_HOME) -> None:
    """Stop one node (by its PID); its data stays."""
    from ledger.network import Network

    node = Network.load(home).stop_node(index)
    console.print(f"node {node.index} (province {node.province}) stopped")


@app.command("start-node")
@refusals
def start_node_cmd(index: IndexOption, home: HomeOption = DEFAULT_HOME) -> None:
    """Start a stopped node and wait until it peers with the others."""
    from ledger.network import Network

    node = Network.load(home).start_node(index)
    console.print(f"node {node.index} (province {node.province}) running on {node.rpc}, pid {node.pid}")


@app.command("down")
@refusals
def down_cmd(home: HomeOption = DEFAULT_HOME) -> None:
    """Stop every node; `up` starts them again with their data."""
    from ledger.network import Network

    Network.load(home).down()
    console.print("network stopped")


@app.command("guard")
@refusals
def guard_cmd(
    home: HomeOption = DEFAULT_HOME,
    stall_after: Annotated[
        float | None,
        typer.Option(min=1, help="Seconds with no block before a split is mended"),
    ] = None,
) -> None:
    """Watch the network and bring validators split onto forks that cannot go on back onto one fork (`up` starts
    this as a process of its own; see `ledger.network.guard`). Runs until stopped."""
    import datetime as dt
    import signal

    from ledger.network import Network
    from ledger.network.guard import Guard

    Network.load(home)  # refuses a folder that holds no network
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))

    def log(message: str) -> None:
        print(f"{dt.datetime.now(dt.UTC).isoformat(timespec='seconds')} {message}", flush=True)

    Guard(home.resolve(), stall_after=stall_after, log=log).run(until=lambda: bool(stopping))
    log("guard stopped")


@app.command("add-node")
@refusals
def add_node_cmd(
    province: Annotated[str, typer.Option(help="The new validator's province, GB/T 2260 (e.g. 320000)")],
    home: HomeOption = DEFAULT_HOME,
) -> None:
    """Add and start a node with a new validator account for a province. It signs blocks once the consortium has
    admitted the province and `reconcile` has voted it in."""
    from ledger.network import Network

    os.umask(0o077)
    node = Network.load(home).add_node(parse_province(province))
    console.print(f"node {node.index} (province {node.province}, validator {node.signer}) running on {node.rpc}")


@app.command("reconcile")
@refusals
def reconcile_cmd(
    home: HomeOption = DEFAULT_HOME,
    deployments: DeploymentsOption = None,
    wait: Annotated[float, typer.Option(min=0, help="Seconds to wait for the signer set to follow (0: no wait)")] = 0,
) -> None:
    """Vote, from every running node, for the signer set to be the validators of the consortium's active
    provinces (the deployment is read from `--deployments`, else from DIR/deployments when there is one)."""
    from ledger.network import Network, reconcile, wait_for_signers

    network = Network.load(home)
    if deployments is None and (home / "deployments").is_dir():
        deployments = home / "deployments"
    result = reconcile(network, connect(network.url, deployments))
    for address in result.to_add:
        console.print(f"  proposed to add {address}")
    for address in result.to_drop:
        console.print(f"  proposed to drop {address}")
    if not result.to_add and not result.to_drop:
        console.print("the signer set already follows the consortium")
    elif wait:
        wait_for_signers(network, result.wanted, timeout=wait)
        console.print(f"[green]signers now[/]: {', '.join(result.wanted)}")


_VALIDATORS_HELP = "A YAML or JSON file of the provinces' validators, or a number of staging validators to make"


@app.command("besu-config")
@refusals
def besu_config_cmd(
    validators: Annotated[str, typer.Option(help=_VALIDATORS_HELP)],
    out: Annotated[Path, typer.Option(help="Folder to write the configuration into")] = Path("deploy/besu"),
    chain_id: Annotated[int, typer.Option(min=1, help="Chain id of the production network")] = 8620,
    block_period: Annotated[int, typer.Option(min=1, max=60, help="Seconds between blocks")] = 2,
    provinces: Annotated[str | None, typer.Option(help="Comma-separated province codes of staging validators")] = None,
) -> None:
    """Production configuration for Hyperledger Besu with QBFT: genesis (extraData from the validators), node and
    account allowlists, one config.toml per province's node (see deploy/besu/README.md)."""
    from ledger.certificates.regions import lookup
    from ledger.errors import ConfigurationError
    from ledger.network import DEFAULT_PROVINCES
    from ledger.network.besu import load_validators, staging_validators, write_besu_config

    os.umask(0o077)
    if validators.isdigit():
        count = int(validators)
        codes = [parse_province(c) for c in provinces.split(",")] if provinces else list(DEFAULT_PROVINCES[:count])
        if not 1 <= count <= len(DEFAULT_PROVINCES) or len(codes) != count:
            raise ConfigurationError(f"give 1 to {len(DEFAULT_PROVINCES)} staging validators, one province each")
        named = [(code, region.name if (region := lookup(str(code))) else str(code)) for code in codes]
        chosen = staging_validators(named, out)
        console.print(f"made {count} staging validators; their node keys are in {out}/node-*/key (0600)")
    else:
        chosen = load_validators(Path(validators))
    written = write_besu_config(chosen, out, chain_id=chain_id, block_period=block_period)
    for path in written:
        console.print(f"  wrote {path}")
    console.print(
        f"[green]Besu QBFT configuration for {len(chosen)} validators[/] in {out}/ (see deploy/besu/README.md)"
    )

"""`hurong status-list check`: a W3C Bitstring Status List credential, fetched from anywhere, against the hash its
agency anchored on chain (`CertificateRegistry.statusListHash`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.cli.common import (
    DEFAULT_RPC,
    DeploymentsOption,
    JsonOption,
    RpcOption,
    connect,
    console,
    emit_json,
    get_json,
    read_json,
    refusals,
)
from ledger.errors import LedgerError, LedgerValueError

app = typer.Typer(help="W3C Bitstring Status Lists (状态列表)", no_args_is_help=True)

#: Largest list credential fetched (a 131,072-entry list is ~100 bytes to 22 KiB of text).
MAX_LIST_BYTES = 8 * 1024 * 1024


def fetch_list(source: str, *, timeout: float = 30.0) -> Any:
    """The JSON document at `source`: an http(s) URL, else a file."""
    if not source.startswith(("http://", "https://")):
        return read_json(Path(source))
    return get_json(source, limit=MAX_LIST_BYTES, accept="application/vc+ld+json", timeout=timeout)


@app.command("check")
@refusals
def check_cmd(
    source: Annotated[str, typer.Argument(help="The list credential: its URL or a file")],
    block: Annotated[
        int | None, typer.Option(min=0, help="Check against the hash the chain recorded at this block (else now)")
    ] = None,
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Compare a status list credential's hash (SHA-256 of its RFC 8785 form) with the latest hash its agency
    anchored on chain, now or at `--block`. Exit 0 when they are equal, 1 otherwise (a list changed within the
    service's publishing interval reads as not anchored until it is published: check again after the interval)."""
    from ledger.certificates.status_list import published_list

    listed = published_list(fetch_list(source))
    client = connect(rpc, deployments)
    if listed.chain_id != client.deployment.chain_id:
        served = client.deployment.chain_id
        raise LedgerValueError(f"the list was issued on chain {listed.chain_id}, the RPC serves chain {served}")
    head = client.w3.eth.block_number
    if block is not None and block > head:
        raise LedgerValueError(f"block {block} is beyond the chain's head {head}")
    at = head if block is None else block
    anchored = client.certificates.status_list_hash(listed.agency, listed.list_id, block_identifier=at)
    answer = {"agency": listed.agency, "purpose": listed.purpose, "number": listed.number,
              "listId": "0x" + listed.list_id.hex(), "listHash": "0x" + listed.list_hash.hex(),
              "anchoredHash": None if anchored is None else "0x" + anchored.hex(), "block": at,
              "anchored": anchored == listed.list_hash}  # fmt: skip
    if as_json:
        emit_json(answer)
    if anchored is None:
        raise LedgerError(
            f"未锚定 not anchored: {listed.agency} anchored no hash for its {listed.purpose} list {listed.number} "
            f"by block {at}"
        )
    if anchored != listed.list_hash:
        raise LedgerError(
            f"未锚定 not anchored: the list's hash {answer['listHash']} is not the hash {answer['anchoredHash']} "
            f"{listed.agency} anchored for its {listed.purpose} list {listed.number} as of block {at}"
        )
    if not as_json:
        console.print(f"[green]已锚定 anchored[/]: {listed.purpose} list {listed.number} of {listed.agency}, "
                      f"hash {answer['listHash']}, as of block {at}")  # fmt: skip

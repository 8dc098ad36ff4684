"""`hurong ipfs up|down|status`: the private Kubo node that holds encrypted documents and batch manifests, and
`hurong fetch`: a holder's certificate fetched from the store, decrypted and checked."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from ledger.cli.common import (
    DEFAULT_RPC,
    DeploymentsOption,
    JsonOption,
    RpcOption,
    connect,
    console,
    emit_json,
    err_console,
    fail,
    refusals,
    write_json,
)

app = typer.Typer(help="The private IPFS node (Kubo) of the document store (文档存储节点).", no_args_is_help=True)

HomeOption = Annotated[Path, typer.Option(help="Folder of the node's repository, records and log")]
DEFAULT_HOME = Path(".hurong/ipfs")


@app.command("up")
@refusals
def up_cmd(home: HomeOption = DEFAULT_HOME, as_json: JsonOption = False) -> None:
    """Start the node (a fresh private repository on first use); it keeps running after the command returns."""
    from ledger.store.node import KuboNode

    node = KuboNode(home)
    node.up()
    status = node.status()
    if status is None:
        fail(f"节点未应答 the IPFS node in {home} does not answer: see {node.log_file}")
    if as_json:
        emit_json(status)
        return
    console.print(f"IPFS 节点已启动 node up: {status['api']} (pid {status['pid']})", markup=False, highlight=False)
    console.print(f"  HURONG_STORE=ipfs:{status['api']}", markup=False, highlight=False)


@app.command("down")
@refusals
def down_cmd(home: HomeOption = DEFAULT_HOME) -> None:
    """Stop the node gracefully (by the PID in its pid file)."""
    from ledger.store.node import KuboNode

    stopped = KuboNode(home).down()
    console.print("IPFS 节点已停止 node stopped" if stopped else "IPFS 节点未运行 node was not running")


@app.command("status")
@refusals
def status_cmd(home: HomeOption = DEFAULT_HOME, as_json: JsonOption = False) -> None:
    """Whether the node answers on its RPC API: its id, version, addresses and peers. Exit status 1 when down."""
    from ledger.store.node import KuboNode

    status = KuboNode(home).status()
    if status is None:
        fail(f"IPFS 节点未运行 no IPFS node answers for {home}")
    if as_json:
        emit_json(status)
        return
    for name in ("id", "version", "api", "gateway", "pid", "peers"):
        console.print(f"{name}: {status[name]}", markup=False, highlight=False)
    for address in status["addresses"]:
        console.print(f"  listening 监听: {address}", markup=False, highlight=False)


@refusals
def fetch_cmd(
    link: Annotated[str, typer.Argument(help="Holder link (…/wallet#cid=…&key=…) or the document's CID")],
    key: Annotated[str | None, typer.Option(help="Document key (43 characters); the link's when omitted")] = None,
    store: Annotated[
        str | None,
        typer.Option(help="Store: ipfs:http://HOST:PORT or a folder", envvar="HURONG_STORE"),
    ] = None,
    service: Annotated[
        str | None, typer.Option(help="Service URL to fetch from (GET /api/v1/documents/{cid}) instead of a store")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Where to write the certificate (stdout when omitted)")] = None,
    verify: Annotated[bool, typer.Option(help="Also verify it against the chain (exit status 1 unless VALID)")] = False,
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = None,
) -> None:
    """Fetch a certificate's encrypted document, decrypt it with its key, check it is the certificate sealed, and
    with --verify verify it against the chain."""
    from ledger.store.documents import fetch_certificate
    from ledger.store.sealed import parse_holder_link

    cid, link_key = parse_holder_link(link)
    chosen = key or link_key
    if chosen is None:
        fail("输入无效 invalid input: give the document key with --key or a link carrying key=…")
    if service is None and store is None:
        if "/wallet" not in link:
            fail("输入无效 invalid input: give --store (or $HURONG_STORE) or --service to fetch a bare CID from")
        service = link.split("/wallet", 1)[0]
    certificate = fetch_certificate(cid, chosen, store=None if service else store, service=service)
    if out is None:
        emit_json(certificate)
    else:
        write_json(out, certificate)
        console.print(f"证书已解密 certificate decrypted and checked → {out}", markup=False, highlight=False)
    if verify:
        _verify(certificate, rpc, deployments, err_console if out is None else console)


def _verify(certificate: dict[str, Any], rpc: str, deployments: Path | None, shown: Console) -> None:
    """Verify a fetched certificate against the chain; print the verdict and what failed; exit 1 unless VALID."""
    from ledger.verification.verifier import VALID, Verifier

    result = Verifier(connect(rpc, deployments)).verify(certificate)
    shown.print(f"核验结论 verdict: {result.verdict}", markup=False, highlight=False)
    for check in result.checks:
        if check.outcome == "failed":
            shown.print(f"  {check.name}: {check.message} / {check.message_en}", markup=False, highlight=False)
    if result.verdict != VALID:
        raise typer.Exit(1)

"""`hurong gov`: the consortium's governance by vote — proposals to admit, suspend, reinstate or remove a province,
change the threshold or add and remove a province's admins; votes, execution, cancellation; the proposals and the
provinces.

Each command acts on the chain as a keystore account (`--keystore DIR --account 0x…`) or through the service
(`--api URL --api-key KEY`); see `ledger.cli.accounts`.
"""

from __future__ import annotations

import time
from enum import StrEnum
from functools import cache
from typing import Annotated, Any

import typer

from ledger.chain.models import ProposalState
from ledger.cli.accounts import (
    DEFAULT_KEYSTORE,
    Access,
    AccountOption,
    ApiKeyOption,
    ApiOption,
    KeystoreOption,
    PassphraseFileOption,
    actor,
)
from ledger.cli.common import (
    DEFAULT_RPC,
    DeploymentsOption,
    JsonOption,
    RpcOption,
    answered,
    emit_rows,
    emit_written,
    format_time,
    mined,
    parse_address,
    parse_province,
    parse_time,
    refusals,
)
from ledger.errors import LedgerValueError

app = typer.Typer(help="治理表决 Governance: proposals, votes, execution; provinces.", no_args_is_help=True)

DAY = 86_400
#: The longest a proposal may stay open (`Consortium.MAX_PROPOSAL_LIFETIME`).
MAX_DAYS = 90
#: How long a proposal stays open without --days or --expires (the service's default lifetime too).
DEFAULT_DAYS = 7


class Action(StrEnum):
    """What a proposal asks the consortium to do."""

    ADMIT = "admit"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    REMOVE = "remove"
    THRESHOLD = "threshold"
    ADD_ADMIN = "add-admin"
    REMOVE_ADMIN = "remove-admin"


#: The `Consortium` function of each action, and how it reads in Chinese and English.
CALLS: dict[Action, tuple[str, str]] = {
    Action.ADMIT: ("admitProvince", "接纳省份 admit province"),
    Action.SUSPEND: ("suspendProvince", "暂停省份 suspend province"),
    Action.REINSTATE: ("reinstateProvince", "恢复省份 reinstate province"),
    Action.REMOVE: ("removeProvince", "移除省份 remove province"),
    Action.THRESHOLD: ("setThreshold", "修改表决门槛 set the threshold"),
    Action.ADD_ADMIN: ("addProvinceAdmin", "增加省级管理员 add a province admin"),
    Action.REMOVE_ADMIN: ("removeProvinceAdmin", "移除省级管理员 remove a province admin"),
}

ProposalArgument = Annotated[int, typer.Argument(min=1, help="Proposal id")]


@app.command("propose")
@refusals
def propose_cmd(
    action: Annotated[Action, typer.Argument(help="What to propose", case_sensitive=False)],
    province: Annotated[str | None, typer.Option(help="Province, GB/T 2260 (e.g. 340000)")] = None,
    name: Annotated[str | None, typer.Option(help="admit: the province's name (default: its GB/T 2260 name)")] = None,
    admin: Annotated[
        list[str] | None, typer.Option("--admin", help="admit: its admins (repeat); add-admin / remove-admin: one")
    ] = None,
    threshold: Annotated[int | None, typer.Option(min=1, help="threshold: the new number of votes")] = None,
    description: Annotated[str | None, typer.Option(help="Description (default: what the proposal does)")] = None,
    days: Annotated[
        int | None, typer.Option(min=1, max=MAX_DAYS, help="Days the proposal stays open [default: 7]")
    ] = None,
    expires: Annotated[str | None, typer.Option(help="Closes at this ISO 8601 time instead of after --days")] = None,
    vote: Annotated[bool, typer.Option(help="On the chain, cast the proposer's province's vote too")] = True,
    check: Annotated[bool, typer.Option(help="On the chain, refuse a call the consortium could not make now")] = True,
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = None,
    keystore: KeystoreOption = DEFAULT_KEYSTORE,
    account: AccountOption = None,
    passphrase_file: PassphraseFileOption = None,
    api: ApiOption = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Propose a change for the consortium to vote on (the proposer's province votes for it)."""
    fn, args, body = proposed_call(action, province, name, admin or [], threshold)
    label = CALLS[action][1]
    summary = f"{label} {' '.join(str(a) for a in args if not isinstance(a, list))}"
    text = description if description is not None else summary
    if len(text.encode()) > 4096:
        raise LedgerValueError("a description is at most 4096 bytes")
    closes = parse_time(expires, "--expires") if expires is not None else None
    if closes is not None and days is not None:
        raise LedgerValueError("give --days or --expires, not both")
    acting = actor(Access(rpc, deployments, keystore, account, passphrase_file, api, api_key), write=True)
    if acting.api is not None:
        if not (vote and check):
            raise LedgerValueError("through the service the proposer's vote is cast and the call checked always: "
                                   "--no-vote and --no-check are for the chain")  # fmt: skip
        body["description"] = text
        if closes is not None or days is not None:  # otherwise the service's proposal lifetime, by the chain's clock
            body["expiresAt"] = closes if closes is not None else int(time.time()) + (days or DEFAULT_DAYS) * DAY
        written = _api_written(acting.api.post("/proposals", body))
    else:
        consortium = acting.client.consortium
        if check:
            consortium.simulate(consortium.address, fn, *args)
        now = int(acting.client.w3.eth.get_block("latest")["timestamp"])
        expires_at = closes if closes is not None else now + (days or DEFAULT_DAYS) * DAY
        receipt = consortium.propose(consortium.address, consortium.encode(fn, *args), expires_at, text).wait()
        proposal_id = int(receipt.event("ProposalCreated").args["proposalId"])
        written = mined(receipt, proposalId=proposal_id, call=describe_call(consortium.encode(fn, *args)),
                        expiresAt=format_time(expires_at))  # fmt: skip
        if vote:
            ballot = consortium.vote(proposal_id).wait()
            written["vote"] = {"txHash": ballot.tx_hash, "block": ballot.block_number}
        written["state"] = consortium.proposal_state(proposal_id).name.lower()
    emit_written(f"已提议 proposed: {summary}", written, as_json)


def proposed_call(
    action: Action, province: str | None, name: str | None, admins: list[str], threshold: int | None
) -> tuple[str, list[Any], dict[str, Any]]:
    """The `Consortium` function, its arguments and the service's request body of a proposal, checked."""
    fn = CALLS[action][0]
    if action is Action.THRESHOLD:
        if threshold is None or province is not None or admins:
            raise LedgerValueError("threshold takes --threshold N only")
        return fn, [threshold], {"action": fn, "threshold": threshold}
    if province is None or threshold is not None:
        raise LedgerValueError(f"{action.value} takes --province CODE (and no --threshold)")
    code = parse_province(province)
    body: dict[str, Any] = {"action": fn, "province": str(code)}
    accounts = [parse_address(a, "admin") for a in admins]
    if action is Action.ADMIT:
        if not accounts:
            raise LedgerValueError("admit takes the province's admins: --admin 0x… (one or more)")
        if len(set(accounts)) != len(accounts):
            raise LedgerValueError("the same admin is given twice")
        title = name if name is not None else _region_name(code)
        if not title.strip() or len(title.encode()) > 256:
            raise LedgerValueError("a province's name is a non-empty string of at most 256 bytes")
        return fn, [code, title, accounts], body | {"name": title, "admins": accounts}
    if name is not None:
        raise LedgerValueError("--name is only for admit")
    if action in (Action.ADD_ADMIN, Action.REMOVE_ADMIN):
        if len(accounts) != 1:
            raise LedgerValueError(f"{action.value} takes one --admin 0x…")
        return fn, [code, accounts[0]], body | {"account": accounts[0]}
    if accounts:
        raise LedgerValueError(f"{action.value} takes no --admin")
    return fn, [code], body


def _region_name(code: int) -> str:
    from ledger.certificates.regions import lookup

    region = lookup(str(code))
    assert region is not None  # parse_province checked it
    return region.name


@app.command("vote")
@refusals
def vote_cmd(
    proposal: ProposalArgument,
    execute: Annotated[bool, typer.Option(help="Execute it at once if this vote reaches the threshold")] = False,
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = None,
    keystore: KeystoreOption = DEFAULT_KEYSTORE,
    account: AccountOption = None,
    passphrase_file: PassphraseFileOption = None,
    api: ApiOption = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Vote for a proposal on behalf of the account's province."""
    acting = actor(Access(rpc, deployments, keystore, account, passphrase_file, api, api_key), write=True)
    if acting.api is not None:
        written = _api_written(acting.api.post(f"/proposals/{proposal}/votes"))
        if execute and written.get("state") == "approved" and not written.get("executionError"):
            ran = _api_written(acting.api.post(f"/proposals/{proposal}/execute"))  # the service executes none
            written |= {"execution": {"txHash": ran["txHash"], "block": ran["block"]}, "state": ran["state"]}
    else:
        consortium = acting.client.consortium
        written = mined(consortium.vote(proposal).wait(), proposalId=proposal)
        state = consortium.proposal_state(proposal)
        written |= {"votes": consortium.proposal_votes(proposal), "threshold": consortium.threshold()}
        if execute and state is ProposalState.APPROVED:
            done = consortium.execute(proposal).wait()
            written["execution"] = {"txHash": done.tx_hash, "block": done.block_number}
            state = consortium.proposal_state(proposal)
        written["state"] = state.name.lower()
    emit_written(f"已投票 voted: 提案 proposal {proposal}", written, as_json)


@app.command("execute")
@refusals
def execute_cmd(
    proposal: ProposalArgument,
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = None,
    keystore: KeystoreOption = DEFAULT_KEYSTORE,
    account: AccountOption = None,
    passphrase_file: PassphraseFileOption = None,
    api: ApiOption = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Execute a proposal that reached the threshold."""
    acting = actor(Access(rpc, deployments, keystore, account, passphrase_file, api, api_key), write=True)
    if acting.api is not None:
        written = _api_written(acting.api.post(f"/proposals/{proposal}/execute"))
    else:
        written = mined(acting.client.consortium.execute(proposal).wait(), proposalId=proposal, state="executed")
    emit_written(f"已执行 executed: 提案 proposal {proposal}", written, as_json)


@app.command("cancel")
@refusals
def cancel_cmd(
    proposal: ProposalArgument,
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = None,
    keystore: KeystoreOption = DEFAULT_KEYSTORE,
    account: AccountOption = None,
    passphrase_file: PassphraseFileOption = None,
    api: ApiOption = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Withdraw a proposal of the account's province."""
    acting = actor(Access(rpc, deployments, keystore, account, passphrase_file, api, api_key), write=True)
    if acting.api is not None:
        written = _api_written(acting.api.post(f"/proposals/{proposal}/cancel"))
    else:
        written = mined(acting.client.consortium.cancel(proposal).wait(), proposalId=proposal, state="cancelled")
    emit_written(f"已撤回 cancelled: 提案 proposal {proposal}", written, as_json)


STATES = ("pending", "approved", "executed", "expired", "cancelled")


@app.command("list")
@refusals
def list_cmd(
    state: Annotated[str | None, typer.Option(help=f"Only proposals in this state: {', '.join(STATES)}")] = None,
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = None,
    api: ApiOption = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the proposals with their state, votes and the call they make."""
    if state is not None and state not in STATES:
        raise LedgerValueError(f"unknown state {state!r}; expected one of {', '.join(STATES)}")
    acting = actor(Access(rpc, deployments, DEFAULT_KEYSTORE, None, None, api, api_key), write=False)
    if acting.api is not None:
        rows = [_api_proposal(row) for row in acting.api.rows("/proposals")]
    else:
        consortium = acting.client.consortium
        needed = consortium.threshold()
        rows = []
        for proposal_id in range(1, consortium.proposal_count() + 1):
            p = consortium.proposal(proposal_id)
            rows.append({
                "id": p.id, "state": p.state.name.lower(), "proposer": str(p.proposer),
                "votes": consortium.proposal_votes(proposal_id), "threshold": needed,
                "voters": [str(v) for v in p.voters], "call": describe_call(p.data), "description": p.description,
                "createdAt": format_time(p.created_at), "expiresAt": format_time(p.expires_at),
            })  # fmt: skip
    rows = [row for row in rows if state is None or row["state"] == state]
    columns = [("id", "编号 id"), ("state", "状态 state"), ("proposer", "提议省份 proposer"), ("votes", "票数 votes"),
               ("voters", "已投票 voters"), ("call", "内容 call"), ("expiresAt", "截止 expires")]  # fmt: skip
    emit_rows(rows, columns, "提案 proposals", as_json)


def _api_written(answer: Any) -> dict[str, Any]:
    """A governance write as the service answered it (`transactionHash`, `blockNumber`, `proposal`,
    `executionError`, `transactions`), in the shape the chain's writes print."""
    written = answered(answer)
    proposal = written.pop("proposal", None)
    shown = _api_proposal(proposal) if isinstance(proposal, dict) else {}
    fields = ("state", "votes", "threshold", "voters", "call", "expiresAt")
    head = {"txHash": written.pop("txHash"), "block": written.pop("block"), "proposalId": shown.get("id")}
    return head | {name: shown.get(name) for name in fields} | written


def _api_proposal(row: dict[str, Any]) -> dict[str, Any]:
    """A proposal as the service lists it, in the shape `list` prints."""
    state = row.get("state")
    if state is None:
        expires_at = row.get("expiresAt")
        state = (
            "executed" if row.get("executedAt") else "cancelled" if row.get("cancelledAt")
            else "expired" if isinstance(expires_at, int) and expires_at < time.time() else "pending"
        )  # fmt: skip
    data = row.get("data")
    call = row.get("call") or (describe_call(bytes.fromhex(data[2:])) if isinstance(data, str) and data else None)
    return {
        "id": row.get("id"), "state": str(state).lower(), "proposer": _text(row.get("proposer")),
        "votes": row.get("votes", len(row.get("voters") or [])), "threshold": row.get("threshold"),
        "voters": [str(v) for v in row.get("voters") or []], "call": call, "description": row.get("description"),
        "createdAt": _time(row.get("createdAt")), "expiresAt": _time(row.get("expiresAt")),
    }  # fmt: skip


@app.command("provinces")
@refusals
def provinces_cmd(
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = None,
    api: ApiOption = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the consortium's provinces with their status and admins."""
    acting = actor(Access(rpc, deployments, DEFAULT_KEYSTORE, None, None, api, api_key), write=False)
    if acting.api is not None:
        rows = [
            {"code": _text(r.get("code")), "name": r.get("name"), "status": r.get("status"),
             "statusSince": _time(r.get("statusSince")), "epoch": r.get("epoch"), "admins": r.get("admins", [])}
            for r in acting.api.rows("/provinces")
        ]  # fmt: skip
    else:
        rows = [
            {"code": str(p.code), "name": p.name, "status": p.status.name.lower(),
             "statusSince": format_time(p.status_since), "epoch": p.epoch, "admins": list(p.admins)}
            for p in acting.client.consortium.provinces()
        ]  # fmt: skip
    columns = [("code", "代码 code"), ("name", "名称 name"), ("status", "状态 status"), ("admins", "管理员 admins")]
    emit_rows(rows, columns, "省份 provinces", as_json)


def describe_call(data: bytes | str) -> str:
    """A proposal's call data as `function(name=value, …)`, decoded with the ABIs of Hurong's contracts."""
    raw = data if isinstance(data, bytes) else bytes.fromhex(data.removeprefix("0x"))
    for contract in _contracts():
        try:
            fn, args = contract.decode_function_input(raw)
        except ValueError:
            continue
        shown = ", ".join(f"{k}={_shown(v)}" for k, v in args.items())
        return f"{fn.fn_name}({shown})"
    return "0x" + raw.hex()


@cache
def _contracts() -> list[Any]:
    from web3 import Web3

    from ledger.toolchain.compiler import CONTRACT_NAMES, load_artifact

    return [Web3().eth.contract(abi=load_artifact(name).abi) for name in CONTRACT_NAMES]


def _shown(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    return str(value)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _time(value: Any) -> Any:
    """A time the service answered: seconds as ISO 8601, anything else as it came."""
    return format_time(value) if isinstance(value, int) else value

"""Health and metrics.

`GET /health` says whether writes can go through, not only whether the process is up:

- `ok` — the chain answers, every account the service signs for can pay for its anchors, the index is current;
- `lagging` — as `ok`, but the index trails the chain's head by more than `MAX_INDEX_LAG` blocks (reads are
  stale, writes wait for the index);
- `degraded` — writes fail or soon will: an account's balance cannot pay `low_balance_anchors` anchors at the
  current fees (`ANCHOR_GAS` each, at `2 × base fee + priority fee` per gas from the latest block, at most the
  configured cap; `eth_gasPrice` on a chain without a base fee), the chain's base fee is above the configured cap,
  or a key file of the keystore cannot be read;
- `unavailable` (HTTP 503 with `Retry-After`) — the chain does not answer.

Each cause is in `problems`, with a machine-readable `code`. The balance check is the costly part (one call per
account): it is reused for `FUNDS_CHECK_SECONDS`.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from web3 import Web3
from web3.exceptions import Web3Exception

from api.deps import ServiceDep
from api.service import Service
from ledger.chain.base import active_endpoint
from ledger.chain.client import make_web3
from ledger.errors import LedgerError
from ledger.keys.keystore import SECP256K1, read_key_header

log = logging.getLogger("hurong.api")

router = APIRouter(tags=["operations"])

#: Gas of one anchoring transaction, with room to spare (an anchor costs about 52,000).
ANCHOR_GAS = 75_000
#: Blocks the index may trail the chain's head before `/health` says `lagging`.
MAX_INDEX_LAG = 3
#: Seconds a check of the accounts' balances and the fees is reused.
FUNDS_CHECK_SECONDS = 5.0
#: Seconds `/health` waits for the chain.
CHAIN_TIMEOUT_SECONDS = 3.0

_CHAIN_ERRORS = (Web3Exception, OSError, LedgerError)
_UNAVAILABLE_EXAMPLE = {
    "status": "unavailable",
    "error": {"code": "chain_unavailable", "message": "the chain at http://127.0.0.1:8545 does not answer"},
    "problems": [{"code": "chain_unavailable", "message": "the chain at http://127.0.0.1:8545 does not answer"}],
    "chainId": 31337,
    "indexedBlock": 1234,
}


@router.get(
    "/health",
    responses={
        503: {
            "description": "The chain does not answer (`status` is `unavailable`); ask again after `Retry-After`.",
            "content": {"application/json": {"example": _UNAVAILABLE_EXAMPLE}},
        }
    },
)
def health(service: ServiceDep) -> Any:
    """Whether the service can answer and write: `status` (`ok`, `lagging`, `degraded`, or `unavailable` with
    HTTP 503), the `problems` behind it, chain id, head block, indexed block and contract addresses."""
    check = _check_of(service)
    indexed = service.indexer.indexed_block
    contracts = {name: rec.address for name, rec in service.deployment.contracts.items()}
    try:
        head = int(check.w3.eth.block_number)
        problems = check.funds(service)
        node = _node_of(service, check)
    except _CHAIN_ERRORS as exc:
        message = f"the chain at {', '.join(service.settings.endpoints)} does not answer: {type(exc).__name__}"
        log.warning("health: %s (%s)", message, exc)
        problem = {"code": "chain_unavailable", "message": message}
        body = {"status": "unavailable", "error": problem, "problems": [problem],
                "chainId": service.deployment.chain_id, "indexedBlock": indexed, "contracts": contracts}  # fmt: skip
        return JSONResponse(body, status_code=503, headers={"Retry-After": str(service.settings.retry_after_seconds)})
    lag = max(0, head - indexed)
    _set_gauges(service, head, indexed)
    problems = [*problems, *node.pop("problems")]
    status = "degraded" if problems else "ok"
    if lag > MAX_INDEX_LAG:
        problems = [*problems, {"code": "index_lagging", "lag": lag,
                                "message": f"the index is {lag} blocks behind the chain's head"}]  # fmt: skip
        status = "degraded" if status == "degraded" else "lagging"
    return {
        "status": status,
        "problems": problems,
        "chainId": service.deployment.chain_id,
        "headBlock": head,
        "indexedBlock": indexed,
        "indexLag": lag,
        "index": _index_of(service),
        "node": node,
        "contracts": contracts,
    }


def _node_of(service: Service, check: _HealthCheck) -> dict[str, Any]:
    """The endpoint that answers, its peers, the head block's age, and a `chain_stalled` problem when blocks
    stopped (`HURONG_MAX_BLOCK_AGE_SECONDS`)."""
    out: dict[str, Any] = {"endpoint": active_endpoint(check.w3), "endpoints": service.settings.endpoints,
                           "problems": []}  # fmt: skip
    try:
        out["peers"] = int(check.w3.net.peer_count)
    except _CHAIN_ERRORS:
        out["peers"] = None  # a node without the net namespace
    block = check.w3.eth.get_block("latest")
    age = max(0.0, time.time() - int(block["timestamp"]))
    out["headAge"] = round(age, 1)
    limit = service.settings.max_block_age_seconds
    if limit and age > limit:
        out["problems"].append({"code": "chain_stalled", "message": f"no block for {age:.0f} s: the validators "
                                "are not sealing (too few of them up?); writes wait until they do"})  # fmt: skip
    return out


def _index_of(service: Service) -> dict[str, str]:
    """The index's database (`sqlite` or `postgresql`) and this process's part in it: `writer`, or `reader` of
    a shared index another service instance writes."""
    return {"backend": service.indexer.engine.dialect.name, "role": service.indexer.role}


def metrics_endpoint(service: ServiceDep) -> Response:
    """Prometheus text format."""
    try:
        _set_gauges(service, int(_check_of(service).w3.eth.block_number), service.indexer.indexed_block)
    except _CHAIN_ERRORS as exc:  # the metrics are still worth serving; the gauges keep their last values
        log.warning("metrics: cannot read the chain's head: %s", exc)
    return Response(service.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")


def _set_gauges(service: Service, head: int, indexed: int) -> None:
    service.metrics.head_block.set(head)
    service.metrics.indexed_block.set(indexed)
    service.metrics.index_lag.set(max(0, head - indexed))


# ---------------------------------------------------------------------------------------------------- funds


@dataclass
class _HealthCheck:
    """One service's chain connection for health checks (a short timeout) and its cached funds check."""

    w3: Web3
    lock: threading.Lock = field(default_factory=threading.Lock)
    checked_at: float = float("-inf")
    problems: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[Path, tuple[int, str | None]] = field(default_factory=dict)

    def funds(self, service: Service) -> list[dict[str, Any]]:
        """The problems found by the last check of fees and balances, checked again when it is too old."""
        with self.lock:
            if time.monotonic() - self.checked_at >= FUNDS_CHECK_SECONDS:
                self.problems = self._check_funds(service)
                self.checked_at = time.monotonic()
            return list(self.problems)

    def _check_funds(self, service: Service) -> list[dict[str, Any]]:
        settings = service.settings
        problems: list[dict[str, Any]] = []
        accounts: list[str] = []
        for path, account in self._accounts(Path(settings.keystore_folder)):
            if account is None:
                problems.append({"code": "keystore_unreadable", "file": path.name,
                                 "message": f"key file {path.name} cannot be read"})  # fmt: skip
            else:
                accounts.append(account)
        if not accounts or settings.low_balance_anchors == 0:
            return problems
        base_fee = self.w3.eth.get_block("latest").get("baseFeePerGas")
        priority = int(settings.priority_fee_gwei * 10**9)
        cap = int(settings.max_fee_per_gas_gwei * 10**9)
        if base_fee is None:  # a chain without EIP-1559 fees
            fee_per_gas = min(int(self.w3.eth.gas_price), cap)
        else:
            if base_fee > cap:
                problems.append({"code": "fees_above_cap", "baseFeePerGas": str(base_fee), "maxFeePerGas": str(cap),
                                 "message": f"the chain's base fee {base_fee} wei is above the configured cap "
                                            f"of {cap} wei per gas"})  # fmt: skip
            fee_per_gas = min(2 * base_fee + priority, cap)
        required = settings.low_balance_anchors * ANCHOR_GAS * fee_per_gas
        low = []
        for account in accounts:
            balance = int(self.w3.eth.get_balance(account))  # type: ignore[arg-type]
            if balance < required:
                low.append((account, balance))
        names = _agency_names(service) if low else {}
        for account, balance in low:
            problem: dict[str, Any] = {"code": "low_balance", "account": account}
            if account in names:
                problem["agency"] = names[account]
            problem |= {
                "balance": str(balance),
                "required": str(required),
                "message": f"{names.get(account, account)} cannot pay for {settings.low_balance_anchors} anchors "
                f"at {fee_per_gas} wei per gas: its balance is {balance} wei, {required} wei are needed",
            }
            problems.append(problem)
        return problems

    def _accounts(self, folder: Path) -> list[tuple[Path, str | None]]:
        """The chain accounts of the key files `<address>.json` in the keystore (None for an unreadable file),
        their headers cached while the files do not change."""
        found: list[tuple[Path, str | None]] = []
        for path in sorted(folder.glob("0x*.json")) if folder.is_dir() else []:
            try:
                stamp = path.stat().st_mtime_ns
                cached = self.headers.get(path)
                if cached is None or cached[0] != stamp:
                    header = read_key_header(path)
                    cached = (stamp, header.address if header.algorithm == SECP256K1 else None)
                    self.headers[path] = cached
                if cached[1] is not None:
                    found.append((path, cached[1]))
            except (LedgerError, OSError):
                found.append((path, None))
        return found


_checks: weakref.WeakKeyDictionary[Service, _HealthCheck] = weakref.WeakKeyDictionary()
_checks_lock = threading.Lock()


def _check_of(service: Service) -> _HealthCheck:
    with _checks_lock:
        check = _checks.get(service)
        if check is None:
            w3 = make_web3(service.settings.endpoints, timeout=CHAIN_TIMEOUT_SECONDS)
            check = _checks[service] = _HealthCheck(w3)
        return check


def _agency_names(service: Service) -> dict[str, str]:
    try:
        return {str(row["account"]): str(row["name"]) for row in service.indexer.agencies()}
    except (LedgerError, SQLAlchemyError) as exc:
        log.warning("health: cannot read agency names from the index: %s", exc)
        return {}

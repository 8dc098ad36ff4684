"""Lean JSON-RPC for the verification hot path: the chain's head and a certificate's status in ~0.2 ms each.

A request through web3 (its middleware, formatters and `requests`) costs ~0.7–1 ms of CPU on a local node, several
times the node's own work; one-at-a-time verification makes two such reads per certificate (is the head still the
same block, and the certificate's status at it). `LeanRpc` sends those two over HTTP connections it keeps alive
(one per thread, `http.client`), encodes with orjson and checks every answer it decodes: a malformed answer is a
`ChainError`, never a wrong value. It talks to the endpoint web3 answered from last (`active_endpoint`), so web3's
failover still chooses the node; a transport failure is retried once on a fresh connection and then raised as
`RpcUnreachable`, on which callers go back to web3 (which fails over to the next endpoint).
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import re
import threading
import urllib.parse
from dataclasses import dataclass
from typing import Any

import orjson
from web3 import Web3

from ledger.chain.base import active_endpoint
from ledger.errors import ChainError, RpcError, RpcUnreachable

_HEX_QUANTITY = re.compile(r"0x(0|[1-9a-f][0-9a-f]{0,15})")
_HASH = re.compile(r"0x[0-9a-f]{64}")
_HEX_DATA = re.compile(r"0x(?:[0-9a-fA-F]{2})*")
_STATUS_WORDS = 4
#: `CertificateRegistry.statusOf(address,bytes32)`.
STATUS_OF_SELECTOR = Web3.keccak(text="statusOf(address,bytes32)")[:4]


@dataclass(frozen=True)
class Head:
    """A block's number, hash and time, as `eth_getBlockByNumber` answered them."""

    number: int
    hash: str
    timestamp: int

    def header(self) -> dict[str, Any]:
        """The fields a `ChainReader` takes from a block header."""
        return {"number": self.number, "hash": self.hash, "timestamp": self.timestamp}


def quantity(value: Any, what: str) -> int:
    """A JSON-RPC quantity (`0x`-prefixed hex, no leading zeros, at most 64 bits) as an int; `ChainError` else."""
    if not isinstance(value, str) or not _HEX_QUANTITY.fullmatch(value):
        raise ChainError(f"the node answered an invalid {what}: {str(value)[:80]!r}")
    return int(value, 16)


class LeanRpc:
    """JSON-RPC requests over kept-alive connections, one per thread, to the endpoint `w3` last answered from."""

    def __init__(self, w3: Web3, *, timeout: float = 10.0) -> None:
        self.w3 = w3
        self.timeout = timeout
        self._local = threading.local()
        self._open: set[http.client.HTTPConnection] = set()  # every thread's, closed together by `close`
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ requests

    def request(self, method: str, params: list[Any]) -> Any:
        """The result of one JSON-RPC request; `RpcError` for an error answer, `RpcUnreachable` when the endpoint
        cannot be reached, `ChainError` for an answer that is not JSON-RPC."""
        return _result(self._post(orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})))

    def _post(self, body: bytes) -> Any:
        """POST `body` and parse the JSON answer."""
        for attempt in (1, 2):
            connection, path, headers = self._connection()
            try:
                connection.request("POST", path, body, headers)
                response = connection.getresponse()
                data = response.read()
            except (http.client.HTTPException, OSError) as exc:
                self._drop()
                if attempt == 2:
                    raise RpcUnreachable(f"cannot reach the chain at {self._endpoint()}: {exc}") from None
                continue
            if response.status != 200:
                self._drop()
                raise RpcUnreachable(f"the chain at {self._endpoint()} answered HTTP {response.status}")
            try:
                return orjson.loads(data)
            except orjson.JSONDecodeError:
                raise ChainError("the node answered something other than JSON") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def head(self) -> Head:
        """The chain's latest block."""
        return _head(self.request("eth_getBlockByNumber", ["latest", False]))

    def status_words(self, registry: str, agency: str, digest: bytes, block: int) -> tuple[int, int, int, bytes]:
        """`statusOf(agency, digest)` of the registry at `block`: status, reason, time of the change, successor."""
        return decode_status(self.request("eth_call", status_call(registry, agency, digest, hex(block))))

    def head_and_status(
        self, registry: str, agency: str, digest: bytes, block_hash: str
    ) -> tuple[Head, tuple[int, int, int, bytes] | ChainError]:
        """In one HTTP request (a JSON-RPC batch): the chain's latest block, and `statusOf(agency, digest)` at the
        block `block_hash` (EIP-1898), or the error reading it answered (e.g. that block is no longer known)."""
        calls = [("eth_getBlockByNumber", ["latest", False]),
                 ("eth_call", status_call(registry, agency, digest, {"blockHash": block_hash}))]  # fmt: skip
        head, status = self.batch(calls)
        if isinstance(head, ChainError):
            raise head
        latest = _head(head)
        if isinstance(status, ChainError):
            return latest, status
        try:
            return latest, decode_status(status)
        except ChainError as exc:
            return latest, exc

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        """The results of several requests sent as one JSON-RPC batch, in the order of `calls`; an element the
        node answered with an error is that `RpcError`."""
        body = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
        answers = self._post(orjson.dumps(body))
        if not isinstance(answers, list) or len(answers) != len(calls):
            raise ChainError("the node answered a JSON-RPC batch with something other than one answer per request")
        by_id: dict[int, Any] = {}
        for answer in answers:
            ident = answer.get("id") if isinstance(answer, dict) else None
            if not isinstance(ident, int) or isinstance(ident, bool) or not 0 <= ident < len(calls) or ident in by_id:
                raise ChainError("the node answered a JSON-RPC batch with unknown or repeated ids")
            try:
                by_id[ident] = _result(answer)
            except RpcError as exc:
                by_id[ident] = exc
        return [by_id[i] for i in range(len(calls))]

    # ------------------------------------------------------------------ connections

    def _endpoint(self) -> str:
        return active_endpoint(self.w3)

    def _connection(self) -> tuple[http.client.HTTPConnection, str, dict[str, str]]:
        url = self._endpoint()
        held = getattr(self._local, "held", None)
        if held is not None and held[0] == url:
            if held[1] not in self._open:  # closed by `close`: it opens again on its next request
                with self._lock:
                    self._open.add(held[1])
            return held[1], held[2], held[3]
        self._drop()
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RpcUnreachable(f"not an HTTP endpoint: {url!r}")
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        connection = kind(parts.hostname, parts.port, timeout=self.timeout)
        headers = {"Content-Type": "application/json"}
        if parts.username is not None:
            secret = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
            headers["Authorization"] = "Basic " + base64.b64encode(secret.encode("utf-8")).decode("ascii")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._local.held = (url, connection, path, headers)
        with self._lock:
            self._open.add(connection)
        return connection, path, headers

    def _drop(self) -> None:
        held = getattr(self._local, "held", None)
        if held is not None:
            held[1].close()
            self._local.held = None
            with self._lock:
                self._open.discard(held[1])

    def close(self) -> None:
        """Close the connections of every thread (a thread that asks again opens a new one)."""
        with self._lock:
            connections, self._open = list(self._open), set()
        for connection in connections:
            connection.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter exit, modules may already be gone
            self.close()


def _result(answer: Any) -> Any:
    """The result of a parsed JSON-RPC answer; `RpcError` for an error answer, `ChainError` for anything else."""
    if not isinstance(answer, dict):
        raise ChainError("the node answered something other than a JSON-RPC object")
    error = answer.get("error")
    if error is not None:
        code = error.get("code") if isinstance(error, dict) else None
        message = error.get("message") if isinstance(error, dict) else None
        raise RpcError(code if isinstance(code, int) else 0, message if isinstance(message, str) else str(error))
    if "result" not in answer:
        raise ChainError("the node's JSON-RPC answer has neither a result nor an error")
    return answer["result"]


def _head(block: Any) -> Head:
    if not isinstance(block, dict):
        raise ChainError("the node answered no latest block")
    block_hash = block.get("hash")
    if not isinstance(block_hash, str) or not _HASH.fullmatch(block_hash):
        raise ChainError(f"the node answered an invalid block hash: {str(block_hash)[:80]!r}")
    return Head(quantity(block.get("number"), "block number"), block_hash,
                quantity(block.get("timestamp"), "block time"))  # fmt: skip


def status_call(registry: str, agency: str, digest: bytes, block: Any) -> list[Any]:
    """The parameters of the `eth_call` of `statusOf(agency, digest)` at `block` (a quantity or an EIP-1898
    object)."""
    address = bytes.fromhex(agency[2:])
    if len(address) != 20 or len(digest) != 32:
        raise ChainError("statusOf takes a 20-byte agency and a 32-byte digest")
    data = STATUS_OF_SELECTOR + bytes(12) + address + digest
    return [{"to": registry, "data": "0x" + data.hex()}, block]


def decode_status(answer: Any) -> tuple[int, int, int, bytes]:
    """`statusOf`'s answer (hex data of four words) as status, reason, time of the change and successor."""
    if not isinstance(answer, str) or not _HEX_DATA.fullmatch(answer):
        raise ChainError("the node answered statusOf with something other than hex data")
    raw = bytes.fromhex(answer[2:])
    if len(raw) != 32 * _STATUS_WORDS:
        raise ChainError(f"statusOf answered {len(raw)} bytes, not {32 * _STATUS_WORDS}")
    status, reason, updated = (int.from_bytes(raw[i * 32 : (i + 1) * 32], "big") for i in range(3))
    if status > 255 or reason >= 2**16 or updated >= 2**64:
        raise ChainError("statusOf answered values out of their types' ranges")
    return status, reason, updated, raw[96:128]

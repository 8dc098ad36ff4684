"""The shared ground of the contract clients: connecting to a node and the base class of every contract client.

`make_web3` builds a web3 instance over HTTP that caches only the node's constants (`CACHEABLE_REQUESTS`),
`chain_id_of` and `checksum` read and check what the clients pass on, and `_uint`, `_proof` and `_opt_address`
check or convert the arguments and results of contract functions. `_Connection` holds what clients of different
accounts share (web3, the contracts of a deployment, the event decoder, one `Transactor` per account), and
`_ContractClient` is the base of the per-contract clients (`ConsortiumClient`, `AuthorityRegistryClient`,
`CertificateRegistryClient`, `RecognitionRegistryClient`): calls, call data, simulation and sending.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, cast

import requests
from eth_typing import ChecksumAddress, HexAddress, HexStr
from eth_utils import is_address, to_checksum_address
from web3 import HTTPProvider, Web3
from web3.exceptions import ContractLogicError, Web3RPCError
from web3.middleware import ExtraDataToPOAMiddleware
from web3.types import BlockIdentifier, RPCEndpoint, RPCResponse

from ledger.chain.codes import parse_bytes32
from ledger.chain.deployment import Deployment
from ledger.chain.reverts import as_ledger_error
from ledger.chain.sessions import settled
from ledger.chain.transactions import EventDecoder, PendingTransaction, Transactor
from ledger.errors import ChainError, LedgerValueError
from ledger.toolchain.compiler import CONTRACT_NAMES, load_artifact

log = logging.getLogger("hurong.chain")

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ZERO32 = b"\0" * 32
Bytes32 = str | bytes


#: The only requests web3's response cache keeps: constants of the node. Blocks, receipts and transactions are
#: memoised by the readers that need them (`ledger.verification`, `ledger.index`) with their own bounds; web3's
#: cache would otherwise keep a thousand decoded blocks and receipts per process.
CACHEABLE_REQUESTS = {RPCEndpoint("eth_chainId"), RPCEndpoint("net_version"), RPCEndpoint("web3_clientVersion")}


#: The status changes a certificate's agency (or its province's admin) can make.
STATUS_ACTIONS = ("revoke", "suspend", "reinstate", "supersede")


def _http_provider(url: str, timeout: float, **kwargs: Any) -> HTTPProvider:
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise LedgerValueError(f"RPC URL must start with http:// or https://, got {url!r}")
    return settled(HTTPProvider(url, cache_allowed_requests=True, cacheable_requests=CACHEABLE_REQUESTS,
                                request_kwargs={"timeout": timeout}, **kwargs))  # fmt: skip


class FailoverHTTPProvider(HTTPProvider):
    """JSON-RPC over several endpoints of one chain, the preferred one (the province's own node) first: a request
    that fails to reach an endpoint (connection refused or reset, timeout, HTTP error) goes to the next, and the
    one that answered serves the next requests; the preferred endpoint is tried again every `retry_after` seconds.
    An answer, even a JSON-RPC error, is final: only transport failures move on."""

    def __init__(self, urls: Sequence[str], *, timeout: float = 60.0, retry_after: float = 30.0) -> None:
        if not urls:
            raise LedgerValueError("at least one RPC URL is needed")
        self.endpoints = [_http_provider(u, timeout, exception_retry_configuration=None) for u in urls]
        super().__init__(urls[0], request_kwargs={"timeout": timeout})
        self.retry_after = retry_after
        self._active = 0
        self._moved_at = 0.0
        self._lock = threading.Lock()

    @property
    def active_endpoint(self) -> str:
        """The URL of the endpoint that answered last."""
        return str(self.endpoints[self._active].endpoint_uri)

    def _order(self) -> list[int]:
        with self._lock:
            start = self._active
            if start and time.monotonic() - self._moved_at >= self.retry_after:
                start = 0  # the preferred endpoint again
        return [start, *(i for i in range(len(self.endpoints)) if i != start)]

    def _through(self, call: Callable[[HTTPProvider], Any]) -> Any:
        failure: BaseException | None = None
        for index in self._order():
            try:
                answer = call(self.endpoints[index])
            except (requests.RequestException, OSError) as exc:
                failure = exc
                log.warning("RPC endpoint %s failed (%s): trying the next", self.endpoints[index].endpoint_uri,
                            type(exc).__name__)  # fmt: skip
                continue
            with self._lock:
                if index != self._active:
                    log.warning("RPC endpoint now %s", self.endpoints[index].endpoint_uri)
                    self._active, self._moved_at = index, time.monotonic()
                self.endpoint_uri = self.endpoints[index].endpoint_uri
            return answer
        assert failure is not None
        raise failure

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        return cast(RPCResponse, self._through(lambda endpoint: endpoint.make_request(method, params)))

    def make_batch_request(self, batch_requests: list[tuple[RPCEndpoint, Any]]) -> Any:
        return self._through(lambda endpoint: endpoint.make_batch_request(batch_requests))


def make_web3(url: str | Sequence[str], *, timeout: float = 60.0) -> Web3:
    """A web3 instance over HTTP that caches the node's constants (chain id and the like); over a list of URLs of
    one chain it fails over from each to the next (`FailoverHTTPProvider`).

    It reads proof-of-authority chains too: a Clique block's `extraData` (vanity, signers, seal) is longer than
    the 32 bytes web3 otherwise accepts, and is answered as `proofOfAuthorityData`; shorter ones are unchanged.
    """
    urls = [url] if isinstance(url, str) else list(url)
    provider = _http_provider(urls[0], timeout) if len(urls) == 1 else FailoverHTTPProvider(urls, timeout=timeout)
    w3 = Web3(provider)
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    return w3


def active_endpoint(w3: Web3) -> str:
    """The URL the web3 instance's last answer came from."""
    provider = w3.provider
    if isinstance(provider, FailoverHTTPProvider):
        return provider.active_endpoint
    return str(getattr(provider, "endpoint_uri", ""))


def chain_id_of(w3: Web3) -> int:
    """The chain id the endpoint answers; `ChainError` naming the endpoint when it cannot be reached."""
    try:
        return int(w3.eth.chain_id)
    except Exception as exc:  # noqa: BLE001 (any transport failure)
        endpoint = getattr(w3.provider, "endpoint_uri", "the endpoint")
        raise ChainError(f"cannot reach the chain at {endpoint}: {exc}") from None


def checksum(value: str, *, what: str = "address") -> str:
    """A checksummed address; `LedgerValueError` for anything else."""
    if not isinstance(value, str) or not is_address(value):
        raise LedgerValueError(f"invalid {what}: {value!r}")
    return to_checksum_address(value)


def _uint(value: int, bits: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**bits:
        raise LedgerValueError(f"{what} must be an integer in [0, 2^{bits}), got {value!r}")
    return value


def _proof(proof: Sequence[Bytes32]) -> list[bytes]:
    if isinstance(proof, (str, bytes)):
        raise LedgerValueError("proof must be a list of 32-byte hashes")
    return [parse_bytes32(p, what="proof element") for p in proof]


def _opt_address(value: str) -> str | None:
    return None if int(value, 16) == 0 else to_checksum_address(value)


class _Connection:
    """What clients for different accounts share: web3, contracts, event decoder, transactors."""

    def __init__(self, w3: Web3, deployment: Deployment) -> None:
        self.w3 = w3
        self.deployment = deployment
        self.decoder = EventDecoder()
        self.contracts: dict[str, Any] = {}
        for name in CONTRACT_NAMES:
            contract = w3.eth.contract(
                address=ChecksumAddress(HexAddress(HexStr(deployment.address(name)))), abi=load_artifact(name).abi
            )
            self.contracts[name] = contract
            self.decoder.register(contract)
        self._transactors: dict[str, Transactor] = {}
        self._lock = threading.Lock()

    def transactor(self, private_key: str | bytes) -> Transactor:
        candidate = Transactor(self.w3, private_key, decoder=self.decoder)
        with self._lock:
            return self._transactors.setdefault(candidate.address, candidate)


class _ContractClient:
    name: str = ""

    def __init__(self, connection: _Connection, transactor: Transactor | None) -> None:
        self._conn = connection
        self._tx = transactor
        self.contract = connection.contracts[self.name]
        self.address: str = self.contract.address

    def _call(self, fn: str, *args: Any, block_identifier: BlockIdentifier = "latest") -> Any:
        try:
            return self.contract.functions[fn](*args).call(block_identifier=block_identifier)
        except (ContractLogicError, Web3RPCError) as exc:
            raise as_ledger_error(exc) from None

    def encode(self, fn: str, *args: Any) -> str:
        """ABI-encoded call data of `fn(*args)` (for proposals and raw transactions)."""
        return str(self.contract.encode_abi(fn, args=list(args)))

    def simulate(self, sender: str, fn: str, *args: Any) -> None:
        """Run `fn(*args)` as `sender` at the latest block without sending it; raise what it would revert with."""
        try:
            self.contract.functions[fn](*args).call({"from": sender}, block_identifier="latest")
        except (ContractLogicError, Web3RPCError) as exc:
            raise as_ledger_error(exc) from None

    def _send(self, fn: str, *args: Any, gas: int | None = None) -> PendingTransaction:
        if self._tx is None:
            raise LedgerValueError("this client has no account: create it with a private key to send transactions")
        return self._tx.send(self.address, self.encode(fn, *args), gas=gas)

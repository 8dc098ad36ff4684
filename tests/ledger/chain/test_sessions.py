"""JSON-RPC sessions read the environment's proxy, CA bundle and netrc settings once, when made
(`ledger.chain.sessions`), and use what requests would have read for every request."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
import requests

from ledger.chain.base import make_web3
from ledger.chain.node import Anvil
from ledger.chain.sessions import settle

URL = "http://127.0.0.1:8545"
_ENVIRONMENT = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY",
                "no_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NETRC")  # fmt: skip


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in _ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _per_request(url: str) -> dict[str, object]:
    """What requests reads from the environment for one request to `url`."""
    return requests.Session().merge_environment_settings(url, {}, None, None, None)


@pytest.mark.parametrize(
    "variables",
    [
        {},
        {"http_proxy": "http://proxy.example:3128"},
        {"http_proxy": "http://proxy.example:3128", "no_proxy": "127.0.0.1"},
        {"ALL_PROXY": "socks5://proxy.example:1080", "no_proxy": "example.org"},
        {"REQUESTS_CA_BUNDLE": "/etc/hurong/ca.pem"},
        {"CURL_CA_BUNDLE": "/etc/hurong/curl-ca.pem"},
    ],
)
def test_a_settled_session_holds_what_each_request_would_read(
    environment: pytest.MonkeyPatch, variables: dict[str, str]
) -> None:
    for name, value in variables.items():
        environment.setenv(name, value)
    expected = _per_request(URL)
    session = settle(requests.Session(), URL)
    assert session.trust_env is False
    assert session.proxies == expected["proxies"] and session.verify == expected["verify"]
    for name in variables:  # read once: a later change does not reach the session
        environment.delenv(name)
    assert session.merge_environment_settings(URL, {}, None, None, None) == expected


def test_netrc_credentials_are_read_once(environment: pytest.MonkeyPatch, tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login hurong password s3cret\n")
    netrc.chmod(0o600)
    environment.setenv("NETRC", str(netrc))
    assert settle(requests.Session(), URL).auth == ("hurong", "s3cret")
    assert settle(requests.Session(), "http://10.0.0.1:8545").auth is None


def test_a_node_is_reached_through_settled_sessions_one_per_thread(environment: pytest.MonkeyPatch) -> None:
    with Anvil(accounts=1) as node:
        w3 = make_web3(node.url)
        assert w3.eth.block_number == 0
        found: list[requests.Session] = []

        def read() -> None:
            assert w3.eth.block_number == 0
            manager = w3.provider._request_session_manager  # type: ignore[attr-defined]
            found.append(manager.cache_and_return_session(w3.provider.endpoint_uri))  # type: ignore[attr-defined]

        threads = [threading.Thread(target=read) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(found) == 2 and found[0] is not found[1]
        assert all(session.trust_env is False for session in found)


def test_a_proxy_from_the_environment_is_used(environment: pytest.MonkeyPatch) -> None:
    """A proxy named when the session is made carries its requests (here one that refuses them: nothing listens)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    with Anvil(accounts=1) as node:
        environment.setenv("http_proxy", f"http://127.0.0.1:{closed}")
        proxied = make_web3(node.url)
        with pytest.raises(requests.exceptions.ProxyError):
            proxied.eth.block_number  # noqa: B018
        environment.setenv("no_proxy", "127.0.0.1")
        assert make_web3(node.url).eth.block_number == 0  # a session made now goes straight to the node

"""HTTP sessions for JSON-RPC that read the environment's settings once, when made.

`requests` reads the environment for every request of a session that trusts it (`trust_env`, the default): the
proxy variables and `no_proxy` for the URL, the CA bundle variables, and `~/.netrc` for credentials. For a
JSON-RPC call to a node on the same machine that is ~160-240 µs of a ~1.2-1.5 ms call (`w3.eth.block_number` on
anvil). `SettledSessions` gives web3's HTTP provider the same per-thread sessions as before (`HTTPSessionManager`),
each settled for its endpoint when first used: the settings the environment gives then are set on the session
(`settle`), and it no longer reads them. A change of those variables reaches a process's connections when they are
made, as for the rest of its configuration.
"""

from __future__ import annotations

from typing import Any

import requests
from web3 import HTTPProvider
from web3._utils.http_session_manager import HTTPSessionManager


def settle(session: requests.Session, url: str) -> requests.Session:
    """Set on `session` the proxies, CA bundle, client certificate and netrc credentials the environment gives for
    `url` (as `requests` would read them for each request), and stop it reading the environment."""
    if not session.trust_env:
        return session
    settings = session.merge_environment_settings(url, {}, None, None, None)
    session.proxies.update(settings["proxies"])
    session.verify = settings["verify"]
    session.cert = settings["cert"]
    if session.auth is None:
        session.auth = requests.utils.get_netrc_auth(url)
    session.trust_env = False
    return session


class SettledSessions(HTTPSessionManager):
    """web3's sessions (one per thread and endpoint), each settled for its endpoint (`settle`) when first used."""

    def cache_and_return_session(self, endpoint_uri: Any, session: Any = None, request_timeout: Any = None) -> Any:
        made = super().cache_and_return_session(endpoint_uri, session, request_timeout)
        return settle(made, str(endpoint_uri))


def settled(provider: HTTPProvider) -> HTTPProvider:
    """`provider` with its sessions settled (`SettledSessions`; web3 8 keeps them in `_request_session_manager`)."""
    provider._request_session_manager = SettledSessions()  # noqa: SLF001 (web3 has no public hook for its sessions)
    return provider

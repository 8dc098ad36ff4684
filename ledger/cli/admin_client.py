"""The service's administration API as the `hurong` administration commands use it (`--api URL --api-key KEY`).

`AdminApi` speaks HTTP to `<URL>/api/v1` with the API key in `X-API-Key`, sends every write with a fresh
`Idempotency-Key` (so the one retry after a lost connection never makes a second transaction), and answers the
JSON body with its keys in camelCase. A refusal of the service becomes a `LedgerError` naming its status, its
code and its message; a service that cannot be reached, or answers something other than JSON, one too.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx

from ledger.errors import LedgerError, LedgerValueError

API_PREFIX = "/api/v1"
#: Writes are answered once mined: allow for a slow chain.
TIMEOUT_SECONDS = 180.0


class AdminApi:
    """A client of one service, acting with one API key (none: only the public lists)."""

    def __init__(self, url: str, api_key: str | None, *, timeout: float = TIMEOUT_SECONDS) -> None:
        if not re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?", url):
            raise LedgerValueError(f"service URL must start with http:// or https://, got {url!r}")
        base = url.rstrip("/")
        self.base_url = base if base.endswith(API_PREFIX) else base + API_PREFIX
        self.api_key = api_key
        self.timeout = timeout

    def get(self, path: str, params: dict[str, str] | None = None) -> Any:
        return self._request("GET", path, params=params)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """POST `body` as JSON; with no body, POST nothing (the routes that take none)."""
        return self._request("POST", path, body=body)

    def delete(self, path: str) -> Any:
        return self._request("DELETE", path)

    def rows(self, path: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """The `data` of a listing (`{"count", "data": [...]}`), or the listing itself when it is a list."""
        body = self.get(path, params)
        data = body.get("data") if isinstance(body, dict) else body
        if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
            raise LedgerError(f"服务应答无效 the service answered GET {path} with something other than a listing")
        return data

    def _request(
        self, method: str, path: str, *, params: dict[str, str] | None = None, body: dict[str, Any] | None = None
    ) -> Any:
        if method != "GET" and not self.api_key:
            raise LedgerValueError("writing through the service needs --api-key (or $HURONG_API_KEY)")
        headers = {"Accept": "application/json"} | ({"X-API-Key": self.api_key} if self.api_key else {})
        if method != "GET":
            headers["Idempotency-Key"] = str(uuid.uuid4())
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=self.timeout) as http:
            for attempt in (1, 2):
                try:
                    response = http.request(method, path, params=params, json=body)
                    break
                except httpx.TransportError as exc:
                    if attempt == 2:
                        raise LedgerError(f"无法连接服务 cannot reach the service at {self.base_url}: {exc}") from None
        if response.status_code >= 400:
            raise LedgerError(_refusal(method, path, response))
        if response.status_code == 204 or not response.content:
            return {}
        try:
            return camel_keys(response.json())
        except ValueError:
            raise LedgerError(f"服务应答无效 the service answered {method} {path} with no JSON") from None


def _refusal(method: str, path: str, response: httpx.Response) -> str:
    """One line: the service's status, error code and message."""
    try:
        error = response.json().get("error", {})
        code, message = str(error.get("code", "")), str(error.get("message", ""))
    except (ValueError, AttributeError):
        code, message = "", response.text[:200]
    named = f" {code}" if code else ""
    return f"服务拒绝 refused by the service: {method} {path}: {response.status_code}{named}: {message}"


def camel_keys(value: Any) -> Any:
    """`value` with the keys of every object in camelCase (`status_since` → `statusSince`)."""
    if isinstance(value, dict):
        return {_camel(str(k)): camel_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    return value


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)

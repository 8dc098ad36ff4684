"""The Hurong service: `uvicorn api.main:create_app --factory`, or `hurong serve`.

Every request passes, outermost first: `RequestContext` (its id, the security headers, Prometheus counts and
latency, a JSON 500 for anything that escapes), `Admission` (rate limits, the API key of the routes that take
one, then the body: size, JSON syntax and depth, duplicate keys), `HotRoutes` (the common verification requests,
answered ahead of the router), and the routes. Errors are answered
as `api.errors` sets out.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, MutableMapping
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from api import errors
from api.errors import error_body, internal_error_body
from api.hot_routes import HotRoutes
from api.json_body import Refusal, read_json_body
from api.routers import (
    admin_rules,
    agencies,
    api_keys,
    certificates,
    console,
    documents,
    governance,
    health,
    registry,
    trust_bundle,
    verify,
)
from api.routers import identifiers as licence_identifiers
from api.routers import printable as printable_licences
from api.routers import status_lists as bitstring_status_lists
from api.routers import vc_api as w3c_vc_api
from api.schemas import NOT_PARSED, PARSED_BODY
from api.security import DEFAULT_CSP, DOCS_ASSETS, SECURITY_HEADERS, content_security_policy, docs_assets_folder
from api.service import Service
from api.settings import Settings, get_settings
from api.supervision import router as supervision
from api.supervision.supervisor import Supervisor
from ledger.certificates.collection import freeze_start_up

API_PREFIX = "/api/v1"
#: The OpenAPI document's tags, in the order Swagger UI shows them.
OPENAPI_TAGS = [
    {"name": "verification", "description": "Verify certificates (验证): no API key needed"},
    {"name": "certificates", "description": "Issue certificates and change their status (an agency's key)"},
    {"name": "registers", "description": "The consortium's public registers: provinces, agencies, types, rules"},
    {"name": "governance", "description": "Proposals and votes of the provinces (联盟治理; a province admin's key)"},
    {"name": "agencies", "description": "Register and manage issuing agencies, their types and signing keys"},
    {"name": "recognition rules", "description": "Set and revoke the recognition rules of a province (互认规则)"},
    {"name": "API keys", "description": "API keys of a province's agencies (a province admin's key)"},
    {"name": "supervision", "description": "Statistics, alerts (电子监察), assist requests (协查), feedback (好差评)"},
    {"name": "operations", "description": "Health and metrics"},
]
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("hurong.api")

# --- security headers -------------------------------------------------------------------------------------------

_REQUEST_ID = re.compile(rb"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}")


class RequestContext:
    """Gives each request an id, adds it and the security headers to every response, counts requests by route
    template and status and observes their latency (Prometheus), and answers anything that escapes the layers
    inside with a JSON 500 (the traceback logged with the request id). Pure ASGI, one wrapper around `send`.

    The id is the caller's `X-Request-Id` when it is 1-128 characters of letters, digits and `._:-`; otherwise a
    new random one. It is kept in `scope["state"]["request_id"]`, where error answers find it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        stamp = [(b"x-request-id", request_id.encode()), *SECURITY_HEADERS]
        status = 0  # none sent yet

        async def stamped_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers") or ())
                if not any(name.lower() == b"content-security-policy" for name, _ in headers):
                    headers.append((b"content-security-policy", DEFAULT_CSP.encode()))
                message["headers"] = headers + stamp
            await send(message)

        unanswered = False
        try:
            await self.app(scope, receive, stamped_send)
        except Exception:
            log.exception("unexpected error in %s %s [request %s]", scope.get("method"), scope.get("path"), request_id)
            unanswered = not status
        finally:
            _measure(scope, status or 500, started)
        if unanswered:
            await send_json(stamped_send, 500, internal_error_body(request_id))


def _measure(scope: Scope, status: int, started: float) -> None:
    service: Service | None = getattr(scope["app"].state, "service", None) if "app" in scope else None
    if service is not None:
        template = getattr(scope.get("route"), "path", "unmatched")
        service.metrics.request_served(scope["method"], template, status, time.perf_counter() - started)


def _request_id(scope: Scope) -> str:
    given = _header(scope.get("headers") or (), b"x-request-id")
    if given is not None and _REQUEST_ID.fullmatch(given):
        return given.decode("ascii")
    return uuid.uuid4().hex


async def send_json(send: Send, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
    """Answer with a JSON body (used by the middleware, outside FastAPI's exception handlers)."""
    payload = json.dumps(body, ensure_ascii=False).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


# --- admission: rate limits, API keys, bodies -----------------------------------------------------------------


class TokenBuckets:
    """Token buckets by name (an API key's id, a client address): `rate` tokens a second, at most `burst`.

    The buckets live in this worker process only: with N worker processes a client may get up to N times the
    rate. At most `capacity` names are tracked; the one seen least recently is forgotten first (and starts
    again with a full bucket). Used from the event loop only, so it needs no lock.
    """

    def __init__(self, rate: float, burst: int, capacity: int = 65_536) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.capacity = capacity
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def _level(self, name: str, now: float) -> float:
        tokens, last = self._buckets.get(name, (self.burst, now))
        return min(self.burst, tokens + (now - last) * self.rate)

    def wait(self, name: str) -> float:
        """Seconds until `name` has a token (0: it has one now); takes nothing."""
        level = self._level(name, time.monotonic())
        return 0.0 if level >= 1 else (1 - level) / self.rate

    def take(self, name: str) -> float:
        """Take a token of `name`: 0 when there was one, else the seconds until there is one (nothing taken)."""
        now = time.monotonic()
        level = self._level(name, now)
        waited = 0.0 if level >= 1 else (1 - level) / self.rate
        self._buckets[name] = (level - 1 if waited == 0.0 else level, now)
        self._buckets.move_to_end(name)
        if len(self._buckets) > self.capacity:
            self._buckets.popitem(last=False)
        return waited


def _buckets(rate: float, burst: int) -> TokenBuckets | None:
    return TokenBuckets(rate, burst) if rate > 0 else None


def _rate_limited(wait: float, what: str) -> Refusal:
    seconds = max(1, math.ceil(wait))
    return Refusal(429, "rate_limited", f"too many requests from {what}; retry in {seconds} s",
                   {"Retry-After": str(seconds)})  # fmt: skip


def _is_json(content_type: bytes) -> bool:
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json"))


def _keyed_operations(api: FastAPI) -> dict[str, list[re.Pattern[str]]]:
    """Path patterns, by method, of the operations that take an API key (those with a security requirement)."""
    found: dict[str, list[re.Pattern[str]]] = {}
    for path, operations in api.openapi().get("paths", {}).items():
        pattern = re.compile("".join("[^/]+" if part.startswith("{") else re.escape(part)
                                     for part in re.split(r"(\{[^}]*\})", path)))  # fmt: skip
        for method, operation in operations.items():
            if operation.get("security"):
                found.setdefault(method.upper(), []).append(pattern)
    return found


def _header(headers: Iterable[tuple[bytes, bytes]], wanted: bytes) -> bytes | None:
    for name, value in headers:
        if name == wanted:
            return value
    return None


class Admission:
    """Admits a request before anything reads its body, refusing with JSON:

    - 429 `rate_limited` (with `Retry-After`) past the per-address limit;
    - for an operation that takes an API key: 401 without a key or with a wrong one, 429 once the address has
      presented too many wrong keys (the key is then not even checked), 429 past the per-key limit;
    - 413 `body_too_large` for a body over the limit, announced by Content-Length or streamed (chunked);
    - 400 `malformed_json`, `json_too_deep` or `duplicate_key` for a JSON body that is not JSON, nests deeper
      than `MAX_JSON_DEPTH`, or repeats a key in one object.

    The admitted principal is left in `scope["state"]["principal"]` for `api.deps.current_principal`; the body,
    read once, is handed on to the application.
    """

    def __init__(self, app: ASGIApp, *, api: FastAPI, settings: Settings) -> None:
        self.app = app
        self.api = api
        self.limit = settings.max_body_bytes
        self.per_address = _buckets(settings.rate_limit_per_address, settings.rate_limit_per_address_burst)
        self.per_key = _buckets(settings.rate_limit_per_key, settings.rate_limit_per_key_burst)
        self.failures = _buckets(settings.auth_failures_per_minute / 60, settings.auth_failures_burst)
        self._keyed: dict[str, list[re.Pattern[str]]] | None = None
        self._takes_key_memo: dict[tuple[str, str], bool] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = str(client[0]) if client else "unknown"
        refusal = None
        if self.per_address is not None and (wait := self.per_address.take(address)) > 0:
            refusal = _rate_limited(wait, "this address")
        elif self._takes_key(scope):
            refusal = self._authenticate(scope, address)
        if refusal is None:
            refusal, receive = await self._read_body(scope, receive)
        if refusal is None:
            await self.app(scope, receive, send)
        elif refusal.status:
            body = error_body(refusal.code, refusal.message, refusal.details, errors.request_id_of(scope))
            await send_json(send, refusal.status, body, refusal.headers)

    def _takes_key(self, scope: Scope) -> bool:
        method, path = scope["method"], scope["path"]
        known = self._takes_key_memo.get((method, path))
        if known is not None:
            return known
        if self._keyed is None:
            self._keyed = _keyed_operations(self.api)
        patterns = self._keyed.get(method)
        found = bool(patterns) and any(p.fullmatch(path) for p in patterns or ())
        if len(self._takes_key_memo) >= 4096:  # paths carry ids: remember the recent ones only
            self._takes_key_memo.clear()
        self._takes_key_memo[(method, path)] = found
        return found

    def _authenticate(self, scope: Scope, address: str) -> Refusal | None:
        raw = _header(scope.get("headers") or (), b"x-api-key")
        if not raw:
            return Refusal(401, "missing_api_key", "this endpoint needs an API key in the X-API-Key header")
        if self.failures is not None and (wait := self.failures.wait(address)) > 0:
            return _rate_limited(wait, "this address after too many wrong API keys")
        service: Service = self.api.state.service
        principal = service.keys.authenticate(raw.decode("latin-1"))
        if principal is None:
            if self.failures is not None:
                self.failures.take(address)
            return Refusal(401, "invalid_api_key", "the API key is unknown or revoked")
        if self.per_key is not None and (wait := self.per_key.take(principal.key_id)) > 0:
            return _rate_limited(wait, "this API key")
        scope.setdefault("state", {})["principal"] = principal
        return None

    async def _read_body(self, scope: Scope, receive: Receive) -> tuple[Refusal | None, Receive]:
        headers = scope.get("headers") or ()
        length = _header(headers, b"content-length")
        too_large = Refusal(413, "body_too_large", f"request bodies are limited to {self.limit} bytes")
        if length is not None:
            digits = length.strip()
            if not digits.isdigit():
                return Refusal(400, "bad_request", "Content-Length is not a number"), receive
            if len(digits.lstrip(b"0")) > 15 or int(digits) > self.limit:
                return too_large, receive
            if int(digits) == 0:
                return None, receive
        elif _header(headers, b"transfer-encoding") is None:
            return None, receive
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return Refusal(0, "disconnected", "the client went away"), receive
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                return too_large, receive
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        content_type = _header(headers, b"content-type")
        if body and content_type is not None and _is_json(content_type):
            refusal, parsed = read_json_body(body)
            if refusal is not None:
                return refusal, receive
            if parsed is not NOT_PARSED:
                scope.setdefault("state", {})[PARSED_BODY] = parsed  # for `JsonRoute`: the body is parsed once
        return None, _replay(body, receive)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives the body already read, then whatever the connection says next (a disconnect)."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def create_app(settings: Settings | None = None, service: Service | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        svc = service or Service(settings)
        app.state.service = svc
        svc.start()
        app.state.supervisor = Supervisor(svc)  # usage log anchoring, alerts, assist requests
        app.state.supervisor.start()
        frozen = freeze_start_up()
        log.info("start-up objects kept out of garbage collection: %d", frozen)
        try:
            yield
        finally:
            app.state.supervisor.stop()
            svc.stop()

    app = FastAPI(
        title="Hurong 互认",
        summary="Cross-province mutual recognition of electronic certificates on a permissioned ledger",
        version="0.1.0",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        openapi_tags=OPENAPI_TAGS,
        telemetry=None if settings.opentelemetry else {"tracing": False, "metrics": False, "logs": False},
    )
    app.dependency_overrides[get_settings] = lambda: settings
    errors.install(app, retry_after=settings.retry_after_seconds)

    admin = (governance.router, agencies.router, admin_rules.router, api_keys.router, documents.router)
    supervised = (supervision.router, supervision.assist_router)
    for router in (health.router, registry.router, certificates.router, verify.router, *admin, *supervised):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(licence_identifiers.router, prefix=API_PREFIX)
    app.include_router(printable_licences.router, prefix=API_PREFIX)
    app.include_router(bitstring_status_lists.router, prefix=API_PREFIX)
    app.include_router(w3c_vc_api.router, prefix=API_PREFIX)
    app.add_api_route(f"{API_PREFIX}/metrics", health.metrics_endpoint, methods=["GET"], tags=["operations"],
                      summary="Prometheus metrics")  # fmt: skip
    app.add_api_route("/metrics", health.metrics_endpoint, methods=["GET"], include_in_schema=False)
    for pages in (console.router, supervision.pages, documents.pages, trust_bundle.router):
        app.include_router(pages)
    _add_pages(app)
    _document_errors(app)

    app.add_middleware(HotRoutes, api=app, prefix=API_PREFIX, max_certificates=settings.max_certificates)
    app.add_middleware(Admission, api=app, settings=settings)
    app.add_middleware(RequestContext)
    return app


def _add_pages(app: FastAPI) -> None:
    """The verification page, Swagger UI from bundled assets (no CDN), the JSON-LD contexts and the index."""
    verify_page = (resources.files("api") / "static" / "verify.html").read_text(encoding="utf-8")
    swagger = get_swagger_ui_html(
        openapi_url=f"{API_PREFIX}/openapi.json",
        title="Hurong 互认 API",
        swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
        swagger_ui_parameters={"validatorUrl": None},
    )
    docs_page = bytes(swagger.body).decode("utf-8")
    verify_policy = {"Content-Security-Policy": content_security_policy(verify_page, images="'self' blob: data:")}
    docs_policy = {"Content-Security-Policy": content_security_policy(docs_page, images="'self' data:")}
    app.mount(DOCS_ASSETS, StaticFiles(directory=docs_assets_folder()), name="docs-assets")

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(docs_page, headers=docs_policy)

    @app.get("/contexts/{name}", include_in_schema=False)
    def context(name: str) -> Response:
        from ledger.certificates import load_context

        urls = {"v1": "https://w3id.org/hurong/contexts/v1", "credentials-v2": "https://www.w3.org/ns/credentials/v2"}
        if name not in urls:
            return JSONResponse(error_body("not_found", f"no context {name}"), status_code=404)
        return JSONResponse(load_context(urls[name]), media_type="application/ld+json")

    @app.get("/verify", response_class=HTMLResponse, include_in_schema=False)
    def verify_page_route() -> HTMLResponse:
        return HTMLResponse(verify_page, headers=verify_policy)

    @app.get("/", include_in_schema=False)
    def root() -> Response:
        return JSONResponse({"service": "hurong", "api": API_PREFIX, "docs": "/docs", "verify": "/verify"})


#: The error answers every operation may give, beyond those its router declares (see `_document_errors`).
_ERROR_STATUSES = {
    400: "Malformed JSON or a duplicate key in the body (`malformed_json`, `duplicate_key`)",
    401: "No API key, or an unknown or revoked one (`missing_api_key`, `invalid_api_key`)",
    403: "The key's principal may not do this",
    404: "Not found",
    409: "The ledger's state forbids this now (a contract's refusal, by its error's name)",
    413: "Request body over the limit (`body_too_large`), or too many certificates",
    422: "A field refused, each problem with its JSON Pointer and code",
    429: "Rate limited (`rate_limited`): retry after `Retry-After` seconds",
    500: "Unexpected error (`internal_error`), with the request id to quote",
    503: "The chain cannot be reached (`chain_unavailable`): retry after `Retry-After` seconds",
}


def _document_errors(app: FastAPI) -> None:
    """Add the error answers to every operation of the OpenAPI document, all with the `ErrorResponse` body.

    401 and 403 go to operations that take an API key, 409 to writes; 429 and 503 carry `Retry-After`.
    FastAPI's default 422 body is replaced: the service answers every error as `ErrorResponse`.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        model = errors_schema()
        components.update(model.pop("$defs", {}))
        components["ErrorResponse"] = model
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                _add_error_responses(method, operation)
        for unused in ("HTTPValidationError", "ValidationError"):
            if unused not in json.dumps(schema.get("paths", {})):
                components.pop(unused, None)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def errors_schema() -> dict[str, Any]:
    from api.schemas import ErrorResponse

    return ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")


def _add_error_responses(method: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    keyed = bool(operation.get("security"))
    retry_after = {"Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}}
    for status, description in _ERROR_STATUSES.items():
        if (status in (401, 403) and not keyed) or (status == 409 and method == "get"):
            continue
        declared = responses.setdefault(str(status), {"description": description})
        content = declared.setdefault("content", {}).setdefault("application/json", {})
        if status == 422 or "schema" not in content:  # FastAPI's 422 body is not what the service answers
            content["schema"] = {"$ref": "#/components/schemas/ErrorResponse"}
        if status in (429, 503):
            declared.setdefault("headers", {}).update(
                {k: v for k, v in retry_after.items() if k not in declared["headers"]}
            )

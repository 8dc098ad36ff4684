"""The Hurong service: `uvicorn api.main:create_app --factory`, or `hurong serve`."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse, Response

from . import errors
from .errors import error_body
from .routers import certificates, health, registry, verify
from .service import Service
from .settings import Settings, get_settings

API_PREFIX = "/api/v1"
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class BodyLimit:
    """Refuses request bodies over `limit` bytes with 413, whether announced by Content-Length or streamed."""

    def __init__(self, app: Callable[..., Awaitable[None]], limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await _too_large(send, self.limit)
            return
        seen = 0
        refused = False

        async def limited_receive() -> Message:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    refused = True
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            if refused:
                await _too_large(send, self.limit)


class Measure:
    """Counts requests by route template and status, and observes their latency (pure ASGI, no copies)."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            service: Service | None = getattr(scope["app"].state, "service", None) if "app" in scope else None
            if service is not None:
                template = getattr(scope.get("route"), "path", "unmatched")
                method = scope["method"]
                service.metrics.requests.labels(method, template, str(status)).inc()
                service.metrics.latency.labels(method, template).observe(time.perf_counter() - started)


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    import json

    body = json.dumps(error_body("body_too_large", f"request bodies are limited to {limit} bytes")).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def create_app(settings: Settings | None = None, service: Service | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        svc = service or Service(settings)
        app.state.service = svc
        svc.start()
        try:
            yield
        finally:
            svc.stop()

    app = FastAPI(
        title="Hurong 互认",
        summary="Cross-province mutual recognition of electronic certificates on a permissioned ledger",
        version="0.1.0",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.dependency_overrides[get_settings] = lambda: settings
    errors.install(app)

    for router in (health.router, registry.router, certificates.router, verify.router):
        app.include_router(router, prefix=API_PREFIX)
    app.add_api_route(f"{API_PREFIX}/metrics", health.metrics_endpoint, methods=["GET"], tags=["operations"],
                      summary="Prometheus metrics")  # fmt: skip
    app.add_api_route("/metrics", health.metrics_endpoint, methods=["GET"], include_in_schema=False)

    @app.get("/contexts/{name}", include_in_schema=False)
    def context(name: str) -> Response:
        from ledger.certificates import load_context

        urls = {"v1": "https://w3id.org/hurong/contexts/v1", "credentials-v2": "https://www.w3.org/ns/credentials/v2"}
        if name not in urls:
            return JSONResponse(error_body("not_found", f"no context {name}"), status_code=404)
        return JSONResponse(load_context(urls[name]), media_type="application/ld+json")

    @app.get("/verify", response_class=HTMLResponse, include_in_schema=False)
    def verify_page() -> HTMLResponse:
        page = resources.files("api") / "static" / "verify.html"
        return HTMLResponse(page.read_text(encoding="utf-8"))

    @app.get("/", include_in_schema=False)
    def root() -> Response:
        return JSONResponse({"service": "hurong", "api": API_PREFIX, "docs": "/docs", "verify": "/verify"})

    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(Measure)
    return app

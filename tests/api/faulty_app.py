"""The service with two faults planted for the tests of unexpected errors: a route that raises, and a middleware
(inside the service's own) that raises on one path. `uvicorn tests.api.faulty_app:create --factory`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI
from starlette.middleware import Middleware

from api.main import create_app

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


class Planted(Exception):
    pass


class RaisingMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/faulty-middleware":
            raise Planted("a planted fault in a middleware")
        await self.app(scope, receive, send)


def create() -> FastAPI:
    app = create_app()

    @app.get("/faulty-route")
    def faulty_route() -> None:
        raise Planted("a planted fault in a route")

    app.user_middleware.insert(1, Middleware(RaisingMiddleware))  # just inside the outermost layer
    return app

"""The hot routes, `POST /api/v1/verify` and `POST /api/v1/verify/bulk`, answered ahead of FastAPI's router.

Every verification request passes through FastAPI's router, its dependency resolution and a threadpool hop per
synchronous dependency: about as much CPU as the verification itself. `HotRoutes` sits inside the service's
middleware (request id, security headers, metrics, admission: rate limits and the body's size, JSON syntax,
depth and duplicate keys, all unchanged) and answers the common request itself: a JSON object the admission
middleware already parsed, valid for the route's body model, read from the index (no `at`, `block` or
`consistency=chain`, no other query parameter). It runs the very functions the FastAPI routes run
(`api.routers.verify.answer_one`, `answer_bulk`) and writes the same bytes and headers. Every other request —
one the body model refuses, a query to check, a past time or block — goes on to the FastAPI route, which gives
its answers and its errors as before; the route also keeps describing the operation in the OpenAPI document.
An exception raised while answering goes to the application's exception handler for its class, as it would
from the route.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.routers import verify
from api.schemas import NOT_PARSED, PARSED_BODY, json_bytes
from api.service import Service

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The query strings the hot path answers: none, or the default consistency spelt out.
_PLAIN_QUERIES = frozenset({b"", b"consistency=index"})
_JSON = b"application/json"


class HotRoutes:
    """Answers the common `POST /verify` and `POST /verify/bulk` requests without FastAPI's router (see the
    module's description); everything else goes on to `app`."""

    def __init__(self, app: ASGIApp, *, api: FastAPI, prefix: str, max_certificates: int) -> None:
        self.app = app
        self.api = api
        self.max_certificates = max_certificates
        self.one = f"{prefix}/verify"
        self.bulk = f"{prefix}/verify/bulk"
        self.paths = frozenset({self.one, self.bulk})
        self._routes: dict[str, APIRoute] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path")
        if path in self.paths and scope["type"] == "http" and scope["method"] == "POST":
            body = self._admitted_body(scope, verify.VerifyAsOfRequest if path == self.one else None)
            if body is not None:
                scope["route"] = self._route(path)  # the metrics' route template
                await self._answer(scope, receive, send, body)
                return
        await self.app(scope, receive, send)

    def _admitted_body(self, scope: Scope, model: type[BaseModel] | None) -> BaseModel | None:
        """The request's body as its model, when the hot path answers it; None to leave it to the route."""
        if scope.get("query_string", b"") not in _PLAIN_QUERIES:
            return None
        parsed = (scope.get("state") or {}).get(PARSED_BODY, NOT_PARSED)
        if not isinstance(parsed, dict):
            return None
        try:
            body = (model or verify.BulkVerifyAsOfRequest).model_validate(parsed)
        except ValidationError:
            return None  # the route answers with the problems, as it always did
        if body.at is not None or body.block is not None:  # type: ignore[attr-defined]
            return None  # past times and blocks read the chain: the route hops to a thread for them
        return body

    def _route(self, path: str) -> APIRoute:
        """The route FastAPI's router would have chosen (its `path`, the router's own, names it in the metrics)."""
        if self._routes is None:
            found = {r.path: r for r in verify.router.routes if isinstance(r, APIRoute) and "POST" in (r.methods or ())}
            self._routes = {self.one: found["/verify"], self.bulk: found["/verify/bulk"]}
        return self._routes[path]

    async def _answer(self, scope: Scope, receive: Receive, send: Send, body: BaseModel) -> None:
        service: Service = self.api.state.service
        try:
            if isinstance(body, verify.VerifyAsOfRequest):
                # From the index the work is a fraction of a millisecond over memoised or local reads: inline.
                payload = json_bytes(verify.answer_one(service, body, "index", _caller(scope, service)))
            else:
                payload = await run_in_threadpool(self._bulk, service, scope, body)
        except Exception as exc:  # noqa: BLE001 (answered by the handler of its class, or raised on)
            await self._handle(scope, receive, send, exc)
            return
        headers = [(b"content-length", str(len(payload)).encode()), (b"content-type", _JSON)]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    def _bulk(self, service: Service, scope: Scope, body: Any) -> bytes:
        verify.check_count(body, self.max_certificates)
        return json_bytes(verify.answer_bulk(service, body, "index", _caller(scope, service)))

    async def _handle(self, scope: Scope, receive: Receive, send: Send, exc: Exception) -> None:
        """Answer `exc` with the application's exception handler for its class (as the route's would), or raise
        it on (the request-context middleware answers a JSON 500)."""
        handlers = self.api.exception_handlers
        handler = next((handlers[cls] for cls in type(exc).__mro__ if cls in handlers and cls is not Exception), None)
        if handler is None:
            raise exc
        request = Request(scope, receive)
        answered = handler(request, exc)  # the service's handlers are coroutines and build JSON answers
        response: Response = await answered if inspect.isawaitable(answered) else answered
        await response(scope, receive, send)


def _caller(scope: Scope, service: Service) -> Any:
    for name, value in scope.get("headers") or ():
        if name == b"x-api-key":
            return verify.caller_of(service, value.decode("latin-1"))
    return None

"""Errors as JSON `{"error": {"code", "message"}}` with a 4xx status for anything the caller got wrong."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledger.errors import ChainError, ContractRevertError, LedgerError, LedgerValueError
from ledger.issuance import AnchoringFailed

log = logging.getLogger("hurong.api")


class ApiError(Exception):
    """An error the service answers with `status` and a machine-readable `code`."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        super().__init__(message)


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}


def _camel_to_snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message, exc.details), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        malformed = False
        for err in exc.errors():
            if err.get("type") == "json_invalid":
                malformed = True
            loc = [str(p) for p in err.get("loc", ()) if p != "body"]
            problems.append({"pointer": "/" + "/".join(loc), "code": err.get("type", "invalid"),
                             "message": err.get("msg", "invalid")})  # fmt: skip
        if malformed:
            return JSONResponse(error_body("malformed_json", "the request body is not valid JSON"), status_code=400)
        first = problems[0] if problems else {"pointer": "/", "message": "invalid request"}
        message = f"{first['pointer']}: {first['message']}"
        return JSONResponse(error_body("invalid_request", message, problems), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden"}
        code = codes.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))  # fmt: skip

    def contract_response(exc: ContractRevertError, message: str | None = None) -> JSONResponse:
        details = {k: ("0x" + v.hex() if isinstance(v, bytes) else v) for k, v in exc.arguments.items()}
        status = 403 if "Unauthorized" in exc.error_name or "NotActive" in exc.error_name else 409
        body = error_body(_camel_to_snake(exc.error_name), message or str(exc), details)
        return JSONResponse(body, status_code=status)

    @app.exception_handler(ContractRevertError)
    async def contract_error(_: Request, exc: ContractRevertError) -> JSONResponse:
        return contract_response(exc)

    @app.exception_handler(AnchoringFailed)
    async def anchoring_failed(_: Request, exc: AnchoringFailed) -> JSONResponse:
        if isinstance(exc.cause, ContractRevertError):
            return contract_response(exc.cause, str(exc))
        log.warning("anchoring failed: %s", exc)
        return JSONResponse(error_body("anchoring_failed", str(exc)), status_code=503)

    @app.exception_handler(LedgerValueError)
    async def value_error(_: Request, exc: LedgerValueError) -> JSONResponse:
        problems = getattr(exc, "problems", None)
        details = [p if isinstance(p, dict) else p.as_dict() for p in problems] if problems else None
        return JSONResponse(error_body("invalid_input", str(exc), details), status_code=422)

    @app.exception_handler(ChainError)
    async def chain_error(_: Request, exc: ChainError) -> JSONResponse:
        log.warning("chain unavailable: %s", exc)
        return JSONResponse(error_body("chain_unavailable", str(exc)), status_code=503)

    @app.exception_handler(LedgerError)
    async def ledger_error(_: Request, exc: LedgerError) -> JSONResponse:
        log.warning("refused: %s", exc)
        return JSONResponse(error_body("refused", str(exc)), status_code=409)

"""Every error the web server answers has one shape: ``{"error": {"code", "message"}}`` with a fitting status.

The desk's refusals keep their message (it is written for the user): not found 404, not permitted 403, a
change the ticket's state forbids or a limit 409, invalid input 422. A malformed JSON body is 400, a body
that does not fit the schema 422. Anything else is a bug: logged, and answered 500 without details.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import InvalidInput, InvalidTransition, LimitReached, NotFound, NotPermitted, TicketError

log = logging.getLogger(__name__)

REFUSALS: list[tuple[type[TicketError], int, str]] = [
    (NotFound, 404, "not_found"),
    (NotPermitted, 403, "not_permitted"),
    (InvalidTransition, 409, "invalid_transition"),
    (LimitReached, 409, "limit_reached"),
    (InvalidInput, 422, "invalid_input"),
    (TicketError, 400, "refused"),
]
HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "validation_error",
}  # fmt: skip


class ApiError(Exception):
    """An error answered as it is (the web adapter's own: a bad token, a bad signature, a bad cursor)."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.headers = headers


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def refusal(err: TicketError) -> tuple[int, str]:
    return next((status, code) for cls, status, code in REFUSALS if isinstance(err, cls))


def describe_validation(errors: Any) -> str:
    """Pydantic's errors as one line: ``body.subject: String should have at least 1 character; …``."""
    parts = []
    for err in list(errors)[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "the request does not fit the schema"


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into the error shape."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, str(exc), exc.headers)

    @app.exception_handler(TicketError)
    async def ticket_error(request: Request, exc: TicketError) -> JSONResponse:
        status, code = refusal(exc)
        return error_response(status, code, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return error_response(400, "malformed_json", "the body is not valid JSON")
        return error_response(422, "validation_error", describe_validation(errors))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, "error")
        message = str(exc.detail) if exc.detail else code.replace("_", " ")
        return error_response(exc.status_code, code, message, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return error_response(500, "internal_error", "something went wrong on our side; it was logged")

"""One error shape for the whole API, and the handlers that produce it.

Every refusal is an ``ApiError`` with a stable ``code`` named for what happened. The body is
always ``{"code", "message", "details", "request_id"}``; nothing else leaks, and unexpected
exceptions become a logged 500 with code ``internal.error``. Bad input never becomes a 500:
an undecodable body is ``request.malformed_body`` (400), a body or parameter of the wrong
shape is ``request.validation_failed`` (422).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    ClientException,
    HTTPException,
    SerializationException,
    ValidationException,
)
from sqlalchemy.exc import DBAPIError, IntegrityError

from api.observability import REQUEST_ID_HEADER, ensure_request_id

__all__ = ["ApiError", "api_error_response", "error_response", "exception_handlers"]

logger = structlog.get_logger(__name__)


class ApiError(Exception):
    """A refusal the client can act on."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}

    @classmethod
    def not_found(cls, what: str, code: str | None = None) -> ApiError:
        return cls(404, code or f"{what}.not_found", f"{what.replace('_', ' ').capitalize()} not found.")

    @classmethod
    def conflict(cls, code: str, message: str, **details: Any) -> ApiError:
        return cls(409, code, message, details)

    @classmethod
    def forbidden(cls, code: str, message: str, **details: Any) -> ApiError:
        return cls(403, code, message, details)

    @classmethod
    def unprocessable(cls, code: str, message: str, **details: Any) -> ApiError:
        return cls(422, code, message, details)


def error_response(request: Request, status: int, code: str, message: str,
                   details: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> Response[dict[str, Any]]:
    """The one error body. Also carries ``X-Request-ID``: errors raised outside the request
    middleware (unknown routes, authentication) never pass through it."""
    request_id = ensure_request_id(request.scope)
    return Response(
        {"code": code, "message": message, "details": details or {}, "request_id": request_id},
        status_code=status,
        media_type=MediaType.JSON,
        headers={**(headers or {}), REQUEST_ID_HEADER: request_id},
    )


def api_error_response(request: Request, exc: ApiError) -> Response[dict[str, Any]]:
    """The response for ``exc``; handlers return it when the transaction must still commit."""
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    if exc.status == 429 and "retry_after_seconds" in exc.details:
        headers = {"Retry-After": str(exc.details["retry_after_seconds"])}
    return error_response(request, exc.status, exc.code, exc.message, exc.details, headers)


# Litestar reports a missing body as a validation error on the handler's ``data`` argument.
_MISSING_BODY_MESSAGES = {"'data'", "Object missing required field `data`"}


def _validation(request: Request, exc: ValidationException) -> Response[dict[str, Any]]:
    extra = exc.extra if isinstance(exc.extra, list) else ([exc.extra] if exc.extra else [])
    if any(isinstance(e, dict) and e.get("key") == "data"
           and e.get("message") in _MISSING_BODY_MESSAGES for e in extra):
        return error_response(request, 400, "request.malformed_body",
                              "This route needs a JSON body.", {"reason": "missing body"})
    return error_response(request, 422, "request.validation_failed",
                          "The request has missing, unknown or wrongly typed fields.",
                          {"errors": extra})


def _client(request: Request, exc: ClientException) -> Response[dict[str, Any]]:
    # Litestar wraps the JSON decoder's failure in a plain 400; the cause tells them apart.
    if isinstance(exc.__cause__, SerializationException):
        return error_response(request, 400, "request.malformed_body",
                              "The body is not valid JSON.", {"reason": str(exc.__cause__)})
    return _http(request, exc)


_HTTP_CODES = {
    400: "request.invalid",
    401: "auth.required",
    403: "permission.denied",
    404: "route.not_found",
    405: "request.method_not_allowed",
    413: "request.too_large",
    415: "request.unsupported_media_type",
    429: "request.rate_limited",
}


def _http(request: Request, exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    if status == 503:
        return error_response(request, 503, "service.unavailable", str(exc.detail))
    if status >= 500:
        return _internal(request, exc)
    code = _HTTP_CODES.get(status, "request.invalid")
    message = str(exc.detail) if exc.detail else HTTPStatus(status).phrase
    return error_response(request, status, code, message, None, exc.headers)


# Unique constraints a race between two writers can hit after a service's own check passed.
_CONSTRAINT_CODES = {
    "uq_shops_slug": ("shop.slug_taken", "A shop with this slug already exists."),
    "uq_users_email": ("user.email_taken", "A user with this email already exists."),
    "uq_users_phone": ("user.phone_taken", "A user with this phone number already exists."),
}


def _integrity(request: Request, exc: IntegrityError) -> Response[dict[str, Any]]:
    constraint = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)
    code, message = _CONSTRAINT_CODES.get(
        constraint or "", ("resource.conflict", "The change conflicts with existing data."))
    return error_response(request, 409, code, message,
                          {"constraint": constraint} if constraint else None)


def _dbapi(request: Request, exc: DBAPIError) -> Response[dict[str, Any]]:
    sqlstate = getattr(getattr(exc.orig, "__cause__", None), "sqlstate", None)
    if sqlstate == "22P02":  # invalid text representation (a malformed id reached SQL)
        return error_response(request, 400, "request.invalid", "A value has the wrong format.")
    return _internal(request, exc)


def _internal(request: Request, exc: Exception) -> Response[dict[str, Any]]:
    logger.error("unhandled error", exc_info=exc, path=request.url.path)
    return error_response(request, 500, "internal.error", "Something went wrong on our side.")


exception_handlers = {
    ApiError: api_error_response,
    ValidationException: _validation,
    ClientException: _client,
    HTTPException: _http,
    IntegrityError: _integrity,
    DBAPIError: _dbapi,
    Exception: _internal,
}

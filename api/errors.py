"""One error shape for the whole API, and the handlers that produce it.

Every refusal is an ``ApiError`` with a stable ``code`` named for what happened. The body is
always ``{"code", "message", "details", "request_id"}``; nothing else leaks, and unexpected
exceptions become a logged 500 with code ``internal.error``.
"""

from __future__ import annotations

import uuid
from http import HTTPStatus
from typing import Any

import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from sqlalchemy.exc import DBAPIError, IntegrityError

__all__ = ["ApiError", "exception_handlers"]

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


def _request_id(request: Request) -> str:
    # Unmatched paths never reach the per-route middleware that assigns ids; give one anyway.
    state = request.scope.setdefault("state", {})
    return state.setdefault("request_id", uuid.uuid4().hex)


def error_response(request: Request, status: int, code: str, message: str,
                   details: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> Response[dict[str, Any]]:
    return Response(
        {"code": code, "message": message, "details": details or {},
         "request_id": _request_id(request)},
        status_code=status,
        media_type=MediaType.JSON,
        headers=headers,
    )


def _api_error(request: Request, exc: ApiError) -> Response[dict[str, Any]]:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return error_response(request, exc.status, exc.code, exc.message, exc.details, headers)


def _validation(request: Request, exc: ValidationException) -> Response[dict[str, Any]]:
    detail = str(exc.detail or "")
    if not exc.extra and request.method in {"POST", "PUT", "PATCH"}:
        # Litestar reports an undecodable body as a bare 400 with the decoder's message.
        return error_response(request, 400, "request.malformed_body",
                              "The body is not valid JSON for this route.", {"reason": detail})
    return error_response(
        request, 422 if exc.extra else 400,
        "request.validation_failed" if exc.extra else "request.invalid",
        detail or "The request is invalid.",
        {"errors": exc.extra} if exc.extra else None,
    )


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


def _integrity(request: Request, exc: IntegrityError) -> Response[dict[str, Any]]:
    # Services check the conflicts they know about; this catches races between two writers.
    constraint = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)
    return error_response(request, 409, "resource.conflict",
                          "The change conflicts with existing data.",
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
    ApiError: _api_error,
    ValidationException: _validation,
    NotAuthorizedException: _http,
    PermissionDeniedException: _http,
    NotFoundException: _http,
    MethodNotAllowedException: _http,
    HTTPException: _http,
    IntegrityError: _integrity,
    DBAPIError: _dbapi,
    Exception: _internal,
}

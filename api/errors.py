"""One error shape for the whole API, and the handlers that produce it.

Every refusal is an ``ApiError`` with a stable ``code`` named for what happened. The body is
always ``{"code", "message", "details", "request_id"}``; nothing else leaks, and unexpected
exceptions become a logged 500 with code ``internal.error``. Bad input never becomes a 500:
an undecodable body is ``request.malformed_body`` (400), a body or parameter of the wrong
shape is ``request.validation_failed`` (422). A database that is away (refused or dropped
connections, a pool that cannot hand one out in time) is a prompt 503
``database.unavailable``, whatever layer noticed it.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import asyncpg
import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    ClientException,
    HTTPException,
    SerializationException,
    ValidationException,
)
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from api.observability import REQUEST_ID_HEADER, ensure_request_id

__all__ = ["ApiError", "api_error_response", "database_unavailable", "error_response",
           "exception_handlers", "is_database_unavailable"]

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
    if exc.status in (429, 503) and "retry_after_seconds" in exc.details:
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


# Constraints a race between two writers can hit after a service's own check passed, each
# with the refusal the service would have given. Every slice registers its own, in its
# ``errors.py`` (imported by the services that write those tables), so that nothing here
# names a feature; the handler's lookup stays one dict access.
_constraint_codes: dict[str, tuple[str, str]] = {}
_CONFLICT = ("resource.conflict", "The change conflicts with existing data.")


def register_constraint_codes(codes: dict[str, tuple[str, str]]) -> None:
    """Map constraint names to ``(code, message)``; a name claimed twice differently is a bug."""
    for constraint, refusal in codes.items():
        if _constraint_codes.setdefault(constraint, refusal) != refusal:
            raise ValueError(f"constraint {constraint!r} already maps to "
                             f"{_constraint_codes[constraint]!r}")


def _integrity(request: Request, exc: IntegrityError) -> Response[dict[str, Any]]:
    constraint = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)
    code, message = _constraint_codes.get(constraint or "", _CONFLICT)
    return error_response(request, 409, code, message,
                          {"constraint": constraint} if constraint else None)


def _dbapi(request: Request, exc: DBAPIError) -> Response[dict[str, Any]]:
    sqlstate = getattr(getattr(exc.orig, "__cause__", None), "sqlstate", None)
    if sqlstate == "22P02":  # invalid text representation (a malformed id reached SQL)
        return error_response(request, 400, "request.invalid", "A value has the wrong format.")
    return _internal(request, exc)


# Connection exceptions (08), operator intervention (57P01-57P03: shutdown, crash, starting
# up), too many connections (53300).
_UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})
_UNAVAILABLE_TYPES: tuple[type[BaseException], ...] = (
    PoolTimeoutError,  # the pool could not hand out a connection in time
    asyncpg.PostgresConnectionError,
    asyncpg.ConnectionDoesNotExistError,  # the server closed it mid-request
    asyncpg.CannotConnectNowError,
)
# Refused, reset, a socket that is gone, a connect timeout: only when the database driver
# raised them (a handler's own OSError is a bug, and stays a logged 500).
_DRIVER_TYPES: tuple[type[BaseException], ...] = (OSError, TimeoutError)
_DRIVER_PATHS = ("/asyncpg/", "/sqlalchemy/")


def _raised_by_driver(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        if any(part in tb.tb_frame.f_code.co_filename for part in _DRIVER_PATHS):
            return True
        tb = tb.tb_next
    return False


def _causes(exc: BaseException):  # type: ignore[no-untyped-def]
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen or len(seen) > 20:
            continue
        seen.add(id(current))
        yield current
        todo.extend((current.__cause__, current.__context__,
                     getattr(current, "orig", None)))


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says the database cannot be reached right now."""
    for current in _causes(exc):
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if str(getattr(current, "sqlstate", "") or "")[:2] == "08" or getattr(
                current, "sqlstate", None) in _UNAVAILABLE_SQLSTATES:
            return True
        if isinstance(current, _UNAVAILABLE_TYPES) or (
                isinstance(current, asyncpg.InterfaceError) and "closed" in str(current)) or (
                isinstance(current, _DRIVER_TYPES) and _raised_by_driver(current)):
            return True
    return False


def database_unavailable() -> ApiError:
    return ApiError(503, "database.unavailable", "The database is unavailable. Try again shortly.",
                    {"retry_after_seconds": 2})


def _internal(request: Request, exc: Exception) -> Response[dict[str, Any]]:
    if is_database_unavailable(exc):
        logger.warning("database unavailable", path=request.url.path, error=type(exc).__name__)
        return api_error_response(request, database_unavailable())
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

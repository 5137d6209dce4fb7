"""Structured logs (JSON in production, readable in a terminal) and request ids."""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from typing import Any

import msgspec
import structlog
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import Counter, Histogram

__all__ = ["REQUEST_ID_HEADER", "RequestContextMiddleware", "configure_logging",
           "ensure_request_id", "redact_secrets", "redact_text"]

REQUEST_ID_HEADER = "X-Request-ID"
_HEADER_BYTES = REQUEST_ID_HEADER.lower().encode()
# What we accept from a caller: short, printable, safe to echo into headers and logs.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


# Keys whose values are never logged, at any depth of an event (matched case-insensitively,
# as substrings: ``new_password``, ``refresh_token``, ``x-api-key-secret``...).
_SECRET_KEYS = ("password", "passwd", "token", "secret", "authorization", "cookie", "api_key")
_REDACTED = "[redacted]"
# Secrets inside free text (exception messages, tracebacks, reprs of requests and bodies).
_SECRET_PATTERNS = (
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 " + _REDACTED),
    (re.compile(r"eyJ[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*){0,2}"), _REDACTED),  # JWTs
    # Integration keys: the 8-hex prefix is safe to log (it is listed); the rest is not.
    (re.compile(r"\b(sdk_[0-9a-f]{8})[0-9a-f]*(?:_[A-Za-z0-9_-]*)?"), r"\1" + _REDACTED),
    (re.compile(r"(?i)([\w-]*(?:password|passwd|token|secret|authorization|cookie)[\w-]*"
                r"[\"']?\s*[:=]\s*[\"']?)[^\"'\s,;&})\]]+"), r"\1" + _REDACTED),
)


# Every pattern above needs one of these words: a text with none of them (most log fields:
# paths, methods, ids, timestamps) is returned after one scan instead of four substitutions.
_MAY_HOLD_SECRET = re.compile(
    r"(?i)bearer|basic|eyJ|sdk_|password|passwd|token|secret|authorization|cookie")


def redact_text(text: str) -> str:
    """``text`` with every recognisable secret replaced."""
    if _MAY_HOLD_SECRET.search(text) is None:
        return text
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redact(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if depth > 8:
        return value
    if isinstance(value, dict):
        return {k: _REDACTED if isinstance(k, str) and _is_secret_key(k) else
                _redact(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact(v, depth + 1) for v in value)
    return value


def _is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in _SECRET_KEYS) and lowered not in _NOT_SECRET_KEYS


# Names that contain a secret-sounding word but hold none.
_NOT_SECRET_KEYS = frozenset({"token_type", "token_id"})


def redact_secrets(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: no password, token, key secret or Authorization header survives,
    whichever key or text carries it. Runs after tracebacks are rendered to text."""
    return _redact(event)  # type: ignore[no-any-return]


def _json_line(event: dict[str, Any], **_: Any) -> str:
    # msgspec rather than json.dumps: one log line per request, on the hot path.
    return msgspec.json.encode(event, enc_hook=repr).decode()


def configure_logging(log_format: str, level: str) -> None:
    # Tracebacks without local variables (rich's console tracebacks show them: a password
    # argument, a token), rendered to text before redaction in both formats.
    renderer = (
        structlog.processors.JSONRenderer(serializer=_json_line)
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty(),
                                           exception_formatter=structlog.dev.plain_traceback)
    )
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    scrub = [structlog.processors.format_exc_info, redact_secrets]
    structlog.configure(
        processors=[*shared, *scrub, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level, logging.INFO)),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    # Route stdlib logging (uvicorn, sqlalchemy, our modules) through the same renderer.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *scrub, renderer],
        foreign_pre_chain=shared))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("uvicorn.access").disabled = True  # we log requests ourselves
    # pycasbin prints its whole model at INFO each time an enforcer is built.
    logging.getLogger("casbin").setLevel(max(logging.WARNING, root.level))


def ensure_request_id(scope: Scope | dict[str, Any]) -> str:
    """This request's id: assigned once, from a sane ``X-Request-ID`` or freshly generated.

    Errors raised before any route middleware ran (unknown route, wrong method) call this
    too, so every response carries an id.
    """
    state = scope.setdefault("state", {})
    request_id = state.get("request_id")
    if request_id is None:
        incoming = ""
        for name, value in scope.get("headers", ()):
            if name == _HEADER_BYTES:
                incoming = value.decode("latin-1")
                break
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        state["request_id"] = request_id
    return request_id


def _status_of(exc: BaseException) -> int:
    # An exception leaving this middleware becomes a response outside it, in Litestar's
    # exception middleware; log the status it will get.
    return int(getattr(exc, "status", None) or getattr(exc, "status_code", None) or 500)


REQUESTS = Counter("shopdesk_http_requests_total", "HTTP requests answered.",
                   ["method", "route", "status"])
LATENCY = Histogram("shopdesk_http_request_seconds", "Time to answer an HTTP request.",
                    ["method", "route"])


class RequestContextMiddleware:
    """Gives every request an id (the caller's ``X-Request-ID`` if sane), logs it once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log = structlog.get_logger("shopdesk.request")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = ensure_request_id(scope)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                if not any(name.lower() == _HEADER_BYTES for name, _ in headers):
                    headers.append((_HEADER_BYTES, request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except BaseException as exc:
            status = _status_of(exc)
            raise
        finally:
            elapsed = time.perf_counter() - started
            # The route's template, never the raw path: ids would explode label cardinality.
            route = scope.get("path_template", "unmatched")
            REQUESTS.labels(scope["method"], route, str(status)).inc()
            LATENCY.labels(scope["method"], route).observe(elapsed)
            self.log.info("request", method=scope["method"], path=scope["path"], status=status,
                          ms=round(elapsed * 1000, 2))
            structlog.contextvars.clear_contextvars()

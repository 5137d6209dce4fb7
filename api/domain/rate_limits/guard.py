"""The rate-limit guard: one counter UPSERT per request made with an integration key.

Every process counts in the same rows (``rate_limit_counters``: a fixed window per bucket,
``shop`` and ``key:<id>``), through ``rate_limit_hit``, a SECURITY DEFINER function that
increments both buckets and reads the shop's limits (the firm's, or the defaults) in one
statement, on an autocommit connection of the asyncpg pool (``api.db.reader``: the hot paths'
pool; through SQLAlchemy's engine the same call cost twice the CPU): one statement, no
transaction of its own, so a request that fails or rolls back has still been counted.
Staff requests are not limited here (sign-in has its own limits).

Answers carry ``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset`` (IETF
httpapi draft; the tighter bucket's figures), and a refusal is a 429
``rate_limit.exceeded`` with ``Retry-After``.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Message, Scope

from api.auth.principal import IntegrationKeyPrincipal
from api.db.reader import acquire
from api.errors import ApiError
from api.routing import PUBLIC_KEY
from api.settings import RateLimitSettings

__all__ = ["rate_limit_guard", "rate_limit_headers"]

_STATE_KEY = "rate_limit"
_HIT = "SELECT bucket, hits, max_hits, reset_seconds FROM rate_limit_hit($1, $2, $3, $4, $5)"


async def rate_limit_guard(connection: ASGIConnection[Any, Any, Any, Any],
                           handler: BaseRouteHandler) -> None:
    if handler.opt.get(PUBLIC_KEY) or "user" not in connection.scope:
        return
    principal = connection.scope.get("user")
    shop_id = connection.path_params.get("shop_id")
    if not isinstance(principal, IntegrationKeyPrincipal) or shop_id is None:
        return
    limits: RateLimitSettings = connection.app.state.settings.rate_limits
    conn = await acquire(connection.app.state)
    try:
        rows = await conn.fetch(_HIT, shop_id, principal.key_id, limits.window_seconds,
                                limits.per_key, limits.per_shop)
    finally:
        await connection.app.state.reader_pool.release(conn)
    tightest = min(rows, key=lambda r: (r["max_hits"] - r["hits"], r["bucket"] != "shop"))
    max_hits, hits = tightest["max_hits"], tightest["hits"]
    reset_seconds = tightest["reset_seconds"]
    remaining = max(0, max_hits - hits)
    connection.scope.setdefault("state", {})[_STATE_KEY] = (max_hits, remaining, reset_seconds)
    if hits > max_hits:
        bucket = "shop" if tightest["bucket"] == "shop" else "key"
        raise ApiError(429, "rate_limit.exceeded",
                       f"Too many requests for this {'shop' if bucket == 'shop' else 'key'}; "
                       "retry after the window resets.",
                       {"retry_after_seconds": reset_seconds, "bucket": bucket,
                        "limit": max_hits})


async def rate_limit_headers(message: Message, scope: Scope) -> None:
    """``before_send``: the counters' figures on every answer to a limited request."""
    if message["type"] != "http.response.start":
        return
    figures = scope.get("state", {}).get(_STATE_KEY)
    if figures is None:
        return
    limit, remaining, reset = figures
    headers = list(message.get("headers", []))
    headers += [(b"ratelimit-limit", str(limit).encode()),
                (b"ratelimit-remaining", str(remaining).encode()),
                (b"ratelimit-reset", str(reset).encode())]
    message["headers"] = headers  # type: ignore[typeddict-unknown-key]

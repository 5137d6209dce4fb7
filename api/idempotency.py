"""``Idempotency-Key`` for creating POSTs: the first answer, replayed.

Opt a handler in by stacking ``@idempotent`` under its route decorator::

    @post("/", **requires("staff:add"))
    @idempotent
    async def add_member(self, shop_session: ..., data: ...) -> MemberAdded: ...

The handler must take ``shop_session`` or ``db_session``. The decorator adds the optional
``Idempotency-Key`` header to the handler's signature (so OpenAPI documents it) and, when
a key is sent, claims it in the request's own transaction before the handler runs:

- a new key: the handler runs; its status and body are stored in the same transaction, so
  they exist exactly when the change does (if the handler fails, the key is free again);
- a key already answered with the same method, path and body: that answer, replayed
  (``Idempotency-Replayed: true``), nothing runs;
- the same key with another request: 422 ``idempotency.key_reused``;
- the same key while its first request is still running: this one waits for it (the
  primary key's row lock) and then replays it; after ``WAIT_SECONDS``, 409
  ``idempotency.in_progress``.

Keys are scoped to the caller (a user or an integration key) and the shop (the nil UUID for
firm routes) and expire after 24 hours; the webhook dispatcher prunes expired ones.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any, TypeVar
from uuid import UUID

import msgspec
from litestar import MediaType, Request, Response
from litestar.params import HeaderParameter
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.principal import IntegrationKeyPrincipal
from api.db.shop_context import FIRM_SCOPE, bound_to
from api.errors import ApiError

__all__ = ["HEADER", "REPLAYED_HEADER", "TTL_HOURS", "idempotent", "is_idempotent"]

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotency-Replayed"
TTL_HOURS = 24
WAIT_SECONDS = 10
_MARK = "__shopdesk_idempotent__"

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])

KeyHeader = Annotated[str | None, HeaderParameter(
    name=HEADER, required=False, min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$",
    description="Makes this creating request safe to retry: the same key with the same body "
                "returns the first answer (for 24 hours); with another body, 422.")]

_CLAIM = text(
    "INSERT INTO idempotency_keys AS k (shop_id, caller, key, route, request_hash, expires_at) "
    "VALUES (:s, :c, :k, :r, :h, now() + make_interval(hours => :ttl)) "
    "ON CONFLICT (shop_id, caller, key) DO UPDATE SET route = EXCLUDED.route, "
    "request_hash = EXCLUDED.request_hash, response_status = 0, response_body = ''::bytea, "
    "created_at = now(), expires_at = EXCLUDED.expires_at WHERE k.expires_at < now() "
    "RETURNING 1")
_EXISTING = text(
    "SELECT route, request_hash, response_status, response_body FROM idempotency_keys "
    "WHERE shop_id = :s AND caller = :c AND key = :k")
_STORE = text(
    "UPDATE idempotency_keys SET response_status = :st, response_body = :b "
    "WHERE shop_id = :s AND caller = :c AND key = :k")


def is_idempotent(fn: Any) -> bool:
    return bool(getattr(fn, _MARK, False))


def _caller(request: Request[Any, Any, Any]) -> str:
    principal = request.user
    if isinstance(principal, IntegrationKeyPrincipal):
        return f"key:{principal.key_id}"
    return f"user:{principal.user_id}"


async def _fingerprint(request: Request[Any, Any, Any]) -> bytes:
    raw = await request.body()
    try:  # the same JSON, whatever its spacing or key order, is the same request
        canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = raw
    return hashlib.sha256(f"{request.method} {request.url.path}\n".encode() + canonical).digest()


def _encode(result: Any, default_status: int) -> tuple[int, bytes]:
    if isinstance(result, Response):
        content = result.content
        body = content if isinstance(content, bytes) else msgspec.json.encode(content)
        return result.status_code, body
    return default_status, b"" if result is None else msgspec.json.encode(result)


def idempotent(fn: F) -> F:
    """Make a creating handler honour ``Idempotency-Key`` (see the module's docstring)."""
    sig = inspect.signature(fn)
    names = set(sig.parameters)
    session_name = next((n for n in ("shop_session", "db_session") if n in names), None)
    if session_name is None:
        raise TypeError(f"{fn.__qualname__}: @idempotent needs shop_session or db_session")
    if "idempotency_key" in names:
        return fn  # the handler reads Idempotency-Key itself (store actions): leave it be
    wants_request = "request" in names
    extra = [inspect.Parameter("idempotency_key", inspect.Parameter.KEYWORD_ONLY,
                               default=None, annotation=KeyHeader)]
    if not wants_request:
        extra.insert(0, inspect.Parameter("request", inspect.Parameter.KEYWORD_ONLY,
                                          annotation=Request))

    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        key: str | None = kwargs.pop("idempotency_key", None)
        request: Request[Any, Any, Any] = (kwargs["request"] if wants_request
                                           else kwargs.pop("request"))
        if key is None:
            return await fn(*args, **kwargs)
        session: AsyncSession = kwargs[session_name]
        shop_id: UUID = request.path_params.get("shop_id") or FIRM_SCOPE
        ids = {"s": shop_id, "c": _caller(request), "k": key}
        fingerprint = await _fingerprint(request)
        firm = session_name == "db_session"  # firm routes: the key lives in the firm's scope
        async with _scope(session, shop_id, firm):
            replay = await _claim(session, ids, fingerprint, request.url.path)
        if replay is not None:
            return replay
        result = await fn(*args, **kwargs)
        status, body = _encode(result, request.route_handler.status_code or 201)
        async with _scope(session, shop_id, firm):
            await session.execute(_STORE, {**ids, "st": status, "b": body})
        return result

    wrapper.__signature__ = sig.replace(  # type: ignore[attr-defined]
        parameters=[*sig.parameters.values(), *extra])
    wrapper.__annotations__ = {**fn.__annotations__, **{p.name: p.annotation for p in extra}}
    setattr(wrapper, _MARK, True)
    return wrapper  # type: ignore[return-value]


@contextlib.asynccontextmanager
async def _scope(session: AsyncSession, shop_id: UUID, firm: bool) -> AsyncIterator[None]:
    """A shop session is already bound to its shop; a firm session is bound for the step."""
    if not firm:
        yield
        return
    async with bound_to(session, shop_id):
        yield


async def _claim(session: AsyncSession, ids: dict[str, Any], fingerprint: bytes, route: str
                 ) -> Response[bytes] | None:
    """``None`` when this request owns the key; the stored answer when it is a replay."""
    await session.execute(text(f"SET LOCAL lock_timeout = '{WAIT_SECONDS}s'"))
    try:
        claimed = (await session.execute(_CLAIM, {**ids, "r": route[:500], "h": fingerprint,
                                                  "ttl": TTL_HOURS})).first()
    except DBAPIError as exc:
        if getattr(getattr(exc.orig, "__cause__", None), "sqlstate", None) == "55P03":
            raise ApiError(409, "idempotency.in_progress",
                           "A request with this Idempotency-Key is still running; retry later.",
                           {"header": HEADER}) from None
        raise
    await session.execute(text("SET LOCAL lock_timeout = DEFAULT"))
    if claimed is not None:
        return None
    row = (await session.execute(_EXISTING, ids)).one()
    if bytes(row.request_hash) != fingerprint:
        raise ApiError(422, "idempotency.key_reused",
                       "This Idempotency-Key was used for a different request.",
                       {"header": HEADER})
    return Response(content=bytes(row.response_body), status_code=row.response_status,
                    media_type=MediaType.JSON, headers={REPLAYED_HEADER: "true"})

"""Recording refused requests, in a transaction of their own.

The refused request's own transaction is rolled back, so its denial is written through a
separate short session, bound to the shop the refusal concerns (or the firm's chain).
Two kinds of refusal arrive here: the guard's (``details`` name the permission and the
policy's reason) and a rule a service enforced (``details`` name the refusal's code).
``RefusalAuditMiddleware`` adds the refusals that happen before any of that: tokens and
keys refused (401) and sign-ins refused for their rate (429), on the firm's chain.
Identical refusals are folded into counted entries (``api.domain.audit.folds``).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import structlog
from litestar.connection import ASGIConnection

from api.auth.principal import IntegrationKeyPrincipal, Principal, UserPrincipal
from api.db.shop_context import FIRM_SCOPE, bind_shop
from api.domain.audit.context import AuditContext, audit_actor, audit_context_of
from api.domain.audit.folds import FoldFlusher, record_folded
from api.errors import ApiError
from api.routing import route_permission

__all__ = [
    "AUDITED_REFUSAL_STATUSES",
    "RefusalAuditMiddleware",
    "audit_rolled_back_refusal",
    "is_audited_refusal",
    "record_denial",
    "record_refusal",
]

logger = structlog.get_logger(__name__)

# A service's refusal of something the caller may not do (403) or that a rule forbids (409).
AUDITED_REFUSAL_STATUSES = frozenset({403, 409})


def is_audited_refusal(exc: BaseException) -> bool:
    """Refusals a service raises that the log must keep: rule refusals (403, 409), and a
    caller who stopped being a member while their request was on its way (404 shop)."""
    return isinstance(exc, ApiError) and (
        exc.status in AUDITED_REFUSAL_STATUSES or exc.code == "shop.not_found")


async def record_denial(connection: ASGIConnection, shop_id: uuid.UUID | None,
                        details: dict[str, Any], principal: Principal | None = None) -> None:
    """Append a ``request.denied`` entry to ``shop_id``'s chain (the firm's when ``None``),
    folded with identical refusals (same caller, route and reason) of the same window.

    Never raises: the refusal itself must still reach the caller.
    """
    ctx = audit_context_of(connection, principal)
    await _record(connection.scope, shop_id or FIRM_SCOPE, ctx, details)


def _fold_key(scope: Any, ctx: AuditContext, details: dict[str, Any]) -> str:
    # The route's template, not its path: a caller cycling through ids (other shops'
    # included) is one refusal repeated. Actor, or address when nobody signed in.
    who = ctx.actor_id or f"ip:{ctx.ip}"
    why = details.get("reason") or details.get("code") or ""
    route = f"{scope.get('method', '')} {scope.get('path_template') or scope.get('path', '')}"
    return "|".join((who, ctx.client or "", route, str(details.get("permission") or ""),
                     str(why)))


async def _record(scope: Any, chain: uuid.UUID, ctx: AuditContext,
                  details: dict[str, Any]) -> None:
    try:
        state = scope["app"].state
        window = float(getattr(state.settings, "audit_fold_seconds", 60.0))
        async with state.sessionmaker() as session, session.begin():
            await bind_shop(session, chain)
            counted = await record_folded(
                session, ctx, shop_id=chain, key=_fold_key(scope, ctx, details),
                window_seconds=window, action="request.denied",
                target=f"{scope.get('method', '')} {scope['path']}", details=details)
        flusher: FoldFlusher | None = getattr(state, "denial_folds", None)
        if counted and flusher is not None:
            flusher.counted(chain)
    except Exception:
        logger.exception("could not record a denied request", shop_id=str(chain))


# 401s worth keeping: a credential was presented and refused. Not "no token at all" (nothing
# was refused but anonymity), nor a wrong password (``auth.login`` already records it).
_UNRECORDED_401 = frozenset({"auth.token_missing", "auth.invalid_credentials"})
_MAX_CAPTURED = 4096


class RefusalAuditMiddleware:
    """Records refused tokens and keys (401) and rate-refused sign-ins (429) on the firm's
    chain, whichever layer refused them, once the answer has been sent."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0
        body = bytearray()

        async def watch(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and status in (401, 429):
                if len(body) < _MAX_CAPTURED:
                    body.extend(message.get("body", b"")[:_MAX_CAPTURED])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except ApiError as exc:
            # Refusals raised before the route's own exception handling (authentication)
            # become responses outside this middleware.
            if exc.status in (401, 429):
                await self._audit(scope, exc.status, exc.code)
            raise
        if status in (401, 429):
            try:
                code = str(json.loads(bytes(body)).get("code", ""))
            except (ValueError, AttributeError):
                code = ""
            await self._audit(scope, status, code)

    async def _audit(self, scope: Any, status: int, code: str) -> None:
        if status == 401 and code in _UNRECORDED_401:
            return
        user = scope.get("user")
        principal = user if isinstance(user, UserPrincipal | IntegrationKeyPrincipal) else None
        client = scope.get("client")
        if principal is not None:
            actor, device = audit_actor(principal)
        else:
            actor, device = None, None
        ctx = AuditContext(actor, device, client[0] if client else None,
                           scope.get("state", {}).get("request_id"))
        await _record(scope, FIRM_SCOPE, ctx, {"status": status, "code": code})


async def record_refusal(connection: ASGIConnection, shop_id: uuid.UUID | None,
                         error: ApiError) -> None:
    """Audit a refusal raised inside a service, whose own transaction was rolled back."""
    permission = route_permission(connection.route_handler)
    details: dict[str, Any] = {"code": error.code, "status": error.status}
    if permission is not None:
        details["permission"] = permission
    if error.details:
        details["details"] = error.details
    await record_denial(connection, shop_id, details)


async def audit_rolled_back_refusal(request: ASGIConnection, exc: BaseException,
                                    shop_id: uuid.UUID | None) -> None:
    """Transaction hook: a refusal's own transaction rolled back and took its record along,
    so write it again in a transaction of its own, in the shop it concerned."""
    if is_audited_refusal(exc):
        await record_refusal(request, shop_id, exc)  # type: ignore[arg-type]

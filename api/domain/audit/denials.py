"""Recording refused requests, in a transaction of their own.

The refused request's own transaction is rolled back, so its denial is written through a
separate short session, bound to the shop the refusal concerns (or the firm's chain).
Two kinds of refusal arrive here: the guard's (``details`` name the permission and the
policy's reason) and a rule a service enforced (``details`` name the refusal's code).
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from litestar.connection import ASGIConnection

from api.auth.principal import Principal
from api.db.shop_context import FIRM_SCOPE, bind_shop
from api.domain.audit.context import audit_context_of
from api.domain.audit.services import record
from api.errors import ApiError
from api.routing import route_permission

__all__ = [
    "AUDITED_REFUSAL_STATUSES",
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
    """Append a ``request.denied`` entry to ``shop_id``'s chain (the firm's when ``None``).

    Never raises: the refusal itself must still reach the caller.
    """
    scope = shop_id or FIRM_SCOPE
    try:
        ctx = audit_context_of(connection, principal)
        async with connection.app.state.sessionmaker() as session, session.begin():
            await bind_shop(session, scope)
            await record(session, ctx, shop_id=scope, action="request.denied", outcome="denied",
                         target=f"{connection.scope.get('method', '')} {connection.scope['path']}",
                         details=details)
    except Exception:
        logger.exception("could not record a denied request", shop_id=str(scope))


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

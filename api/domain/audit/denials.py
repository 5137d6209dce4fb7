"""Recording refused requests, in a transaction of their own.

The refused request's own transaction is rolled back, so its denial is written through a
separate short session, bound to the shop in the path (or the firm's chain when the shop
does not exist or there is none).
"""

from __future__ import annotations

import uuid

import structlog
from litestar.connection import ASGIConnection

from api.auth.principal import Principal
from api.db.shop_context import FIRM_SCOPE, bind_shop
from api.domain.audit.context import audit_context_of
from api.domain.audit.services import record
from rbac.decision import Decision

__all__ = ["record_denial"]

logger = structlog.get_logger(__name__)


async def record_denial(connection: ASGIConnection, principal: Principal, permission: str,
                        decision: Decision, shop_id: uuid.UUID | None) -> None:
    scope = shop_id or FIRM_SCOPE
    ctx = audit_context_of(connection, principal)
    try:
        async with connection.app.state.sessionmaker() as session, session.begin():
            await bind_shop(session, scope)
            await record(session, ctx, shop_id=scope, action="request.denied", outcome="denied",
                         target=f"{connection.scope.get('method', '')} {connection.scope['path']}",
                         details={"permission": permission, "reason": decision.reason.value,
                                  "role": decision.role})
    except Exception:  # the refusal itself must still reach the caller
        logger.exception("could not record a denied request")

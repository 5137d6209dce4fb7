"""Writing audit entries. The trigger numbers and chains them; the API role cannot edit them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext

__all__ = ["record"]

_INSERT = text(
    "INSERT INTO audit_log (shop_id, seq, actor_id, client, ip, request_id, action, outcome, "
    "target, details, prev_hash, hash) VALUES (:shop_id, 0, :actor_id, :client, :ip, "
    ":request_id, :action, :outcome, :target, CAST(:details AS jsonb), '', '')"
)


async def record(
    session: AsyncSession,
    ctx: AuditContext,
    *,
    shop_id: uuid.UUID,
    action: str,
    outcome: str = "success",
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one entry to ``shop_id``'s chain, in the caller's transaction.

    The caller's transaction must be bound to ``shop_id`` (RLS checks it on insert).
    """
    import json

    await session.execute(_INSERT, {
        "shop_id": shop_id, "actor_id": ctx.actor_id, "client": ctx.client, "ip": ctx.ip,
        "request_id": ctx.request_id, "action": action, "outcome": outcome, "target": target,
        "details": json.dumps(details or {}, sort_keys=True, default=str),
    })

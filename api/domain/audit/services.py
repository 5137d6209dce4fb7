"""Writing and reading audit entries. The trigger numbers and chains them; the API role cannot edit them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.audit.models import AuditEntry
from api.errors import ApiError
from api.pagination import Page, decode_cursor, encode_cursor

__all__ = ["list_entries", "record"]

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


async def list_entries(
    session: AsyncSession,
    shop_id: uuid.UUID,
    *,
    limit: int,
    cursor: str | None,
    actor_id: uuid.UUID | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[AuditEntry]:
    """A page of ``shop_id``'s log, newest first (the session must be bound to that shop).

    ``since`` is inclusive and ``until`` exclusive; the cursor carries the last ``seq``.
    """
    if since is not None and until is not None and since >= until:
        raise ApiError.unprocessable("audit.invalid_range", "'since' must be before 'until'.",
                                     since=since.isoformat(), until=until.isoformat())
    after = decode_cursor(cursor, 1)
    query = (select(AuditEntry).where(AuditEntry.shop_id == shop_id)
             .order_by(AuditEntry.seq.desc()).limit(limit + 1))
    if after is not None:
        if type(after[0]) is not int:  # bool is an int to isinstance
            raise ApiError(400, "pagination.invalid_cursor", "The cursor is not valid.")
        query = query.where(AuditEntry.seq < after[0])
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if since is not None:
        query = query.where(AuditEntry.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEntry.occurred_at < until)
    rows = list((await session.execute(query)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(items=rows, next_cursor=encode_cursor([rows[-1].seq]) if more else None)

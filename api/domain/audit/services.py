"""Writing and reading audit entries. The trigger numbers and chains them; the API role cannot edit them."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.raw import Sql
from api.db.shop_context import FIRM_SCOPE, bind_shop, bound_to
from api.domain.audit.context import AuditContext
from api.domain.audit.models import AuditEntry
from api.errors import ApiError
from api.pagination import Page, paginate

__all__ = ["INSERT_SQL", "AuditQuery", "entry_params", "list_entries", "list_firm_entries",
           "record", "record_firm"]

# Also appended to another statement (``entry_params``): parameters prefixed ``audit_``.
INSERT_SQL = (
    "INSERT INTO audit_log (shop_id, seq, actor_id, client, ip, request_id, action, outcome, "
    "target, details, prev_hash, hash) VALUES (:audit_shop_id, 0, :audit_actor_id, "
    ":audit_client, :audit_ip, :audit_request_id, :audit_action, :audit_outcome, "
    ":audit_target, CAST(:audit_details AS jsonb), '', '')"
)
_INSERT = Sql(INSERT_SQL)


async def record_entry(session: Any, entry: dict[str, Any]) -> None:
    """Append an entry built by ``entry_params`` (for callers that may send it with an event)."""
    await _INSERT.run(session, entry)


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
    await record_entry(session, entry_params(ctx, shop_id=shop_id, action=action,
                                             outcome=outcome, target=target, details=details))


def entry_params(ctx: AuditContext, *, shop_id: uuid.UUID, action: str,
                 outcome: str = "success", target: str | None = None,
                 details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The parameters of ``INSERT_SQL`` for one entry (what ``record`` writes)."""
    return {
        "audit_shop_id": shop_id, "audit_actor_id": ctx.actor_id, "audit_client": ctx.client,
        "audit_ip": ctx.ip, "audit_request_id": ctx.request_id, "audit_action": action,
        "audit_outcome": outcome, "audit_target": target,
        "audit_details": json.dumps(details or {}, sort_keys=True, default=str),
    }


async def record_firm(session: AsyncSession, ctx: AuditContext, *, action: str,
                      outcome: str = "success", target: str | None = None,
                      details: dict[str, Any] | None = None) -> None:
    """Append one entry to the firm's chain, whatever shop the transaction serves."""
    async with bound_to(session, FIRM_SCOPE):
        await record(session, ctx, shop_id=FIRM_SCOPE, action=action, outcome=outcome,
                     target=target, details=details)


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Which page of a chain to read: ``since`` inclusive, ``until`` exclusive."""

    limit: int
    cursor: str | None = None
    actor_id: uuid.UUID | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def list_entries(session: AsyncSession, shop_id: uuid.UUID, query: AuditQuery
                       ) -> Page[AuditEntry]:
    """A page of ``shop_id``'s log, newest first (the session must be bound to that shop).

    The cursor carries the last ``seq``.
    """
    since, until = query.since, query.until
    if since is not None and until is not None and since >= until:
        raise ApiError.unprocessable("audit.invalid_range", "'since' must be before 'until'.",
                                     since=since.isoformat(), until=until.isoformat())
    statement = select(AuditEntry).where(AuditEntry.shop_id == shop_id)
    if query.actor_id is not None:
        statement = statement.where(AuditEntry.actor_id == query.actor_id)
    if query.action is not None:
        statement = statement.where(AuditEntry.action == query.action)
    if since is not None:
        statement = statement.where(AuditEntry.occurred_at >= since)
    if until is not None:
        statement = statement.where(AuditEntry.occurred_at < until)
    return await paginate(session, statement, order_by=(AuditEntry.seq,), kinds=(int,),
                          cursor=query.cursor, limit=query.limit, descending=True)


async def list_firm_entries(session: AsyncSession, query: AuditQuery) -> Page[AuditEntry]:
    """A page of the firm's own chain (sign-ins, onboarding, strangers' refusals)."""
    await bind_shop(session, FIRM_SCOPE)
    return await list_entries(session, FIRM_SCOPE, query)

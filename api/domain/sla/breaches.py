"""What happens when a wait crosses its warning threshold or its deadline.

The ledger row is written once (a unique index backs it, whoever notices first: the worker
or a change in the conversation), then an event goes to the shop's log (``sla.warning``,
``sla.breached``: webhooks and the audit of SLA work read it there) and, for a wait still
unanswered, the policy's escalation: reassign to another online agent and tell the shop's
admins (``sla.escalated``, visible to ``cs:supervise``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.db.hooks import after_commit
from api.db.raw import Sql
from api.domain.conversations.signals import ConversationAssigned
from api.domain.events.outbox import emit
from api.domain.sla import clocks
from api.domain.sla.policy import load_policy
from api.signals import publish

__all__ = ["escalate_breach", "record_due"]


def _event_data(clock: Any) -> dict[str, Any]:
    return {"conversation_id": str(clock.conversation_id), "cycle": clock.cycle,
            "metric": clock.metric, "wait": clock.seq, "channel": clock.channel,
            "priority": clock.priority, "target_seconds": clock.target_seconds,
            "business_hours": clock.business_hours,
            "deadline_at": clock.deadline_at.isoformat() if clock.deadline_at else None}


async def record_due(session: AsyncSession, clock: Any, now: datetime,
                     assignee_id: uuid.UUID | None, *, escalate: bool) -> bool:
    """Record a warning and/or breach due by ``now``; whether anything was recorded."""
    changed = False
    if await clocks.warn_if_due(session, clock, now):
        changed = True
        await emit(session, clock.shop_id, "sla.warning", _event_data(clock),
                   subject_user_id=assignee_id)
    if await clocks.breach_if_due(session, clock, now, assignee_id):
        changed = True
        await emit(session, clock.shop_id, "sla.breached",
                   {**_event_data(clock), "assignee_id": str(assignee_id) if assignee_id else None},
                   subject_user_id=assignee_id)
        shop, channel, metric = str(clock.shop_id), clock.channel, clock.metric

        async def count() -> None:
            from api.metrics import count_breach

            count_breach(shop, channel, metric)

        after_commit(session, count)
        if escalate:
            await escalate_breach(session, clock, assignee_id, now)
    return changed


_PRESENCE_INSTALLED = Sql("SELECT to_regclass('public.staff_presence') IS NOT NULL")
_LEAST_LOADED_ONLINE = Sql(
    "SELECT p.user_id FROM staff_presence p JOIN shop_members m "
    "ON m.shop_id = p.shop_id AND m.user_id = p.user_id "
    "WHERE p.shop_id = :shop_id AND p.status = 'online' AND m.status = 'active' "
    "AND m.role IN ('founder', 'senior_admin', 'admin', 'agent') "
    "AND p.user_id IS DISTINCT FROM :exclude "
    "ORDER BY (SELECT count(*) FROM conversations c WHERE c.shop_id = p.shop_id "
    "AND c.assignee_id = p.user_id AND c.status <> 'resolved'), p.user_id LIMIT 1")


async def _online_agent(session: AsyncSession, shop_id: uuid.UUID,
                        exclude: uuid.UUID | None) -> uuid.UUID | None:
    """Another online member who answers customers, the least loaded first."""
    if not await _PRESENCE_INSTALLED.scalar(session):
        return None  # no presence yet (workspace not installed): reassignment is skipped
    return await _LEAST_LOADED_ONLINE.scalar(session, {"shop_id": shop_id, "exclude": exclude})


_REASSIGN = Sql(
    "UPDATE conversations SET assignee_id = :to, assigned_at = :now, "
    "updated_at = :now WHERE shop_id = :shop_id AND id = :cid "
    "AND status <> 'resolved' AND assignee_id IS NOT DISTINCT FROM :from_ "
    "RETURNING id")


async def escalate_breach(session: AsyncSession, clock: Any, assignee_id: uuid.UUID | None,
                   now: datetime) -> uuid.UUID | None:
    """Apply the shop's escalation to a breached, unanswered wait; the new assignee if any."""
    policy = await load_policy(session, clock.shop_id)
    new_assignee = None
    if policy.escalate_reassign:
        new_assignee = await _online_agent(session, clock.shop_id, assignee_id)
        if new_assignee is not None:
            moved = await _REASSIGN.first(session, {"to": new_assignee, "now": now,
                "shop_id": clock.shop_id, "cid": clock.conversation_id, "from_": assignee_id})
            if moved is None:
                new_assignee = None
            else:
                await publish(session, ConversationAssigned(
                    clock.shop_id, clock.conversation_id, clock.cycle, new_assignee,
                    assignee_id, now, None, "escalation"))
    if policy.escalate_notify or new_assignee is not None:
        await emit(session, clock.shop_id, "sla.escalated", {
            **_event_data(clock),
            "from_assignee_id": str(assignee_id) if assignee_id else None,
            "to_assignee_id": str(new_assignee) if new_assignee else None,
            "reassigned": new_assignee is not None}, permission="cs:supervise")
    return new_assignee

"""What happens when a wait crosses its warning threshold or its deadline.

The ledger row is written once (a unique index backs it, whoever notices first: the worker
or a change in the conversation), then an event goes to the shop's log (``sla.warning``,
``sla.breached``: webhooks and the audit of SLA work read it there) and, for a wait still
unanswered, the policy's escalation: reassign to another member who can answer now (the
workspace's rule: online, under capacity, least loaded) and tell the shop's admins
(``sla.escalated``, visible to ``cs:supervise``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.db.hooks import after_commit
from api.domain.conversations import assignment
from api.domain.events.outbox import emit
from api.domain.sla import clocks
from api.domain.sla.policy import load_policy

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


async def escalate_breach(session: AsyncSession, clock: Any, assignee_id: uuid.UUID | None,
                   now: datetime) -> uuid.UUID | None:
    """Apply the shop's escalation to a breached, unanswered wait; the new assignee if any."""
    policy = await load_policy(session, clock.shop_id)
    new_assignee = None
    if policy.escalate_reassign:
        # The workspace's own rule decides who can take it (presence, capacity) and
        # announces the move; the clocks follow its ConversationAssigned signal.
        new_assignee = await assignment.escalate(session, clock.shop_id, clock.conversation_id,
                                                 assignee_id, now)
    if policy.escalate_notify or new_assignee is not None:
        await emit(session, clock.shop_id, "sla.escalated", {
            **_event_data(clock),
            "from_assignee_id": str(assignee_id) if assignee_id else None,
            "to_assignee_id": str(new_assignee) if new_assignee else None,
            "reassigned": new_assignee is not None}, permission="cs:supervise")
    return new_assignee

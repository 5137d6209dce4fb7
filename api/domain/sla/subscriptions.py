"""The clocks react to the workspace's signals, in the transaction of each change.

- a cycle starts: its resolution clock starts (and FRT, when the policy starts FRT at
  conversation creation, or at assignment for an assigned conversation);
- a customer message: starts FRT (first of the cycle) or, once the cycle has had its first
  reply, an NRT wait unless one is already open (it runs from the oldest unanswered one);
- a qualifying reply fulfils the running FRT and the open NRT, attributed to its author;
  automatic, system and note messages change nothing;
- pending pauses NRT and resolution, open resumes them, resolve fulfils resolution and stops
  every other clock;
- an assignment records who a later breach is attributed to (and may start FRT).
Before any change a clock whose deadline has already passed records its breach, so a breach
is never lost to a reply that arrives between the deadline and the worker's next look.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.db.hooks import after_commit
from api.db.raw import Sql
from api.domain.conversations.signals import (
    ConversationAssigned,
    ConversationStatusChanged,
    CycleStarted,
    MessageRecorded,
)
from api.domain.sla import breaches, clocks
from api.domain.sla.clocks import Cause
from api.domain.sla.enums import FrtStart, Metric
from api.domain.sla.policy import load_calendar, load_policy
from api.signals import subscribe

__all__ = ["register"]


def register() -> None:
    """Subscribe the clocks to the workspace's signals (called once at application start)."""
    subscribe(CycleStarted, on_cycle_started)
    subscribe(MessageRecorded, on_message)
    subscribe(ConversationStatusChanged, on_status_changed)
    subscribe(ConversationAssigned, on_assigned)


_LOCK_CYCLE = Sql(
    "SELECT * FROM sla_cycles WHERE shop_id = :shop_id AND conversation_id = :cid "
    "AND cycle = :cycle FOR UPDATE")


async def _cycle(session: AsyncSession, shop_id: uuid.UUID, conversation_id: uuid.UUID,
                 cycle: int, *, at: Any = None, channel: str | None = None,
                 priority: str | None = None) -> Any:
    """The cycle's row, locked; created (with its resolution clock) on first sight."""
    return (await _cycle_created(session, shop_id, conversation_id, cycle, at=at,
                                 channel=channel, priority=priority))[0]


_CONVERSATION_OF_CYCLE = Sql(
    "SELECT cycle_started_at, channel, priority, assignee_id FROM conversations "
    "WHERE shop_id = :shop_id AND id = :cid")


_CREATE_CYCLE = Sql(
    "INSERT INTO sla_cycles (shop_id, conversation_id, cycle, started_at, channel, "
    "priority, assignee_id) VALUES (:shop_id, :cid, :cycle, :at, :channel, :priority, "
    ":assignee) ON CONFLICT DO NOTHING RETURNING *")


async def _cycle_created(session: AsyncSession, shop_id: uuid.UUID, conversation_id: uuid.UUID,
                         cycle: int, *, at: Any = None, channel: str | None = None,
                         priority: str | None = None) -> tuple[Any, bool]:
    """``_cycle``, and whether this call created it (and started its resolution clock)."""
    params = {"shop_id": shop_id, "cid": conversation_id, "cycle": cycle}
    row = await _LOCK_CYCLE.first(session, params)
    if row is not None:
        return row, False
    conv = await _CONVERSATION_OF_CYCLE.one(session, params)
    # The inserted row is ours (locked until commit): RETURNING spares reading it back.
    row = await _CREATE_CYCLE.first(session, {**params, "at": at or conv.cycle_started_at,
        "channel": channel or conv.channel, "priority": priority or conv.priority,
        "assignee": conv.assignee_id})
    if row is None:  # a concurrent transaction created it first: wait for its lock
        return await _LOCK_CYCLE.one(session, params), False
    await _start(session, row, Metric.RESOLUTION, 0, row.started_at, Cause("cycle"))
    return row, True


async def _start(session: AsyncSession, cycle: Any, metric: Metric, seq: int, at: Any,
                 cause: Cause) -> bool:
    policy = await load_policy(session, cycle.shop_id)
    calendar = await load_calendar(session, cycle.shop_id)
    return await clocks.start(
        session, shop_id=cycle.shop_id, conversation_id=cycle.conversation_id,
        cycle=cycle.cycle, metric=metric.value, seq=seq, at=at, channel=cycle.channel,
        priority=cycle.priority, policy=policy, calendar=calendar, cause=cause)


async def _settled(session: AsyncSession, cycle: Any, at: Any, *, escalate: bool,
                   metrics: tuple[str, ...] | None = None) -> list[Any]:
    """The cycle's open clocks, locked, after recording any warning or breach due by ``at``."""
    open_clocks = await clocks.lock_clocks(session, cycle.shop_id, cycle.conversation_id,
                                           cycle.cycle, metrics)
    changed = False
    for clock in open_clocks:
        changed |= await breaches.record_due(session, clock, at, cycle.assignee_id,
                                             escalate=escalate)
    if changed:
        open_clocks = await clocks.lock_clocks(session, cycle.shop_id, cycle.conversation_id,
                                               cycle.cycle, metrics)
    return open_clocks


async def on_cycle_started(session: AsyncSession, signal: CycleStarted) -> None:
    cycle, created = await _cycle_created(
        session, signal.shop_id, signal.conversation_id, signal.cycle, at=signal.at,
        channel=signal.channel, priority=signal.priority)
    if not created:  # a new cycle's resolution clock already started (this start: a no-op)
        await _start(session, cycle, Metric.RESOLUTION, 0, cycle.started_at,
                     Cause("cycle", signal.cause_message_id))
    policy = await load_policy(session, signal.shop_id)
    if policy.frt_start == FrtStart.CONVERSATION_CREATED:
        at = signal.created_at if signal.cycle == 1 else signal.at
        await _start(session, cycle, Metric.FRT, 0, at, Cause("cycle", signal.cause_message_id))
    elif policy.frt_start == FrtStart.ASSIGNMENT and cycle.assignee_id is not None:
        await _start(session, cycle, Metric.FRT, 0, signal.at, Cause("cycle"))


_MARK_FIRST_REPLY = Sql(
    "UPDATE sla_cycles SET first_reply_at = :at WHERE shop_id = :shop_id "
    "AND conversation_id = :cid AND cycle = :cycle")


async def on_message(session: AsyncSession, signal: MessageRecorded) -> None:
    if signal.author_kind != "customer" and not signal.is_qualifying_reply:
        return  # auto-replies, hosting, integrations posting as the shop, notes: never count
    cycle = await _cycle(session, signal.shop_id, signal.conversation_id, signal.cycle)
    if cycle.resolved_at is not None:
        return  # a resolved cycle's clocks are stopped; a reopen starts a new cycle
    cause = Cause("message", signal.message_id, actor_id=signal.author_id)
    if signal.author_kind == "customer":
        await _customer_message(session, cycle, signal, cause)
        return
    for clock in await _settled(session, cycle, signal.at, escalate=False,
                                metrics=(Metric.FRT, Metric.NRT)):
        seconds = await clocks.fulfil(session, clock, signal.at, cause, signal.author_id)
        _observe_after_commit(session, clock, seconds)
        if clock.metric == Metric.FRT:
            await _MARK_FIRST_REPLY.run(session, {"at": signal.at, "shop_id": cycle.shop_id,
                "cid": cycle.conversation_id, "cycle": cycle.cycle})


_CLOCK_COUNTS = Sql(
    "SELECT count(*) FILTER (WHERE metric = 'frt') AS frt, "
    "coalesce(max(seq) FILTER (WHERE metric = 'nrt'), 0) AS nrt FROM sla_clocks "
    "WHERE shop_id = :shop_id AND conversation_id = :cid AND cycle = :cycle")


async def _customer_message(session: AsyncSession, cycle: Any, signal: MessageRecorded,
                            cause: Cause) -> None:
    waits = await _settled(session, cycle, signal.at, escalate=True,
                           metrics=(Metric.FRT, Metric.NRT))
    if waits:
        return  # someone is already waiting for an answer since an older message
    counts = await _CLOCK_COUNTS.one(session, {"shop_id": cycle.shop_id,
        "cid": cycle.conversation_id, "cycle": cycle.cycle})
    if cycle.first_reply_at is not None:
        await _start(session, cycle, Metric.NRT, counts.nrt + 1, signal.at, cause)
        return
    policy = await load_policy(session, cycle.shop_id)
    if counts.frt == 0 and policy.frt_start == FrtStart.FIRST_CUSTOMER_MESSAGE:
        await _start(session, cycle, Metric.FRT, 0, signal.at, cause)


_MARK_RESOLVED = Sql(
    "UPDATE sla_cycles SET resolved_at = :at WHERE shop_id = :shop_id "
    "AND conversation_id = :cid AND cycle = :cycle")


async def on_status_changed(session: AsyncSession, signal: ConversationStatusChanged) -> None:
    if signal.new_status == signal.old_status:
        return
    cycle = await _cycle(session, signal.shop_id, signal.conversation_id, signal.cycle)
    cause = Cause("status", signal.cause_message_id, signal.new_status, signal.actor_id)
    if signal.new_status == "pending":
        for clock in await _settled(session, cycle, signal.at, escalate=False,
                                    metrics=(Metric.NRT, Metric.RESOLUTION)):
            await clocks.pause(session, clock, signal.at, cause)
    elif signal.new_status == "open" and signal.old_status == "pending":
        for clock in await _settled(session, cycle, signal.at, escalate=False):
            await clocks.resume(session, clock, signal.at, cause)
    elif signal.new_status == "resolved":
        for clock in await _settled(session, cycle, signal.at, escalate=False):
            if clock.metric == Metric.RESOLUTION:
                agent = cycle.assignee_id or signal.actor_id
                seconds = await clocks.fulfil(session, clock, signal.at, cause, agent)
                _observe_after_commit(session, clock, seconds)
            else:
                await clocks.stop(session, clock, signal.at, cause)
        await _MARK_RESOLVED.run(session, {"at": signal.at, "shop_id": cycle.shop_id,
            "cid": cycle.conversation_id, "cycle": cycle.cycle})


_CYCLE_ASSIGNEE = Sql(
    "UPDATE sla_cycles SET assignee_id = :assignee WHERE shop_id = :shop_id "
    "AND conversation_id = :cid AND cycle = :cycle")


async def on_assigned(session: AsyncSession, signal: ConversationAssigned) -> None:
    cycle = await _cycle(session, signal.shop_id, signal.conversation_id, signal.cycle)
    if cycle.resolved_at is None:
        # A deadline that passed before this change is the previous assignee's breach
        # (sla.md: the assignee at the deadline), not the new one's: record it first (its
        # escalation still tells the admins; the reassignment finds the row moved on).
        await _settled(session, cycle, signal.at, escalate=True)
    await _CYCLE_ASSIGNEE.run(session, {"assignee": signal.assignee_id, "shop_id": cycle.shop_id,
        "cid": cycle.conversation_id, "cycle": cycle.cycle})
    if signal.assignee_id is None or cycle.resolved_at is not None:
        return
    policy = await load_policy(session, signal.shop_id)
    if policy.frt_start == FrtStart.ASSIGNMENT and cycle.first_reply_at is None:
        await _start(session, cycle, Metric.FRT, 0, signal.at,
                     Cause("assignment", actor_id=signal.actor_id))


def _observe_after_commit(session: AsyncSession, clock: Any,
                          seconds: tuple[float, float, bool | None]) -> None:
    from api.metrics import observe_response

    async def observe() -> None:
        observe_response(str(clock.shop_id), clock.channel, clock.metric, seconds[0])

    after_commit(session, observe)

"""One wait's clock: start, pause, resume, fulfil, stop, warning and breach, each a ledger row.

Every operation runs in the caller's transaction (the message or status change that causes
it) on a clock row it holds locked, and writes the ledger row with its cause. A clock counts
calendar seconds and business seconds at once; its target counts one of them (the policy's
choice, snapshotted at start with the policy and calendar versions).
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.db.raw import Sql
from api.domain.sla.calendar import Calendar, add_business, business_seconds
from api.domain.sla.enums import ClockState, LedgerKind
from api.domain.sla.policy import Policy, StoredCalendar, load_calendar, resolve_target

__all__ = ["Cause", "breach_if_due", "calendar_of", "fulfil", "insert_ledger", "lock_clocks",
           "lock_clocks_sql", "pause", "resume", "start", "stop"]

_CLOCK_COLUMNS = (
    "id, shop_id, conversation_id, cycle, metric, seq, channel, priority, state, started_at, "
    "segment_at, accrued_calendar, accrued_business, target_seconds, business_hours, "
    "policy_version, calendar_version, warning_ratio, deadline_at, warn_at, warned_at, "
    "breached_at")


@dataclass(frozen=True, slots=True)
class Cause:
    """Why a ledger row exists: the message or status change (or the deadline) behind it."""

    kind: str  # message | status | assignment | cycle | deadline
    message_id: uuid.UUID | None = None
    status: str | None = None
    actor_id: uuid.UUID | None = None


async def calendar_of(session: AsyncSession, shop_id: uuid.UUID, version: int) -> Calendar:
    """The calendar a clock snapshotted (cached for the transaction: versions never change)."""
    cache: dict[tuple[uuid.UUID, int], Calendar] = session.info.setdefault("sla.calendars", {})
    key = (shop_id, version)
    if key not in cache:
        cache[key] = (await load_calendar(session, shop_id, version)).calendar
    return cache[key]


@functools.cache
def lock_clocks_sql(by_cycle: bool, by_metric: bool) -> Sql:
    """The statement ``lock_clocks`` runs (one compiled form per filter combination)."""
    sql = (f"SELECT {_CLOCK_COLUMNS} FROM sla_clocks WHERE shop_id = :shop_id "
           "AND conversation_id = :cid AND state = ANY(:states)")
    if by_cycle:
        sql += " AND cycle = :cycle"
    if by_metric:
        sql += " AND metric = ANY(:metrics)"
    return Sql(sql + " ORDER BY id FOR UPDATE")


async def lock_clocks(session: AsyncSession, shop_id: uuid.UUID, conversation_id: uuid.UUID,
                      cycle: int | None = None, metrics: tuple[str, ...] | None = None,
                      states: tuple[str, ...] = ("running", "paused")) -> list[Any]:
    """The conversation's open clocks, locked (the breach worker skips locked rows)."""
    params: dict[str, Any] = {"shop_id": shop_id, "cid": conversation_id, "states": list(states),
                              "cycle": cycle, "metrics": list(metrics) if metrics else None}
    return await lock_clocks_sql(cycle is not None, bool(metrics)).all(session, params)


_INSERT_LEDGER = Sql(
    "INSERT INTO sla_ledger (shop_id, clock_id, conversation_id, cycle, metric, kind, at, "
    "cause, cause_message_id, cause_status, actor_id, agent_id, channel, priority, "
    "calendar_seconds, business_seconds, target_seconds, business_hours, within_target) "
    "VALUES (:shop_id, :clock_id, :cid, :cycle, :metric, :kind, :at, :cause, :mid, "
    ":status, :actor, :agent, :channel, :priority, :cal, :bus, :target, :bh, :within) "
    "ON CONFLICT (shop_id, clock_id, kind) "
    "WHERE kind IN ('start', 'fulfil', 'warning', 'breach', 'stop') DO NOTHING "
    "RETURNING id")


async def insert_ledger(session: AsyncSession, clock: Any, kind: LedgerKind, at: datetime,
                        cause: Cause, *, agent_id: uuid.UUID | None = None,
                        seconds: tuple[float, float] | None = None,
                        within_target: bool | None = None) -> bool:
    """Append one row; ``False`` when that once-only row already exists."""
    inserted = await _INSERT_LEDGER.first(session, {
        "shop_id": clock.shop_id, "clock_id": clock.id, "cid": clock.conversation_id,
        "cycle": clock.cycle, "metric": clock.metric, "kind": kind.value, "at": at,
        "cause": cause.kind, "mid": cause.message_id, "status": cause.status,
        "actor": cause.actor_id, "agent": agent_id, "channel": clock.channel,
        "priority": clock.priority, "cal": seconds[0] if seconds else None,
        "bus": seconds[1] if seconds else None, "target": clock.target_seconds,
        "bh": clock.business_hours, "within": within_target})
    return inserted is not None


def _deadlines(clock: Any, calendar: Calendar, segment_at: datetime, accrued: tuple[float, float],
               warned: bool) -> tuple[datetime | None, datetime | None]:
    """When the running segment reaches the target and the warning threshold."""
    if clock.target_seconds is None:
        return None, None
    counted = accrued[1] if clock.business_hours else accrued[0]

    def reach(amount: float, *, beyond: bool = False) -> datetime | None:
        remaining = max(amount - counted, 0.0)
        if clock.business_hours:
            return add_business(calendar, segment_at, remaining, beyond=beyond)
        return segment_at + timedelta(seconds=remaining)

    # A breach needs time beyond the target: in business hours that can be the next opening.
    deadline = reach(clock.target_seconds, beyond=True)
    warn_at = None
    if clock.warning_ratio is not None and not warned:
        warn_at = reach(clock.target_seconds * clock.warning_ratio)
    return deadline, warn_at


_START_CLOCK = Sql(
    "INSERT INTO sla_clocks (shop_id, id, conversation_id, cycle, metric, seq, channel, "
    "priority, state, started_at, segment_at, target_seconds, business_hours, "
    "policy_version, calendar_version, warning_ratio) VALUES (:shop_id, :id, :cid, :cycle, "
    ":metric, :seq, :channel, :priority, 'running', :at, :at, :target, :bh, :pv, :cv, :wr) "
    f"ON CONFLICT (shop_id, conversation_id, cycle, metric, seq) DO NOTHING "
    f"RETURNING {_CLOCK_COLUMNS}")


async def start(session: AsyncSession, *, shop_id: uuid.UUID, conversation_id: uuid.UUID,
                cycle: int, metric: str, seq: int, at: datetime, channel: str, priority: str,
                policy: Policy, calendar: StoredCalendar, cause: Cause) -> bool:
    """Start a wait (no-op if that wait already exists)."""
    target = resolve_target(policy, metric, channel, priority)
    row = await _START_CLOCK.first(session, {"shop_id": shop_id, "id": uuid.uuid4(),
        "cid": conversation_id, "cycle": cycle, "metric": metric, "seq": seq, "channel": channel,
        "priority": priority, "at": at, "target": target, "bh": policy.business_hours,
        "pv": policy.version, "cv": calendar.version, "wr": policy.warning_ratio})
    if row is None:
        return False
    await _set_deadlines(session, row, at, (0.0, 0.0), warned=False)
    await insert_ledger(session, row, LedgerKind.START, at, cause)
    return True


_SET_DEADLINES = Sql(
    "UPDATE sla_clocks SET deadline_at = :deadline, warn_at = :warn "
    "WHERE shop_id = :shop_id AND id = :id")


async def _set_deadlines(session: AsyncSession, clock: Any, segment_at: datetime,
                         accrued: tuple[float, float], *, warned: bool) -> None:
    calendar = await calendar_of(session, clock.shop_id, clock.calendar_version)
    deadline, warn_at = _deadlines(clock, calendar, segment_at, accrued, warned)
    await _SET_DEADLINES.run(session, {"deadline": deadline, "warn": warn_at,
        "shop_id": clock.shop_id, "id": clock.id})


async def measured(session: AsyncSession, clock: Any, at: datetime) -> tuple[float, float]:
    """(calendar, business) seconds counted by ``clock`` up to ``at``."""
    cal, bus = clock.accrued_calendar, clock.accrued_business
    if clock.state == ClockState.RUNNING and clock.segment_at is not None and at > clock.segment_at:
        calendar = await calendar_of(session, clock.shop_id, clock.calendar_version)
        cal += (at - clock.segment_at).total_seconds()
        bus += business_seconds(calendar, clock.segment_at, at)
    return cal, bus


_MARK_BREACHED = Sql(
    "UPDATE sla_clocks SET breached_at = :at, "
    "warned_at = coalesce(warned_at, :at), warn_at = NULL "
    "WHERE shop_id = :shop_id AND id = :id")


async def breach_if_due(session: AsyncSession, clock: Any, now: datetime,
                        agent_id: uuid.UUID | None) -> bool:
    """Record the breach of a running clock whose deadline passed before ``now`` (once).

    Reaching the target exactly is still within it: a breach needs time beyond it.
    """
    if (clock.state != ClockState.RUNNING or clock.breached_at is not None
            or clock.deadline_at is None or clock.deadline_at >= now):
        return False
    seconds = await measured(session, clock, clock.deadline_at)
    inserted = await insert_ledger(session, clock, LedgerKind.BREACH, clock.deadline_at,
                                   Cause("deadline"), agent_id=agent_id, seconds=seconds,
                                   within_target=False)
    await _MARK_BREACHED.run(session, {"at": clock.deadline_at, "shop_id": clock.shop_id,
        "id": clock.id})
    return inserted


_MARK_WARNED = Sql(
    "UPDATE sla_clocks SET warned_at = :at, warn_at = NULL "
    "WHERE shop_id = :shop_id AND id = :id")


async def warn_if_due(session: AsyncSession, clock: Any, now: datetime) -> bool:
    if (clock.state != ClockState.RUNNING or clock.warned_at is not None
            or clock.warn_at is None or clock.warn_at >= now or clock.breached_at is not None):
        return False
    at = clock.warn_at
    inserted = await insert_ledger(session, clock, LedgerKind.WARNING, at, Cause("deadline"),
                                   seconds=await measured(session, clock, at))
    await _MARK_WARNED.run(session, {"at": at, "shop_id": clock.shop_id, "id": clock.id})
    return inserted


_PAUSE = Sql(
    "UPDATE sla_clocks SET state = 'paused', segment_at = NULL, accrued_calendar = :cal, "
    # A breached wait keeps its (passed) deadline: time left stays negative.
    "accrued_business = :bus, warn_at = NULL, "
    "deadline_at = CASE WHEN breached_at IS NULL THEN NULL ELSE deadline_at END "
    "WHERE shop_id = :shop_id AND id = :id")


async def pause(session: AsyncSession, clock: Any, at: datetime, cause: Cause) -> None:
    if clock.state != ClockState.RUNNING:
        return
    seconds = await measured(session, clock, at)
    await _PAUSE.run(session, {"cal": seconds[0], "bus": seconds[1], "shop_id": clock.shop_id,
        "id": clock.id})
    await insert_ledger(session, clock, LedgerKind.PAUSE, at, cause, seconds=seconds)


_RESUME = Sql(
    "UPDATE sla_clocks SET state = 'running', segment_at = :at "
    "WHERE shop_id = :shop_id AND id = :id")


async def resume(session: AsyncSession, clock: Any, at: datetime, cause: Cause) -> None:
    if clock.state != ClockState.PAUSED:
        return
    await _RESUME.run(session, {"at": at, "shop_id": clock.shop_id, "id": clock.id})
    accrued = (clock.accrued_calendar, clock.accrued_business)
    if clock.breached_at is None:
        await _set_deadlines(session, clock, at, accrued, warned=clock.warned_at is not None)
    await insert_ledger(session, clock, LedgerKind.RESUME, at, cause, seconds=accrued)


_END = Sql(
    "UPDATE sla_clocks SET state = :state, ended_at = :at, segment_at = NULL, "
    "deadline_at = CASE WHEN breached_at IS NULL THEN NULL ELSE deadline_at END, "
    "warn_at = NULL, calendar_seconds = :cal, business_seconds = :bus, agent_id = :agent "
    "WHERE shop_id = :shop_id AND id = :id")


async def _end(session: AsyncSession, clock: Any, at: datetime, state: ClockState,
               agent_id: uuid.UUID | None) -> tuple[float, float]:
    seconds = await measured(session, clock, at)
    await _END.run(session, {"state": state.value, "at": at, "cal": seconds[0], "bus": seconds[1],
        "agent": agent_id, "shop_id": clock.shop_id, "id": clock.id})
    return seconds


async def fulfil(session: AsyncSession, clock: Any, at: datetime, cause: Cause,
                 agent_id: uuid.UUID | None) -> tuple[float, float, bool | None]:
    """End a wait with its measurement: (calendar s, business s, within target)."""
    seconds = await _end(session, clock, at, ClockState.FULFILLED, agent_id)
    within = None
    if clock.target_seconds is not None:
        counted = seconds[1] if clock.business_hours else seconds[0]
        within = clock.breached_at is None and counted <= clock.target_seconds
    await insert_ledger(session, clock, LedgerKind.FULFIL, at, cause, agent_id=agent_id,
                        seconds=seconds, within_target=within)
    return seconds[0], seconds[1], within


async def stop(session: AsyncSession, clock: Any, at: datetime, cause: Cause) -> None:
    """End a wait without a measurement (resolve stops every clock)."""
    seconds = await _end(session, clock, at, ClockState.STOPPED, None)
    await insert_ledger(session, clock, LedgerKind.STOP, at, cause, seconds=seconds)

"""A shop's SLA policy and business-hours calendar: stored versions, read and resolved.

Both are append-only versions. A clock snapshots the policy version, its target and the
calendar version when it starts, so a change applies only to clocks that start after it.
A shop with no policy has no targets (waits are measured, never breached); a shop with no
calendar is open around the clock in its own timezone.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api.db.raw import Sql, sql_of
from api.domain.sla.calendar import Calendar, Interval
from api.domain.sla.enums import FrtStart

__all__ = ["Policy", "StoredCalendar", "forget_cached", "load_calendar", "load_policy", "minutes",
           "resolve_target"]


@dataclass(frozen=True, slots=True)
class Policy:
    version: int = 0
    business_hours: bool = False
    frt_start: FrtStart = FrtStart.FIRST_CUSTOMER_MESSAGE
    warning_ratio: float | None = None
    escalate_reassign: bool = False
    escalate_notify: bool = False
    targets: tuple[dict, ...] = ()
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoredCalendar:
    version: int
    calendar: Calendar
    intervals: list[dict] = field(default_factory=list)
    created_at: datetime | None = None


def minutes(wall: str) -> int:
    hours, mins = wall.split(":")
    return int(hours) * 60 + int(mins)


def resolve_target(policy: Policy, metric: str, channel: str, priority: str) -> int | None:
    """The most specific target: channel and priority, then priority, then channel, then any."""
    best: tuple[int, int] | None = None
    for target in policy.targets:
        if target["metric"] != metric:
            continue
        if target.get("channel") not in (None, channel):
            continue
        if target.get("priority") not in (None, priority):
            continue
        rank = 2 * (target.get("priority") is not None) + (target.get("channel") is not None)
        if best is None or rank > best[0]:
            best = (rank, int(target["seconds"]))
    return best[1] if best else None


_POLICY_CACHE = "sla.policy"


def forget_cached(session: AsyncSession) -> None:
    """Drop what this transaction read of policies and calendars (after writing a new one)."""
    session.info.pop(_POLICY_CACHE, None)
    session.info.pop("sla.calendars", None)
    session.info.pop("sla.calendar.current", None)


async def load_policy(session: AsyncSession, shop_id: uuid.UUID) -> Policy:
    """The current policy, read once per transaction (one message runs several clocks)."""
    cache: dict[uuid.UUID, Policy] = session.info.setdefault(_POLICY_CACHE, {})
    if shop_id not in cache:
        cache[shop_id] = await _read_policy(session, shop_id)
    return cache[shop_id]


_CURRENT_POLICY = Sql(
    "SELECT version, business_hours, frt_start, warning_ratio, escalate_reassign, "
    "escalate_notify, targets, created_at FROM sla_policies WHERE shop_id = :shop_id "
    "ORDER BY version DESC LIMIT 1")


async def _read_policy(session: AsyncSession, shop_id: uuid.UUID) -> Policy:
    row = await _CURRENT_POLICY.first(session, {"shop_id": shop_id})
    if row is None:
        return Policy()
    targets = row.targets if isinstance(row.targets, list) else json.loads(row.targets)
    return Policy(row.version, row.business_hours, FrtStart(row.frt_start), row.warning_ratio,
                  row.escalate_reassign, row.escalate_notify, tuple(targets), row.created_at)


_SHOP_TIMEZONE = Sql("SELECT timezone FROM shops WHERE id = :shop_id")


async def shop_timezone(session: AsyncSession, shop_id: uuid.UUID) -> str:
    # Read once per transaction: a first message asks for it for each clock it starts.
    cache: dict[uuid.UUID, str] = session.info.setdefault("sla.shop_timezone", {})
    if shop_id not in cache:
        cache[shop_id] = await _SHOP_TIMEZONE.scalar(session, {"shop_id": shop_id})
    return cache[shop_id]


async def load_calendar(session: AsyncSession, shop_id: uuid.UUID,
                        version: int | None = None) -> StoredCalendar:
    """The calendar ``version`` (the current one by default); version 0 is "always open"."""
    if version is None:
        cache: dict[uuid.UUID, StoredCalendar] = session.info.setdefault(
            "sla.calendar.current", {})
        if shop_id not in cache:
            cache[shop_id] = await _read_calendar(session, shop_id, None)
        return cache[shop_id]
    return await _read_calendar(session, shop_id, version)


async def _read_calendar(session: AsyncSession, shop_id: uuid.UUID,
                         version: int | None) -> StoredCalendar:
    if version == 0:
        return StoredCalendar(0, Calendar(await shop_timezone(session, shop_id),
                                          always_open=True))
    sql = ("SELECT version, timezone, intervals, holidays, created_at FROM sla_calendars "
           "WHERE shop_id = :shop_id" + (" AND version = :version" if version else "")
           + " ORDER BY version DESC LIMIT 1")
    row = await sql_of(sql).first(session, {"shop_id": shop_id, "version": version})
    if row is None:
        return StoredCalendar(0, Calendar(await shop_timezone(session, shop_id),
                                          always_open=True))
    intervals = row.intervals if isinstance(row.intervals, list) else json.loads(row.intervals)
    holidays = row.holidays if isinstance(row.holidays, list) else json.loads(row.holidays)
    calendar = Calendar(
        row.timezone,
        tuple(Interval(i["weekday"], minutes(i["start"]), minutes(i["end"]) or 1440)
              for i in intervals),
        frozenset(date.fromisoformat(d) for d in holidays))
    return StoredCalendar(row.version, calendar, intervals, row.created_at)

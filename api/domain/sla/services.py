"""Setting a shop's SLA policy and business-hours calendar (new versions, never rewrites)."""

from __future__ import annotations

import json
import uuid
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit import services as audit
from api.domain.audit.context import AuditContext
from api.domain.sla import errors
from api.domain.sla.calendar import Interval, overlapping
from api.domain.sla.policy import (
    Policy,
    StoredCalendar,
    forget_cached,
    load_calendar,
    load_policy,
    minutes,
)
from api.domain.sla.schemas import (
    BusinessHoursInterval,
    CalendarRead,
    CalendarWrite,
    PolicyRead,
    PolicyWrite,
    Target,
)
from api.errors import ApiError

__all__ = ["get_calendar", "get_policy", "set_calendar", "set_policy"]

_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended('sla:' || :key, 0))")


def policy_read(policy: Policy) -> PolicyRead:
    return PolicyRead(version=policy.version,
                      targets=[msgspec.convert(t, Target) for t in policy.targets],
                      business_hours=policy.business_hours, frt_start=policy.frt_start,
                      warning_ratio=policy.warning_ratio,
                      escalate_reassign=policy.escalate_reassign,
                      escalate_notify=policy.escalate_notify, created_at=policy.created_at)


def calendar_read(stored: StoredCalendar) -> CalendarRead:
    cal = stored.calendar
    return CalendarRead(version=stored.version, timezone=cal.timezone,
                        intervals=[msgspec.convert(i, BusinessHoursInterval)
                                   for i in stored.intervals],
                        holidays=sorted(cal.holidays), always_open=cal.always_open,
                        created_at=stored.created_at)


async def get_policy(session: AsyncSession, shop_id: uuid.UUID) -> PolicyRead:
    return policy_read(await load_policy(session, shop_id))


async def get_calendar(session: AsyncSession, shop_id: uuid.UUID) -> CalendarRead:
    return calendar_read(await load_calendar(session, shop_id))


def _check_targets(targets: list[Target]) -> None:
    seen: set[tuple[str, str | None, str | None]] = set()
    for target in targets:
        if target.seconds < 0:
            raise errors.negative_target(target.metric.value)
        if target.seconds < 1:
            raise errors.target_too_small(target.metric.value)
        key = (target.metric.value, target.channel, target.priority)
        if key in seen:
            raise errors.duplicate_target(*key)
        seen.add(key)


async def set_policy(session: AsyncSession, shop_id: uuid.UUID, data: PolicyWrite,
                     actor_id: uuid.UUID | None, ctx: AuditContext) -> PolicyRead:
    """Store a new policy version; clocks already running keep the one they started under."""
    _check_targets(data.targets)
    await session.execute(_LOCK, {"key": f"policy:{shop_id}"})
    version = (await session.execute(text(
        "SELECT coalesce(max(version), 0) + 1 FROM sla_policies WHERE shop_id = :shop_id"),
        {"shop_id": shop_id})).scalar_one()
    targets = [msgspec.to_builtins(t) for t in data.targets]
    await session.execute(text(
        "INSERT INTO sla_policies (shop_id, version, business_hours, frt_start, warning_ratio, "
        "escalate_reassign, escalate_notify, targets, created_by) VALUES (:shop_id, :version, "
        ":bh, :frt, :wr, :reassign, :notify, CAST(:targets AS jsonb), :actor)"),
        {"shop_id": shop_id, "version": version, "bh": data.business_hours,
         "frt": data.frt_start.value, "wr": data.warning_ratio,
         "reassign": data.escalate_reassign, "notify": data.escalate_notify,
         "targets": json.dumps(targets), "actor": actor_id})
    forget_cached(session)
    await audit.record(session, ctx, shop_id=shop_id, action="sla.policy_set",
                       target=f"sla_policy:{version}", details={"version": version})
    return await get_policy(session, shop_id)


def _intervals(items: list[BusinessHoursInterval]) -> list[Interval]:
    out = []
    for item in items:
        if item.start == "24:00":
            raise ApiError.unprocessable("sla.invalid_interval",
                                         "An interval cannot start at 24:00.",
                                         interval=msgspec.to_builtins(item))
        out.append(Interval(item.weekday, minutes(item.start), minutes(item.end) or 1440))
    return out


def _check_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise errors.unknown_timezone(name) from exc


async def set_calendar(session: AsyncSession, shop_id: uuid.UUID, data: CalendarWrite,
                       actor_id: uuid.UUID | None, ctx: AuditContext) -> CalendarRead:
    """Store a new calendar version; running clocks keep the version they started under."""
    _check_zone(data.timezone)
    intervals = _intervals(data.intervals)
    clash = overlapping(intervals)
    if clash is not None:
        a, b = (data.intervals[intervals.index(x)] for x in clash)
        raise errors.overlapping_intervals(msgspec.to_builtins(a), msgspec.to_builtins(b))
    holidays: list[date] = sorted(set(data.holidays))
    await session.execute(_LOCK, {"key": f"calendar:{shop_id}"})
    version = (await session.execute(text(
        "SELECT coalesce(max(version), 0) + 1 FROM sla_calendars WHERE shop_id = :shop_id"),
        {"shop_id": shop_id})).scalar_one()
    await session.execute(text(
        "INSERT INTO sla_calendars (shop_id, version, timezone, intervals, holidays, "
        "created_by) VALUES (:shop_id, :version, :tz, CAST(:intervals AS jsonb), "
        "CAST(:holidays AS jsonb), :actor)"),
        {"shop_id": shop_id, "version": version, "tz": data.timezone,
         "intervals": json.dumps(msgspec.to_builtins(data.intervals)),
         "holidays": json.dumps([d.isoformat() for d in holidays]), "actor": actor_id})
    forget_cached(session)
    await audit.record(session, ctx, shop_id=shop_id, action="sla.calendar_set",
                       target=f"sla_calendar:{version}", details={"version": version})
    return await get_calendar(session, shop_id)

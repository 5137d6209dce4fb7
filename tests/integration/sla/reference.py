"""A plain reference computation written from ``../shared/spec/sla.md`` alone.

Deliberately naive and independent of ``api.domain.sla``: business time is counted minute
by minute on the wall clock (every script time and interval boundary is a whole minute, so
the count is exact), and each wait's value is its span minus the pending time inside it,
instead of the clocks' start/pause/resume accrual.

A script is a list of steps ``(minute, kind, agent)``; kinds: ``customer`` (a message from
the buyer; on a resolved conversation it reopens a new cycle), ``reply`` (a qualifying
reply), ``auto`` (an auto-reply), ``note`` (an internal note), ``pending``, ``open``,
``resolve``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = ["RefCalendar", "Wait", "business_minutes", "is_open", "measure"]


@dataclass(frozen=True)
class RefCalendar:
    timezone: str
    intervals: tuple[tuple[int, int, int], ...]  # (weekday, start minute, end minute)
    holidays: frozenset[date] = frozenset()


def is_open(cal: RefCalendar, instant: datetime) -> bool:
    """sla.md: business seconds count only time inside open intervals; holidays are closed."""
    local = instant.astimezone(ZoneInfo(cal.timezone))
    if local.date() in cal.holidays:
        return False
    minute, weekday = local.hour * 60 + local.minute, local.weekday()
    for day, start, end in cal.intervals:
        if end > start:
            if weekday == day and start <= minute < end:
                return True
        else:  # overnight: from start until midnight, then until end the next day
            if (weekday == day and minute >= start) or (weekday == (day + 1) % 7
                                                        and minute < end):
                return True
    return False


def business_minutes(cal: RefCalendar | None, begin: datetime, end: datetime) -> int:
    if cal is None:
        return int((end - begin).total_seconds() // 60)
    count, t = 0, begin
    while t < end:
        count += is_open(cal, t)
        t += timedelta(minutes=1)
    return count


@dataclass
class Wait:
    metric: str
    cycle: int
    start: int  # minutes
    end: int
    agent: object | None
    calendar_seconds: float = 0.0
    business_seconds: float = 0.0


def measure(steps: list[tuple[int, str, object | None]], t0: datetime,
            cal: RefCalendar | None) -> list[Wait]:
    """Every fulfilled wait of the script, valued in calendar and business seconds."""
    waits: list[Wait] = []
    pending: list[list[int]] = []  # [from, to] periods the conversation waited on the buyer
    cycle, status = 0, "resolved"
    frt_start = nrt_start = cycle_start = None
    replied = False
    for minute, kind, agent in steps:
        if kind == "customer":
            if status == "resolved":
                cycle, status, cycle_start = cycle + 1, "open", minute
                frt_start, nrt_start, replied = minute, None, False
                continue
            if status == "pending":
                pending[-1][1], status = minute, "open"
            if replied and nrt_start is None:
                nrt_start = minute  # the oldest unanswered message after a reply
        elif kind == "reply" and status != "resolved":
            if frt_start is not None and not replied:
                waits.append(Wait("frt", cycle, frt_start, minute, agent))
                frt_start = None
            elif nrt_start is not None:
                waits.append(Wait("nrt", cycle, nrt_start, minute, agent))
                nrt_start = None
            replied = True
        elif kind == "pending" and status == "open":
            status = "pending"
            pending.append([minute, 10**9])
        elif kind == "open" and status == "pending":
            pending[-1][1], status = minute, "open"
        elif kind == "resolve" and status != "resolved":
            if status == "pending":
                pending[-1][1] = minute
            waits.append(Wait("resolution", cycle, cycle_start, minute, None))
            status, frt_start, nrt_start = "resolved", None, None
    for wait in waits:
        at = [t0 + timedelta(minutes=m) for m in (wait.start, wait.end)]
        cal_minutes = wait.end - wait.start
        bus_minutes = business_minutes(cal, *at)
        if wait.metric != "frt":  # pending pauses NRT and resolution, never FRT
            for p_from, p_to in pending:
                lo, hi = max(p_from, wait.start), min(p_to, wait.end)
                if lo < hi:
                    cal_minutes -= hi - lo
                    bus_minutes -= business_minutes(cal, t0 + timedelta(minutes=lo),
                                                    t0 + timedelta(minutes=hi))
        wait.calendar_seconds, wait.business_seconds = cal_minutes * 60.0, bus_minutes * 60.0
    return waits

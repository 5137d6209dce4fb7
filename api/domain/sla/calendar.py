"""Business-hours arithmetic: pure functions, no I/O (sla.md, "Clocks and pauses").

A calendar is a timezone, intervals of local wall-clock minutes per weekday and holiday
dates. An interval ``(weekday, start, end)`` opens on every local date of that weekday at
``start`` and closes at ``end`` the same day, or the next day when ``end <= start`` (an
overnight shift crossing midnight). Every instant whose *local date* is a holiday is closed,
including the part of an overnight shift that spills into it.

The rule is about the wall clock: an instant is open when the shop's local time is inside
an interval. Counting happens on real instants, so a business day that contains a DST
change is as long as it really was: 00:00-24:00 holds 23 hours on the spring-forward day
(the skipped hour never shows on a clock) and 25 on the fall-back day (the repeated hour
shows twice).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["ALWAYS_OPEN", "Calendar", "Interval", "add_business", "business_seconds",
           "open_spans", "overlapping"]

MINUTES_PER_DAY = 24 * 60
_MAX_DAYS = 800  # how far a deadline is searched before it is "never" (no open time)


@dataclass(frozen=True, slots=True)
class Interval:
    weekday: int  # 0 = Monday ... 6 = Sunday (ISO weekday - 1)
    start: int  # minutes after local midnight, 0..1439
    end: int  # 1..1440; end <= start means it closes the next day

    @property
    def overnight(self) -> bool:
        return self.end <= self.start

    def week_span(self) -> tuple[int, int]:
        """Minutes since Monday 00:00 of a week, end possibly past the week's end."""
        begin = self.weekday * MINUTES_PER_DAY + self.start
        length = (self.end - self.start) % MINUTES_PER_DAY or MINUTES_PER_DAY
        return begin, begin + length


@dataclass(frozen=True, slots=True)
class Calendar:
    timezone: str
    intervals: tuple[Interval, ...] = ()
    holidays: frozenset[date] = field(default_factory=frozenset)
    always_open: bool = False  # no calendar configured: business time is calendar time

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


ALWAYS_OPEN = Calendar("UTC", always_open=True)


def overlapping(intervals: list[Interval]) -> tuple[Interval, Interval] | None:
    """Two intervals that share a minute of the week (overnight and Sunday->Monday included)."""
    week = 7 * MINUTES_PER_DAY
    spans: list[tuple[int, int, Interval]] = []
    for interval in intervals:
        begin, end = interval.week_span()
        spans.append((begin, end, interval))
        if end > week:  # the part after Sunday midnight lands on Monday
            spans.append((0, end - week, interval))
    spans.sort(key=lambda s: (s[0], s[1]))
    for (_, end_a, a), (begin_b, _, b) in zip(spans, spans[1:], strict=False):
        if begin_b < end_a and a is not b:
            return a, b
    return None


def _offset(zone: ZoneInfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def _constant_offset_pieces(zone: ZoneInfo, begin: datetime, end: datetime
                            ) -> list[tuple[datetime, datetime, timedelta]]:
    """Split ``[begin, end)`` where the zone's UTC offset changes (DST transitions).

    Steps a day at a time (a zone changes its offset at most once a day) and finds a change
    by bisecting whole seconds (transitions fall on whole seconds).
    """
    pieces = []
    a = begin
    tick = timedelta(microseconds=1)
    while a < end:
        offset = _offset(zone, a)
        b = min(a + timedelta(days=1), end)
        if _offset(zone, b - tick) != offset:
            lo, hi = math.floor(a.timestamp()), math.ceil((b - tick).timestamp())
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _offset(zone, datetime.fromtimestamp(mid, UTC)) == offset:
                    lo = mid
                else:
                    hi = mid
            b = datetime.fromtimestamp(hi, UTC)
        pieces.append((a, b, offset))
        a = b
    return pieces


def _wall_spans(calendar: Calendar, wall_begin: datetime, wall_end: datetime
                ) -> list[tuple[datetime, datetime]]:
    """Open wall-clock (naive local) time within ``[wall_begin, wall_end)``."""
    spans: list[tuple[datetime, datetime]] = []
    day = wall_begin.date() - timedelta(days=1)  # yesterday's overnight shift reaches today
    while day <= wall_end.date():
        midnight = datetime.combine(day, time(0))
        for interval in calendar.intervals:
            if interval.weekday == day.weekday():
                week_begin, week_end = interval.week_span()
                spans.append((midnight + timedelta(minutes=interval.start),
                              midnight + timedelta(minutes=interval.start + week_end - week_begin)))
        day += timedelta(days=1)
    holes = [(datetime.combine(h, time(0)), datetime.combine(h + timedelta(days=1), time(0)))
             for h in calendar.holidays
             if wall_begin.date() - timedelta(days=1) <= h <= wall_end.date()]
    clipped = [(max(a, wall_begin), min(b, wall_end)) for a, b in _subtract(_merge(spans), holes)]
    return [(a, b) for a, b in clipped if a < b]


def _merge(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for begin, end in sorted(spans):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    return merged


def _subtract(spans: list[tuple[datetime, datetime]], holes: list[tuple[datetime, datetime]]
              ) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for begin, end in spans:
        pieces = [(begin, end)]
        for h_begin, h_end in holes:
            next_pieces = []
            for a, b in pieces:
                if h_end <= a or h_begin >= b:
                    next_pieces.append((a, b))
                    continue
                if a < h_begin:
                    next_pieces.append((a, h_begin))
                if h_end < b:
                    next_pieces.append((h_end, b))
            pieces = next_pieces
        out.extend(pieces)
    return out


def open_spans(calendar: Calendar, begin: datetime, end: datetime
               ) -> list[tuple[datetime, datetime]]:
    """The open time within ``[begin, end)`` as sorted, disjoint UTC spans.

    Within a stretch of constant UTC offset, wall-clock time is UTC shifted by the offset,
    so open wall-clock spans map back exactly; at a DST change the stretch ends, which is
    how a skipped hour is never open and a repeated hour is open twice when its wall time is.
    """
    begin, end = begin.astimezone(UTC), end.astimezone(UTC)
    if end <= begin:
        return []
    if calendar.always_open:
        return [(begin, end)]
    zone = calendar.zone
    out: list[tuple[datetime, datetime]] = []
    for a, b, offset in _constant_offset_pieces(zone, begin, end):
        wall_a = (a + offset).replace(tzinfo=None)
        wall_b = (b + offset).replace(tzinfo=None)
        for wa, wb in _wall_spans(calendar, wall_a, wall_b):
            out.append(((wa - offset).replace(tzinfo=UTC), (wb - offset).replace(tzinfo=UTC)))
    return _merge(out)


def business_seconds(calendar: Calendar, begin: datetime, end: datetime) -> float:
    """Seconds of open time in ``[begin, end)``."""
    return sum((b - a).total_seconds() for a, b in open_spans(calendar, begin, end))


def add_business(calendar: Calendar, begin: datetime, seconds: float, *,
                 beyond: bool = False) -> datetime | None:
    """The instant at which ``seconds`` of open time have passed since ``begin``.

    ``beyond``: the instant after which *more* than ``seconds`` have passed, which is where a
    deadline lies (reaching the target exactly is still within it). The two differ when the
    target is reached exactly as the calendar closes: then nothing more passes until it
    opens again, and the deadline is that opening, not the closing.

    ``None`` when the calendar never opens again within the search horizon (no intervals,
    or only holidays ahead): such a wait has no deadline.
    """
    if seconds <= 0 and not beyond:
        return begin
    if calendar.always_open:
        return begin + timedelta(seconds=max(seconds, 0.0))
    remaining = max(seconds, 0.0)
    window_start = begin
    for _ in range(0, _MAX_DAYS, 14):
        window_end = window_start + timedelta(days=14)
        for a, b in open_spans(calendar, window_start, window_end):
            length = (b - a).total_seconds()
            if length > remaining or (length == remaining and not beyond):
                return a + timedelta(seconds=remaining)
            remaining -= length
        window_start = window_end
    return None

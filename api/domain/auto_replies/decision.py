"""When hosting (信息托管) answers: pure rules, no I/O, so they are property-tested.

- Windows are local wall-clock times in the shop's timezone, ``[start, end)``; a window
  whose end is before its start crosses midnight (22:00-08:00 runs from 10 pm to 8 am the
  next morning). ``end == start`` is refused when the settings are written.
- Weekdays are the days a window *starts* on: with Friday chosen, 22:00-08:00 covers
  Friday 22:00 to Saturday 08:00, and not Sunday 03:00 unless Saturday is chosen too.
  No windows at all means the whole of every chosen day.
- The customer must have waited at least ``wait_minutes`` unanswered
  (``conversations.waiting_since``), and hosting has not answered this customer within
  the last ``throttle_minutes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

__all__ = ["HostingPolicy", "Window", "hosting_due", "in_window"]


@dataclass(frozen=True, slots=True)
class Window:
    start: time
    end: time

    @property
    def crosses_midnight(self) -> bool:
        return self.end < self.start


@dataclass(frozen=True, slots=True)
class HostingPolicy:
    enabled: bool
    windows: tuple[Window, ...]
    weekdays: frozenset[int]  # ISO: 1 Monday .. 7 Sunday
    wait_minutes: int
    throttle_minutes: int


def _previous_day(isoweekday: int) -> int:
    return 7 if isoweekday == 1 else isoweekday - 1


def in_window(local: datetime, windows: tuple[Window, ...], weekdays: frozenset[int]) -> bool:
    """Whether the local wall-clock moment ``local`` falls inside an active window."""
    moment = local.time().replace(tzinfo=None)
    today = local.isoweekday()
    if not windows:
        return today in weekdays
    for window in windows:
        if not window.crosses_midnight:
            if window.start <= moment < window.end and today in weekdays:
                return True
        elif moment >= window.start:
            if today in weekdays:  # the evening part: the window started today
                return True
        elif moment < window.end and _previous_day(today) in weekdays:
            return True  # the morning part: the window started yesterday
    return False


def hosting_due(policy: HostingPolicy, *, now: datetime, tz: tzinfo,
                waiting_since: datetime | None, last_replied_at: datetime | None) -> bool:
    """Whether hosting should answer a customer message arriving at ``now`` (aware)."""
    if not policy.enabled:
        return False
    if not in_window(now.astimezone(tz), policy.windows, policy.weekdays):
        return False
    waited = now - waiting_since if waiting_since is not None else timedelta(0)
    if waited < timedelta(minutes=policy.wait_minutes):
        return False
    return not (last_replied_at is not None
                and now - last_replied_at < timedelta(minutes=policy.throttle_minutes))

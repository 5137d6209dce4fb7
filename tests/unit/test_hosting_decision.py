"""Hosting (信息托管) decisions: windows in local time, midnight, weekdays, waits, throttle."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from api.domain.auto_replies.content import normalize, to_message
from api.domain.auto_replies.decision import HostingPolicy, Window, hosting_due, in_window

SHANGHAI = ZoneInfo("Asia/Shanghai")
ALL_DAYS = frozenset(range(1, 8))
times = st.times().map(lambda t: t.replace(microsecond=0))
weekday_sets = st.frozensets(st.integers(1, 7))
local_moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31))


def policy(**overrides: object) -> HostingPolicy:
    base = {"enabled": True, "windows": (), "weekdays": ALL_DAYS, "wait_minutes": 0,
            "throttle_minutes": 60}
    return HostingPolicy(**{**base, **overrides})  # type: ignore[arg-type]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """Local wall-clock time on an ISO weekday of the week of Monday 2026-11-30."""
    return datetime(2026, 11, 30, hour, minute) + timedelta(days=day - 1)


def test_a_night_window_crosses_midnight() -> None:
    night = (Window(time(22), time(8)),)
    assert in_window(at(5, 22), night, ALL_DAYS)  # Friday 22:00
    assert in_window(at(6, 3), night, ALL_DAYS)  # Saturday 03:00
    assert not in_window(at(6, 8), night, ALL_DAYS)  # end is exclusive
    assert not in_window(at(6, 12), night, ALL_DAYS)
    assert not in_window(at(5, 21, 59), night, ALL_DAYS)


def test_weekdays_are_the_day_a_window_starts() -> None:
    night = (Window(time(22), time(8)),)
    friday = frozenset({5})
    assert in_window(at(5, 23), night, friday)
    assert in_window(at(6, 7, 59), night, friday)  # Saturday morning: Friday's window
    assert not in_window(at(6, 23), night, friday)  # Saturday's own night
    assert not in_window(at(5, 3), night, friday)  # Friday morning: Thursday's window
    monday_morning_of_sunday = frozenset({7})
    assert in_window(at(1, 1), night, monday_morning_of_sunday)  # Sunday -> Monday wraps


def test_no_windows_means_the_whole_of_each_chosen_day() -> None:
    assert in_window(at(3, 0), (), frozenset({3}))
    assert in_window(at(3, 23, 59), (), frozenset({3}))
    assert not in_window(at(4, 0), (), frozenset({3}))


def test_the_shops_timezone_decides() -> None:
    office = policy(windows=(Window(time(9), time(18)),))
    # 02:00 UTC is 10:00 in Shanghai: inside; 12:00 UTC is 20:00 there: outside.
    assert hosting_due(office, now=datetime(2026, 12, 1, 2, tzinfo=UTC), tz=SHANGHAI,
                       waiting_since=None, last_replied_at=None)
    assert not hosting_due(office, now=datetime(2026, 12, 1, 12, tzinfo=UTC), tz=SHANGHAI,
                           waiting_since=None, last_replied_at=None)


def test_wait_and_throttle() -> None:
    now = datetime(2026, 12, 1, 2, tzinfo=UTC)
    waiting = policy(wait_minutes=5)
    assert not hosting_due(waiting, now=now, tz=SHANGHAI, waiting_since=now - timedelta(minutes=4),
                           last_replied_at=None)
    assert hosting_due(waiting, now=now, tz=SHANGHAI, waiting_since=now - timedelta(minutes=5),
                       last_replied_at=None)
    assert not hosting_due(waiting, now=now, tz=SHANGHAI, waiting_since=None,
                           last_replied_at=None)  # nothing unanswered: no wait at all
    throttled = policy()
    assert not hosting_due(throttled, now=now, tz=SHANGHAI, waiting_since=None,
                           last_replied_at=now - timedelta(minutes=59))
    assert hosting_due(throttled, now=now, tz=SHANGHAI, waiting_since=None,
                       last_replied_at=now - timedelta(minutes=60))
    assert not hosting_due(policy(enabled=False), now=now, tz=SHANGHAI, waiting_since=None,
                           last_replied_at=None)


@given(start=times, end=times, moment=local_moments, days=weekday_sets)
def test_window_membership_matches_a_minute_walk(start: time, end: time, moment: datetime,
                                                 days: frozenset[int]) -> None:
    """Reference: the window is active from each chosen day's start for its length."""
    if start == end:
        return  # refused when settings are written
    window = Window(start, end)
    length = (datetime.combine(moment.date(), end) - datetime.combine(moment.date(), start))
    if length <= timedelta(0):
        length += timedelta(days=1)
    expected = False
    for back in (0, 1):
        day = moment.date() - timedelta(days=back)
        opened = datetime.combine(day, start)
        if day.isoweekday() in days and opened <= moment < opened + length:
            expected = True
    assert in_window(moment, (window,), days) is expected


@given(start=times, end=times, moment=local_moments)
def test_a_window_and_its_complement_cover_every_moment_once(start: time, end: time,
                                                            moment: datetime) -> None:
    if start == end:
        return
    inside = in_window(moment, (Window(start, end),), ALL_DAYS)
    outside = in_window(moment, (Window(end, start),), ALL_DAYS)
    assert inside != outside


@given(minutes_waited=st.integers(0, 3000), wait=st.integers(0, 1440),
       since_last=st.none() | st.integers(0, 20000), throttle=st.integers(1, 10080))
def test_wait_and_throttle_thresholds(minutes_waited: int, wait: int, since_last: int | None,
                                      throttle: int) -> None:
    now = datetime(2026, 12, 1, 4, tzinfo=UTC)
    due = hosting_due(policy(wait_minutes=wait, throttle_minutes=throttle), now=now, tz=SHANGHAI,
                      waiting_since=now - timedelta(minutes=minutes_waited),
                      last_replied_at=None if since_last is None
                      else now - timedelta(minutes=since_last))
    assert due is (minutes_waited >= wait and (since_last is None or since_last >= throttle))


def test_content_becomes_a_message() -> None:
    assert to_message({"kind": "text", "text": "您好"}) == ("您好", [])
    body, attachments = to_message({"kind": "link", "url": "https://s.example/a", "title": "店铺"})
    assert body == "店铺" and attachments == [{"kind": "link", "url": "https://s.example/a",
                                                "title": "店铺"}]
    body, attachments = to_message({"kind": "card", "url": "https://s.example/a", "title": "新品",
                                    "image_url": "https://s.example/a.png"})
    assert body == "新品" and attachments[0]["image_url"] == "https://s.example/a.png"
    assert normalize("  Free   SHIPPING\t") == "free shipping"

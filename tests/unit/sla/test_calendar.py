"""Business-hours arithmetic against the minute-by-minute reference of sla.md."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from api.domain.sla.calendar import (
    ALWAYS_OPEN,
    Calendar,
    Interval,
    add_business,
    business_seconds,
    overlapping,
)
from tests.integration.sla.reference import RefCalendar, business_minutes

BERLIN = "Europe/Berlin"


def cal(tz: str, *intervals: tuple[int, str, str], holidays: tuple[date, ...] = ()) -> Calendar:
    def m(wall: str) -> int:
        h, mi = wall.split(":")
        return int(h) * 60 + int(mi)

    return Calendar(tz, tuple(Interval(d, m(s), m(e) or 1440) for d, s, e in intervals),
                    frozenset(holidays))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_split_shift() -> None:
    c = cal("Asia/Shanghai", (0, "09:00", "12:00"), (0, "13:00", "18:00"))
    # Monday 2027-06-07 08:00 -> 19:00 local: 3 h + 5 h open.
    assert business_seconds(c, utc(2027, 6, 7, 0), utc(2027, 6, 7, 11)) == 8 * 3600


def test_overnight_interval_crosses_midnight_into_the_next_weekday() -> None:
    c = cal("Asia/Shanghai", (4, "22:00", "02:00"))  # Friday night shift
    # Friday 21:00 -> Saturday 03:00 local: 4 hours open.
    assert business_seconds(c, utc(2027, 6, 11, 13), utc(2027, 6, 11, 19)) == 4 * 3600
    # A 3 h target started Friday 23:30 local ends at 02:00 Saturday... then waits a week.
    deadline = add_business(c, utc(2027, 6, 11, 15, 30), 3 * 3600)
    assert deadline == utc(2027, 6, 18, 14, 30)  # next Friday 22:30 local


def test_deadline_crosses_midnight_in_the_shop_timezone() -> None:
    c = cal("America/New_York", *((d, "09:00", "17:00") for d in range(5)))
    # Monday 16:00 EDT + 2 business hours -> Tuesday 10:00 EDT (14:00 UTC).
    assert add_business(c, utc(2027, 6, 7, 20), 2 * 3600) == utc(2027, 6, 8, 14)


def test_holiday_is_closed_all_day_even_inside_an_overnight_shift() -> None:
    c = cal("Asia/Shanghai", *((d, "22:00", "06:00") for d in range(7)),
            holidays=(date(2027, 10, 1),))
    # Sept 30 22:00 -> Oct 1 06:00 local: only the 2 hours before midnight count.
    begin = utc(2027, 9, 30, 14)
    assert business_seconds(c, begin, begin + timedelta(hours=8)) == 2 * 3600


def test_dst_spring_forward_day_is_23_hours_and_fall_back_is_25() -> None:
    c = cal(BERLIN, *((d, "00:00", "24:00") for d in range(7)))
    spring = (utc(2027, 3, 27, 23), utc(2027, 3, 28, 22))  # local midnight to midnight
    fall = (utc(2027, 10, 30, 22), utc(2027, 10, 31, 23))
    assert business_seconds(c, *spring) == 23 * 3600
    assert business_seconds(c, *fall) == 25 * 3600


def test_dst_shift_boundaries_follow_the_wall_clock() -> None:
    c = cal(BERLIN, (6, "01:30", "03:30"))  # Sunday 2027-03-28: 02:00-03:00 never happens
    assert business_seconds(c, utc(2027, 3, 27, 12), utc(2027, 3, 28, 12)) == 3600
    # 1 business hour from Sunday 01:30 CET is 03:30 CEST (01:30 UTC).
    assert add_business(c, utc(2027, 3, 28, 0, 30), 3600) == utc(2027, 3, 28, 1, 30)
    fall = cal(BERLIN, (6, "01:30", "03:30"))  # Sunday 2027-10-31: 02:00-03:00 twice
    assert business_seconds(fall, utc(2027, 10, 30, 12), utc(2027, 10, 31, 12)) == 3 * 3600


def test_no_open_time_means_no_deadline() -> None:
    assert add_business(cal(BERLIN), utc(2027, 1, 1), 60) is None
    assert add_business(ALWAYS_OPEN, utc(2027, 1, 1), 60) == utc(2027, 1, 1, 0, 1)


def test_overlaps_are_found_across_midnight_and_the_week_end() -> None:
    assert overlapping([Interval(0, 540, 720), Interval(0, 780, 1080)]) is None
    assert overlapping([Interval(0, 540, 720), Interval(0, 700, 800)]) is not None
    assert overlapping([Interval(0, 1320, 120), Interval(1, 60, 300)]) is not None
    assert overlapping([Interval(6, 1320, 120), Interval(0, 60, 300)]) is not None
    assert overlapping([Interval(6, 1320, 120), Interval(0, 120, 300)]) is None


ZONES = st.sampled_from(["Europe/Berlin", "America/New_York", "Asia/Shanghai", "UTC"])
MINUTE = st.integers(0, 24 * 60 - 1).map(lambda m: m - m % 30)


@st.composite
def calendars(draw):  # type: ignore[no-untyped-def]
    zone = draw(ZONES)
    picked = []
    for _ in range(draw(st.integers(0, 5))):
        start = draw(MINUTE)
        end = draw(MINUTE)
        candidate = Interval(draw(st.integers(0, 6)), start, end or 1440)
        if start != end and overlapping([*picked, candidate]) is None:
            picked.append(candidate)
    holidays = draw(st.lists(st.dates(date(2027, 3, 20), date(2027, 4, 5)), max_size=3))
    return Calendar(zone, tuple(picked), frozenset(holidays))


@settings(max_examples=150, deadline=None)
@given(calendar=calendars(), start=st.integers(0, 14 * 24 * 60), length=st.integers(0, 3 * 1440))
def test_business_seconds_equal_the_minute_by_minute_reference(calendar, start, length) -> None:  # type: ignore[no-untyped-def]
    # Around the 2027 spring DST change in Europe and America.
    begin = utc(2027, 3, 20) + timedelta(minutes=start)
    end = begin + timedelta(minutes=length)
    ref = RefCalendar(calendar.timezone,
                      tuple((i.weekday, i.start, i.end % 1440) for i in calendar.intervals),
                      calendar.holidays)
    assert business_seconds(calendar, begin, end) == 60 * business_minutes(ref, begin, end)
    target = business_seconds(calendar, begin, end)
    if target > 0:
        reached = add_business(calendar, begin, target)
        assert reached is not None and reached <= end
        assert business_seconds(calendar, begin, reached) == target

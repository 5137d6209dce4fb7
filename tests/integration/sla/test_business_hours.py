"""Clocks on business hours, DST, policy versions and start rules: known answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.integration.sla.helpers import set_calendar, set_policy
from tests.integration.sla.script import Convo, clocks_of, ledger_of
from tests.support.world import World

WEEKDAYS_SPLIT = [{"weekday": d, "start": s, "end": e} for d in range(5)
                  for s, e in (("09:00", "12:00"), ("13:00", "18:00"))]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def clock(clocks, metric: str, cycle: int = 1, seq: int = 0):  # type: ignore[no-untyped-def]
    return next(c for c in clocks if (c.metric, c.cycle, c.seq) == (metric, cycle, seq))


async def test_split_shift_deadline_skips_lunch_and_counts_business_seconds(world: World) -> None:
    shop_id, founder = await world.shop()
    agent = await world.staff(shop_id, "agent")
    await set_calendar(world, shop_id, founder, timezone="Asia/Shanghai",
                       intervals=WEEKDAYS_SPLIT)
    await set_policy(world, shop_id, founder, business_hours=True,
                     targets=[{"metric": "frt", "seconds": 3600}])
    convo = Convo(world, shop_id)
    await convo.open(utc(2027, 6, 7, 3, 30))  # Monday 11:30 local
    [frt] = [c for c in await clocks_of(world, shop_id, convo.id) if c.metric == "frt"]
    assert frt.deadline_at == utc(2027, 6, 7, 5, 30)  # 13:30 local: lunch does not count
    await convo.reply(utc(2027, 6, 7, 6, 0), agent.id)  # 14:00 local
    frt = clock(await clocks_of(world, shop_id, convo.id), "frt")
    assert (frt.calendar_seconds, frt.business_seconds) == (9000, 5400)
    breach = [r for r in await ledger_of(world, shop_id, convo.id) if r.kind == "breach"]
    assert [b.at for b in breach] == [utc(2027, 6, 7, 5, 30)]


async def test_holiday_and_a_deadline_crossing_midnight(world: World) -> None:
    shop_id, founder = await world.shop()
    await set_calendar(world, shop_id, founder, timezone="Asia/Shanghai",
                       intervals=WEEKDAYS_SPLIT, holidays=["2027-06-08"])
    await set_policy(world, shop_id, founder, business_hours=True,
                     targets=[{"metric": "frt", "seconds": 3600}])
    convo = Convo(world, shop_id)
    await convo.open(utc(2027, 6, 7, 9, 30))  # Monday 17:30 local; Tuesday is a holiday
    frt = clock(await clocks_of(world, shop_id, convo.id), "frt")
    assert frt.deadline_at == utc(2027, 6, 9, 1, 30)  # Wednesday 09:30 local


async def test_deadline_crosses_midnight_in_the_shop_timezone(world: World) -> None:
    shop_id, founder = await world.shop()
    await set_calendar(world, shop_id, founder, timezone="America/New_York", intervals=[
        {"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)])
    await set_policy(world, shop_id, founder, business_hours=True,
                     targets=[{"metric": "frt", "seconds": 7200}])
    convo = Convo(world, shop_id)
    await convo.open(utc(2027, 6, 7, 20))  # Monday 16:00 EDT, Tuesday in UTC at 20:00+4h
    frt = clock(await clocks_of(world, shop_id, convo.id), "frt")
    assert frt.deadline_at == utc(2027, 6, 8, 14)  # Tuesday 10:00 EDT


async def test_dst_night_counts_real_seconds(world: World) -> None:
    shop_id, founder = await world.shop()
    agent = await world.staff(shop_id, "agent")
    await set_calendar(world, shop_id, founder, timezone="Europe/Berlin", intervals=[
        {"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)])
    await set_policy(world, shop_id, founder, business_hours=True,
                     targets=[{"metric": "frt", "seconds": 4 * 3600}])
    convo = Convo(world, shop_id)
    await convo.open(utc(2027, 3, 27, 23))  # Sunday 00:00 CET; clocks go forward at 02:00
    frt = clock(await clocks_of(world, shop_id, convo.id), "frt")
    assert frt.deadline_at == utc(2027, 3, 28, 3)  # 05:00 CEST: 4 real hours
    await convo.reply(utc(2027, 3, 28, 3), agent.id)
    await convo.set_status("resolved", utc(2027, 3, 28, 4), agent.id)  # 06:00 CEST
    clocks = await clocks_of(world, shop_id, convo.id)
    assert clock(clocks, "frt").business_seconds == 4 * 3600
    res = clock(clocks, "resolution")
    assert (res.calendar_seconds, res.business_seconds) == (5 * 3600, 5 * 3600)
    assert not [r for r in await ledger_of(world, shop_id, convo.id) if r.kind == "breach"]


async def test_policy_change_applies_to_clocks_that_start_after_it(world: World) -> None:
    shop_id, founder = await world.shop()
    agent = await world.staff(shop_id, "agent")
    await set_policy(world, shop_id, founder, targets=[{"metric": "nrt", "seconds": 300}])
    t0 = utc(2027, 6, 7, 2)
    convo = Convo(world, shop_id)
    await convo.open(t0)
    await convo.reply(t0 + timedelta(seconds=10), agent.id)
    await convo.customer(t0 + timedelta(seconds=100))  # NRT #1 under version 1 (300 s)
    await set_policy(world, shop_id, founder, targets=[{"metric": "nrt", "seconds": 60}])
    await convo.reply(t0 + timedelta(seconds=300), agent.id)  # 200 s: within 300
    await convo.customer(t0 + timedelta(seconds=400))  # NRT #2 under version 2 (60 s)
    await convo.reply(t0 + timedelta(seconds=600), agent.id)  # 200 s: breached
    clocks = await clocks_of(world, shop_id, convo.id)
    first, second = clock(clocks, "nrt", seq=1), clock(clocks, "nrt", seq=2)
    assert (first.policy_version, first.target_seconds, first.breached_at) == (1, 300, None)
    assert (second.policy_version, second.target_seconds) == (2, 60)
    assert second.breached_at == t0 + timedelta(seconds=460)
    fulfils = {r.clock_id: r.within_target for r in await ledger_of(world, shop_id, convo.id)
               if r.kind == "fulfil"}
    assert (fulfils[first.id], fulfils[second.id]) == (True, False)


async def test_frt_start_rules(world: World) -> None:
    shop_id, founder = await world.shop()
    agent = await world.staff(shop_id, "agent")
    t0 = utc(2027, 6, 7, 2)
    await set_policy(world, shop_id, founder, frt_start="conversation_created")
    created = Convo(world, shop_id)
    await created.open(t0, with_message=False)
    await created.customer(t0 + timedelta(minutes=10))
    await created.reply(t0 + timedelta(minutes=20), agent.id)
    assert clock(await clocks_of(world, shop_id, created.id), "frt").calendar_seconds == 1200
    await set_policy(world, shop_id, founder, frt_start="assignment")
    assigned = Convo(world, shop_id)
    await assigned.open(t0)
    assert [c.metric for c in await clocks_of(world, shop_id, assigned.id)] == ["resolution"]
    await assigned.assign(agent.id, t0 + timedelta(minutes=5))
    await assigned.reply(t0 + timedelta(minutes=8), agent.id)
    assert clock(await clocks_of(world, shop_id, assigned.id), "frt").calendar_seconds == 180


async def test_most_specific_target_wins(world: World) -> None:
    shop_id, founder = await world.shop()
    await set_policy(world, shop_id, founder, targets=[
        {"metric": "frt", "seconds": 600}, {"metric": "frt", "seconds": 300, "channel": "wechat"},
        {"metric": "frt", "seconds": 60, "priority": "urgent"},
        {"metric": "frt", "seconds": 30, "channel": "web", "priority": "urgent"}])
    t0 = utc(2027, 6, 7, 2)
    expected = {("wechat", "urgent"): 60, ("wechat", "normal"): 300, ("web", "urgent"): 30,
                ("mobile", "low"): 600}
    for (channel, priority), seconds in expected.items():
        convo = Convo(world, shop_id, channel=channel, priority=priority)
        await convo.open(t0)
        assert clock(await clocks_of(world, shop_id, convo.id), "frt").target_seconds == seconds


async def test_target_reached_exactly_at_closing_is_not_a_breach_until_it_reopens(
        world: World) -> None:
    # Found by the property test: the hour runs out at 23:00, when the shop closes. Nothing
    # more counts until it opens again, so a reply a minute later is still within target.
    shop_id, founder = await world.shop()
    agent = await world.staff(shop_id, "agent")
    await set_calendar(world, shop_id, founder, timezone="Europe/Berlin", intervals=[
        {"weekday": 4, "start": "00:00", "end": "23:00"},
        {"weekday": 0, "start": "09:00", "end": "18:00"}])
    await set_policy(world, shop_id, founder, business_hours=True, warning_ratio=None,
                     targets=[{"metric": "frt", "seconds": 3600}])
    convo = Convo(world, shop_id)
    await convo.open(utc(2027, 10, 29, 20))  # Friday 22:00 in Berlin (CEST)
    frt = clock(await clocks_of(world, shop_id, convo.id), "frt")
    assert frt.deadline_at == utc(2027, 11, 1, 8)  # Monday 09:00 CET, the next opening
    await convo.reply(utc(2027, 10, 29, 21, 1), agent.id)  # 23:01, after closing
    frt = clock(await clocks_of(world, shop_id, convo.id), "frt")
    assert (frt.calendar_seconds, frt.business_seconds) == (3660, 3600)
    assert frt.breached_at is None
    kinds = [r.kind for r in await ledger_of(world, shop_id, convo.id) if r.metric == "frt"]
    assert "breach" not in kinds
    [fulfil] = [r for r in await ledger_of(world, shop_id, convo.id)
                if r.metric == "frt" and r.kind == "fulfil"]
    assert fulfil.within_target is True


async def test_a_deadline_inside_opening_hours_is_unchanged_by_that_rule(world: World) -> None:
    shop_id, founder = await world.shop()
    await set_calendar(world, shop_id, founder, timezone="Asia/Shanghai",
                       intervals=WEEKDAYS_SPLIT)
    await set_policy(world, shop_id, founder, business_hours=True,
                     targets=[{"metric": "frt", "seconds": 1800}])
    convo = Convo(world, shop_id)
    await convo.open(utc(2027, 6, 7, 1, 0))  # Monday 09:00 local
    frt = clock(await clocks_of(world, shop_id, convo.id), "frt")
    assert frt.deadline_at == utc(2027, 6, 7, 1, 30)

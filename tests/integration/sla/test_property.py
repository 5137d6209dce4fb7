"""Random conversations: the ledger and the report equal the plain reference of sla.md.

Each example scripts one conversation (customer messages, replies, notes, auto-replies,
pending, open, resolve, reopen) in a fresh shop with a random calendar (split and overnight
intervals, holidays, a DST zone), drives the real clocks through the workspace's signals,
then compares every fulfilled wait and the shop report with ``reference.measure``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from api.domain.sla.calendar import Interval, overlapping
from tests.integration.sla import reference
from tests.integration.sla.helpers import set_calendar, set_policy
from tests.integration.sla.script import Convo, run_in_shop
from tests.support.world import World

# Around the 2027 autumn DST change in Berlin and New York; in the future, so the breach
# worker (real time) never touches these clocks.
T0 = datetime(2027, 10, 29, 20, 0, tzinfo=UTC)
KINDS = ["customer", "customer", "reply", "reply", "auto", "note", "pending", "open", "resolve"]


@st.composite
def calendars(draw):  # type: ignore[no-untyped-def]
    if draw(st.booleans()):
        return None  # always open: business = calendar
    zone = draw(st.sampled_from(["Europe/Berlin", "America/New_York", "Asia/Shanghai"]))
    picked: list[Interval] = []
    for _ in range(draw(st.integers(1, 6))):
        start = draw(st.integers(0, 47)) * 30
        end = draw(st.integers(0, 47)) * 30
        candidate = Interval(draw(st.integers(0, 6)), start, end or 1440)
        if start != end and overlapping([*picked, candidate]) is None:
            picked.append(candidate)
    holidays = draw(st.lists(st.dates(date(2027, 10, 29), date(2027, 11, 3)), max_size=2))
    return zone, picked, sorted(set(holidays))


@st.composite
def scripts(draw):  # type: ignore[no-untyped-def]
    minute, steps = 0, [(0, "customer", 0)]
    for _ in range(draw(st.integers(1, 14))):
        minute += draw(st.integers(1, 600))
        steps.append((minute, draw(st.sampled_from(KINDS)), draw(st.integers(0, 1))))
    return steps


def _wall(minute: int) -> str:
    return "24:00" if minute == 1440 else f"{minute // 60:02d}:{minute % 60:02d}"


@pytest.fixture(scope="module")
async def crew(world: World):  # type: ignore[no-untyped-def]
    shop_id, founder = await world.shop()
    return founder, [await world.staff(shop_id, "agent") for _ in range(2)]


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(calendar=calendars(), steps=scripts())
async def test_ledger_and_report_equal_the_reference(world: World, crew, calendar, steps) -> None:  # type: ignore[no-untyped-def]
    founder, agents = crew
    shop_id, _ = await world.shop(founder)
    ref_cal = None
    if calendar is not None:
        zone, intervals, holidays = calendar
        await set_calendar(world, shop_id, founder, timezone=zone, holidays=[
            d.isoformat() for d in holidays], intervals=[
            {"weekday": i.weekday, "start": _wall(i.start), "end": _wall(i.end)}
            for i in intervals])
        ref_cal = reference.RefCalendar(zone, tuple((i.weekday, i.start, i.end % 1440)
                                                    for i in intervals), frozenset(holidays))
    await set_policy(world, shop_id, founder, business_hours=calendar is not None,
                     targets=[{"metric": "frt", "seconds": 3600}, {"metric": "nrt", "seconds": 1800}])
    convo = Convo(world, shop_id)
    for minute, kind, who in steps:
        at = T0 + timedelta(minutes=minute)
        agent = agents[who].id
        if minute == 0:
            await convo.open(at)
        elif kind == "customer":
            await (convo.reopen(at) if convo.status == "resolved" else convo.customer(at))
        elif kind == "reply":
            await convo.reply(at, agent)
        elif kind == "auto":
            await convo.reply(at, agent, kind="automatic")
        elif kind == "note":
            await convo.reply(at, agent, visibility="note")
        elif kind == "pending" and convo.status == "open":
            await convo.set_status("pending", at, agent)
        elif kind == "open" and convo.status == "pending":
            await convo.set_status("open", at, agent)
        elif kind == "resolve" and convo.status != "resolved":
            await convo.set_status("resolved", at, agent)

    expected = reference.measure(steps, T0, ref_cal)
    agent_of = {0: agents[0].id, 1: agents[1].id}

    async def read(session):  # type: ignore[no-untyped-def]
        return list((await session.execute(text(
            "SELECT c.metric, c.cycle, c.started_at, c.calendar_seconds, c.business_seconds, "
            "c.agent_id FROM sla_clocks c WHERE c.shop_id = :s AND c.state = 'fulfilled' "
            "ORDER BY c.started_at, c.metric"), {"s": shop_id})).all())

    got = await run_in_shop(world, shop_id, read)
    want = sorted(((w.metric, w.cycle, T0 + timedelta(minutes=w.start), w.calendar_seconds,
                    w.business_seconds, agent_of.get(w.agent) if w.metric != "resolution"
                    else None) for w in expected), key=lambda r: (r[2], r[0]))
    got_rows = [(r.metric, r.cycle, r.started_at, r.calendar_seconds, r.business_seconds,
                 r.agent_id if r.metric != "resolution" else None) for r in got]
    assert got_rows == want

    for basis in ("calendar", "business"):
        response = await world.client.get(f"/api/v1/shops/{shop_id}/sla/report", params={
            "since": T0.isoformat(), "until": (T0 + timedelta(days=30)).isoformat(),
            "basis": basis}, headers=founder.headers())
        assert response.status_code == 200, response.text
        rows = {r["metric"]: r for r in response.json()["rows"]}
        for metric in ("frt", "nrt", "resolution"):
            values = [getattr(w, f"{basis}_seconds") for w in expected if w.metric == metric]
            row = rows.get(metric)
            assert (row["count"] if row else 0) == len(values)
            if values:
                assert row["mean"] == pytest.approx(sum(values) / len(values))
                assert row["p50"] == pytest.approx(_percentile(values, 0.5))
                assert row["p99"] == pytest.approx(_percentile(values, 0.99))
            if metric != "resolution" and values:
                target = 3600 if metric == "frt" else 1800
                within = [v <= target for w, v in zip(
                    [w for w in expected if w.metric == metric], values, strict=True)]
                if basis == ("business" if calendar is not None else "calendar"):
                    assert row["attainment"] == pytest.approx(sum(within) / len(within))


def _percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (PostgreSQL's percentile_cont)."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * p
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)

"""Breaches by the clock: the worker finds passed deadlines, once, whoever else looks."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from api.domain.sla.worker import run_once
from tests.integration.sla.helpers import set_policy
from tests.integration.sla.script import Convo, clocks_of, ledger_of, run_in_shop
from tests.support.world import World


async def _events(world: World, shop_id, type_: str) -> list:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        return list((await session.execute(text(
            "SELECT data, permission, subject_user_id FROM events WHERE shop_id = :s "
            "AND type = :t ORDER BY seq"), {"s": shop_id, "t": type_})).all())

    return await run_in_shop(world, shop_id, work)


async def _assignee(world: World, shop_id, conversation_id):  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        return (await session.execute(text(
            "SELECT assignee_id FROM conversations WHERE shop_id = :s AND id = :c"),
            {"s": shop_id, "c": conversation_id})).scalar_one()

    return await run_in_shop(world, shop_id, work)


async def test_breach_with_no_further_message_is_recorded_within_5_seconds(world: World) -> None:
    shop_id, founder = await world.shop()
    await set_policy(world, shop_id, founder, targets=[{"metric": "frt", "seconds": 2}],
                     warning_ratio=0.5)
    convo = Convo(world, shop_id)
    await convo.open(datetime.now(UTC))
    started = time.monotonic()
    breach = None
    while time.monotonic() - started < 8 and breach is None:
        await asyncio.sleep(0.25)
        breach = next((r for r in await ledger_of(world, shop_id, convo.id)
                       if r.kind == "breach"), None)
    assert breach is not None, "no breach recorded by the worker"
    assert breach.metric == "frt" and breach.cause == "deadline" and breach.agent_id is None
    assert (breach.recorded_at - breach.at).total_seconds() < 5
    kinds = [r.kind for r in await ledger_of(world, shop_id, convo.id) if r.metric == "frt"]
    assert kinds == ["start", "warning", "breach"]
    [event] = await _events(world, shop_id, "sla.breached")
    assert event.data["conversation_id"] == str(convo.id) and event.data["metric"] == "frt"
    assert len(await _events(world, shop_id, "sla.warning")) == 1


async def test_a_late_reply_records_the_breach_itself_and_misses_the_target(world: World) -> None:
    shop_id, founder = await world.shop()
    agent = await world.staff(shop_id, "agent")
    await set_policy(world, shop_id, founder, targets=[{"metric": "frt", "seconds": 60}])
    t0 = datetime(2027, 6, 7, 2, 0, tzinfo=UTC)
    convo = Convo(world, shop_id)
    await convo.open(t0)
    await convo.reply(t0 + timedelta(seconds=61), agent.id)
    ledger = await ledger_of(world, shop_id, convo.id)
    [breach] = [r for r in ledger if r.kind == "breach"]
    [fulfil] = [r for r in ledger if r.kind == "fulfil" and r.metric == "frt"]
    assert breach.at == t0 + timedelta(seconds=60)
    assert fulfil.within_target is False and fulfil.calendar_seconds == 61


async def test_two_workers_never_double_count(world: World) -> None:
    shop_id, founder = await world.shop()
    await set_policy(world, shop_id, founder, targets=[{"metric": "frt", "seconds": 60}],
                     warning_ratio=None)
    past = datetime.now(UTC) - timedelta(hours=1)
    convos = [Convo(world, shop_id) for _ in range(25)]
    for convo in convos:
        await convo.open(past)
    # Three at once: two here and the app's own; plus a restarted one afterwards.
    await asyncio.gather(run_once(world.app.state.sessionmaker),
                         run_once(world.app.state.sessionmaker))
    await run_once(world.app.state.sessionmaker)
    for convo in convos:
        breaches = [r for r in await ledger_of(world, shop_id, convo.id) if r.kind == "breach"]
        assert len(breaches) == 1
    events = await _events(world, shop_id, "sla.breached")
    assert sorted(e.data["conversation_id"] for e in events) == sorted(str(c.id) for c in convos)


async def test_breach_escalates_to_another_online_agent_and_tells_admins(world: World) -> None:
    shop_id, founder = await world.shop()
    busy = await world.staff(shop_id, "agent")
    online = await world.staff(shop_id, "agent")
    await set_policy(world, shop_id, founder, targets=[{"metric": "frt", "seconds": 60}],
                     escalate_reassign=True, escalate_notify=True)

    async def presence(session):  # type: ignore[no-untyped-def]
        await session.execute(text(
            "INSERT INTO staff_presence (shop_id, user_id, status) VALUES (:s, :u, 'online')"),
            {"s": shop_id, "u": online.id})

    await run_in_shop(world, shop_id, presence)
    convo = Convo(world, shop_id)
    now = datetime.now(UTC)  # one reading: the assignment lands before the deadline
    await convo.open(now - timedelta(minutes=5))
    await convo.assign(busy.id, now - timedelta(minutes=4, seconds=30))
    await run_once(world.app.state.sessionmaker)

    assert await _assignee(world, shop_id, convo.id) == online.id
    [breach] = [r for r in await ledger_of(world, shop_id, convo.id) if r.kind == "breach"]
    assert breach.agent_id == busy.id  # the assignee at the deadline
    [escalated] = await _events(world, shop_id, "sla.escalated")
    assert escalated.permission == "cs:supervise"
    assert escalated.data["to_assignee_id"] == str(online.id)
    clocks = await clocks_of(world, shop_id, convo.id)
    assert {c.metric for c in clocks if c.breached_at is not None} == {"frt"}


async def test_escalation_follows_presence_and_capacity_and_tells_both_members(
        world: World) -> None:
    shop_id, founder = await world.shop()
    busy = await world.staff(shop_id, "agent")
    lapsed = await world.staff(shop_id, "agent")  # on a live stream that went quiet an hour ago
    full = await world.staff(shop_id, "agent")  # online, but at the shop's capacity of one
    free = await world.staff(shop_id, "agent")
    await set_policy(world, shop_id, founder, targets=[{"metric": "frt", "seconds": 60}],
                     escalate_reassign=True, escalate_notify=False)
    now = datetime.now(UTC)

    async def setup(session):  # type: ignore[no-untyped-def]
        await session.execute(text(
            "INSERT INTO shop_workspace_settings (shop_id, agent_capacity) VALUES (:s, 1)"),
            {"s": shop_id})
        for user, via, refreshed in ((lapsed.id, "live", now - timedelta(hours=1)),
                                     (full.id, "workspace", now), (free.id, "workspace", now)):
            await session.execute(text(
                "INSERT INTO staff_presence (shop_id, user_id, status, via, refreshed_at) "
                "VALUES (:s, :u, 'online', :via, :at)"),
                {"s": shop_id, "u": user, "via": via, "at": refreshed})

    await run_in_shop(world, shop_id, setup)
    # ``lapsed`` has the fewest open conversations (none), ``full`` one: by load alone the
    # old rule picked ``lapsed``, who is not there to answer.
    other = Convo(world, shop_id)
    await other.open(now)
    await other.assign(full.id, now)
    convo = Convo(world, shop_id)
    await convo.open(now - timedelta(minutes=5))
    await convo.assign(busy.id, now - timedelta(minutes=4, seconds=30))
    await run_once(world.app.state.sessionmaker)

    assert await _assignee(world, shop_id, convo.id) == free.id
    assigned = [e for e in await _events(world, shop_id, "conversation.assigned")
                if e.data["conversation_id"] == str(convo.id) and e.data["reason"] == "escalation"]
    unassigned = [e for e in await _events(world, shop_id, "conversation.unassigned")
                  if e.data["conversation_id"] == str(convo.id)]
    assert [e.subject_user_id for e in assigned] == [free.id]
    assert [e.subject_user_id for e in unassigned] == [busy.id]
    [escalated] = await _events(world, shop_id, "sla.escalated")
    assert escalated.data["to_assignee_id"] == str(free.id)


async def test_escalation_with_nobody_able_to_take_it_leaves_the_conversation(
        world: World) -> None:
    shop_id, founder = await world.shop()
    busy = await world.staff(shop_id, "agent")
    await set_policy(world, shop_id, founder, targets=[{"metric": "frt", "seconds": 60}],
                     escalate_reassign=True, escalate_notify=True)
    convo = Convo(world, shop_id)
    now = datetime.now(UTC)
    await convo.open(now - timedelta(minutes=5))
    await convo.assign(busy.id, now - timedelta(minutes=4, seconds=30))
    await run_once(world.app.state.sessionmaker)

    assert await _assignee(world, shop_id, convo.id) == busy.id
    [escalated] = await _events(world, shop_id, "sla.escalated")
    assert escalated.data["reassigned"] is False and escalated.data["to_assignee_id"] is None

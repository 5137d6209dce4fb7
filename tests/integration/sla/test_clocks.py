"""Scripted conversations with known answers (sla.md): what the ledger must say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.integration.sla.helpers import set_policy
from tests.integration.sla.script import Convo, clocks_of, ledger_of
from tests.support.world import World

# A Monday, 10:00 in Asia/Shanghai, in the future: the breach worker (which uses the real
# time) never races a scripted reply.
T0 = datetime(2027, 6, 7, 2, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def by_metric(clocks):  # type: ignore[no-untyped-def]
    return {(c.cycle, c.metric, c.seq): c for c in clocks}


async def test_frt_nrt_resolution_ignore_bots_and_notes(world: World) -> None:
    shop_id, founder = await world.shop()
    agent = await world.staff(shop_id, "agent")
    await set_policy(world, shop_id, founder, targets=[
        {"metric": "frt", "seconds": 600}, {"metric": "nrt", "seconds": 300}])
    convo = Convo(world, shop_id)
    await convo.open(at(0))
    await convo.reply(at(1), agent.id, kind="automatic")  # auto-reply: never qualifies
    await convo.reply(at(2), agent.id, visibility="note")  # internal note: never qualifies
    await convo.reply(at(3), agent.id, kind="system")  # integration as the shop
    await convo.reply(at(4), agent.id)  # FRT = 4 min
    await convo.customer(at(10))
    await convo.customer(at(12))  # NRT runs from the oldest unanswered message
    await convo.reply(at(15), agent.id)  # NRT = 5 min
    await convo.set_status("resolved", at(20), agent.id)
    clocks = by_metric(await clocks_of(world, shop_id, convo.id))
    assert set(clocks) == {(1, "frt", 0), (1, "nrt", 1), (1, "resolution", 0)}
    frt, nrt, res = clocks[(1, "frt", 0)], clocks[(1, "nrt", 1)], clocks[(1, "resolution", 0)]
    assert (frt.state, frt.calendar_seconds, frt.agent_id) == ("fulfilled", 240, agent.id)
    assert (nrt.state, nrt.calendar_seconds, nrt.agent_id) == ("fulfilled", 300, agent.id)
    assert (res.state, res.calendar_seconds) == ("fulfilled", 1200)
    ledger = await ledger_of(world, shop_id, convo.id)
    fulfils = [r for r in ledger if r.kind == "fulfil"]
    assert {(r.metric, r.within_target) for r in fulfils} == {
        ("frt", True), ("nrt", True), ("resolution", None)}
    assert all(r.cause == "message" for r in fulfils if r.metric != "resolution")
    assert not [r for r in ledger if r.kind == "breach"]


async def test_pending_pauses_nrt_and_resolution_and_resolve_stops_everything(world: World) -> None:
    shop_id, founder = await world.shop()
    agent = await world.staff(shop_id, "agent")
    convo = Convo(world, shop_id)
    await convo.open(at(0))
    await convo.reply(at(5), agent.id)
    await convo.customer(at(10))
    await convo.set_status("pending", at(12), agent.id)  # NRT paused after 2 min
    await convo.customer(at(40))  # back to open: resumes, same wait
    await convo.reply(at(43), agent.id)  # NRT = 2 + 3 = 5 min
    await convo.customer(at(50))  # a new wait...
    await convo.set_status("resolved", at(55), agent.id)  # ...stopped, never measured
    clocks = by_metric(await clocks_of(world, shop_id, convo.id))
    assert clocks[(1, "nrt", 1)].calendar_seconds == 300
    assert clocks[(1, "nrt", 2)].state == "stopped"
    assert clocks[(1, "resolution", 0)].calendar_seconds == (55 - 28) * 60
    kinds = [(r.metric, r.kind) for r in await ledger_of(world, shop_id, convo.id)]
    assert ("nrt", "pause") in kinds and ("nrt", "resume") in kinds
    assert ("resolution", "pause") in kinds and ("frt", "pause") not in kinds
    assert kinds[-2:] in ([("nrt", "stop"), ("resolution", "fulfil")],
                          [("resolution", "fulfil"), ("nrt", "stop")])


async def test_reopen_starts_a_new_cycle(world: World) -> None:
    shop_id, _ = await world.shop()
    agent = await world.staff(shop_id, "agent")
    convo = Convo(world, shop_id)
    await convo.open(at(0))
    await convo.reply(at(1), agent.id)
    await convo.set_status("resolved", at(2), agent.id)
    await convo.reopen(at(100))
    await convo.reply(at(107), agent.id)
    await convo.set_status("resolved", at(110), agent.id)
    clocks = by_metric(await clocks_of(world, shop_id, convo.id))
    assert clocks[(2, "frt", 0)].calendar_seconds == 7 * 60
    assert clocks[(2, "resolution", 0)].calendar_seconds == 10 * 60
    assert clocks[(1, "frt", 0)].calendar_seconds == 60

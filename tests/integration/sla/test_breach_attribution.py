"""A breach is attributed to the assignee at the deadline, even if reassigned after it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from tests.integration.sla.helpers import set_policy
from tests.integration.sla.script import Convo, ledger_of, run_in_shop
from tests.support.world import World


async def test_a_transfer_after_the_deadline_leaves_the_breach_with_the_old_assignee(
        world: World) -> None:
    shop_id, founder = await world.shop()
    first = await world.staff(shop_id, "agent")
    second = await world.staff(shop_id, "agent")
    await set_policy(world, shop_id, founder, targets=[{"metric": "frt", "seconds": 60}])
    t0 = datetime(2027, 6, 7, 2, 0, tzinfo=UTC)  # ahead of the clock: the worker stays out
    convo = Convo(world, shop_id)
    await convo.open(t0)
    await convo.assign(first.id, t0 + timedelta(seconds=10))
    await convo.assign(second.id, t0 + timedelta(seconds=90))  # 30 s past the deadline
    await convo.reply(t0 + timedelta(seconds=100), second.id)
    ledger = await ledger_of(world, shop_id, convo.id)
    [breach] = [r for r in ledger if r.kind == "breach" and r.metric == "frt"]
    assert breach.agent_id == first.id
    [fulfil] = [r for r in ledger if r.kind == "fulfil" and r.metric == "frt"]
    assert fulfil.agent_id == second.id and fulfil.within_target is False


async def test_a_claim_after_the_deadline_still_tells_the_admins(world: World) -> None:
    shop_id, founder = await world.shop()
    agent = await world.staff(shop_id, "agent")
    await set_policy(world, shop_id, founder, targets=[{"metric": "frt", "seconds": 60}],
                     escalate_notify=True)
    t0 = datetime(2027, 6, 7, 2, 0, tzinfo=UTC)
    convo = Convo(world, shop_id)
    await convo.open(t0)
    await convo.assign(agent.id, t0 + timedelta(seconds=90))  # claimed from the queue, late
    [breach] = [r for r in await ledger_of(world, shop_id, convo.id)
                if r.kind == "breach" and r.metric == "frt"]
    assert breach.agent_id is None  # the queue's breach, not the claimer's

    async def escalations(session):  # type: ignore[no-untyped-def]
        return (await session.execute(text(
            "SELECT count(*) FROM events WHERE shop_id = :s AND type = 'sla.escalated'"),
            {"s": shop_id})).scalar_one()

    assert await run_in_shop(world, shop_id, escalations) == 1

"""The breach worker never deadlocks with a change holding the conversation: it skips a
conversation another transaction holds (a customer message, a reply, a status change) and
finds its clock on a later pass, instead of locking the clock and then waiting on the row."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from api.db.shop_context import bind_shop
from api.domain.sla import clocks
from api.domain.sla.worker import run_once
from tests.integration.sla.helpers import set_policy
from tests.integration.sla.script import Convo, ledger_of, run_in_shop
from tests.support.world import World


async def test_a_held_conversation_is_skipped_not_deadlocked(world: World) -> None:
    shop_id, founder = await world.shop()
    busy = await world.staff(shop_id, "agent")
    online = await world.staff(shop_id, "agent")
    await set_policy(world, shop_id, founder, targets=[{"metric": "frt", "seconds": 60}],
                     escalate_reassign=True, warning_ratio=None)

    async def presence(session):  # type: ignore[no-untyped-def]
        await session.execute(text(
            "INSERT INTO staff_presence (shop_id, user_id, status) VALUES (:s, :u, 'online')"),
            {"s": shop_id, "u": online.id})

    await run_in_shop(world, shop_id, presence)
    now = datetime.now(UTC)
    convo = Convo(world, shop_id)
    await convo.open(now - timedelta(minutes=5))
    await convo.assign(busy.id, now - timedelta(minutes=4, seconds=30))

    holding, release = asyncio.Event(), asyncio.Event()

    async def change_in_progress() -> None:  # what an inbound message does: row, then clocks
        async with world.app.state.sessionmaker() as session, session.begin():
            await bind_shop(session, shop_id)
            await session.execute(text(
                "SELECT 1 FROM conversations WHERE shop_id = :s AND id = :c FOR UPDATE"),
                {"s": shop_id, "c": convo.id})
            holding.set()
            await release.wait()
            await clocks.lock_clocks(session, shop_id, convo.id)

    change = asyncio.create_task(change_in_progress())
    await holding.wait()
    worker = asyncio.create_task(run_once(world.app.state.sessionmaker))
    await asyncio.sleep(0.3)  # the worker is at work (or done) while the row is held
    release.set()
    await asyncio.wait_for(asyncio.gather(change, worker), 10)  # neither fails
    await run_once(world.app.state.sessionmaker)  # the next pass handles the clock
    assert [r.kind for r in await ledger_of(world, shop_id, convo.id)
            if r.metric == "frt"].count("breach") == 1

"""Internal notes never reach the shop's systems: not on the integration stream (see
test_replies), and not through a webhook endpoint subscribed to every event type."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import text

from api.db.shop_context import bind_shop
from api.domain.webhooks.fanout import fan_out
from tests.integration.conversations.workspace import go_online, inbound, make_key, shop_path
from tests.support.world import World


async def test_a_catch_all_webhook_gets_no_note(world: World) -> None:
    shop_id, founder = await world.shop()
    key = await make_key(world, shop_id, founder)
    agent = await world.staff(shop_id, "agent")
    await go_online(world, shop_id, agent)
    async with world.app.state.sessionmaker() as session, session.begin():
        await bind_shop(session, shop_id)
        await session.execute(text(
            "INSERT INTO webhook_endpoints (shop_id, id, url, event_types, secret, fanout_seq) "
            "VALUES (:s, :id, 'http://127.0.0.1:9/hook', ARRAY['*'], '\\x00', 0)"),
            {"s": shop_id, "id": uuid.uuid4()})
    cid = (await inbound(world, shop_id, key, customer="buyer-9")).json()["conversation_id"]
    assert (await world.client.post(shop_path(shop_id, f"/conversations/{cid}/claim"),
                                    headers=agent.headers())).status_code == 200
    note = await world.client.post(shop_path(shop_id, f"/conversations/{cid}/notes"),
                                   headers=agent.headers(), json={"text": "VIP, be gentle"})
    assert note.status_code == 201, note.text
    for _ in range(100):  # this process's dispatcher may be fanning out too: until caught up
        async with world.app.state.sessionmaker() as session, session.begin():
            await bind_shop(session, shop_id)
            await fan_out(session, shop_id)
            behind = (await session.execute(text(
                "SELECT c.last_seq > e.fanout_seq FROM webhook_endpoints e JOIN "
                "shop_event_counters c ON c.shop_id = e.shop_id WHERE e.shop_id = :s"),
                {"s": shop_id})).scalar_one()
        if not behind:
            break
        await asyncio.sleep(0.05)
    async with world.app.state.sessionmaker() as session, session.begin():
        await bind_shop(session, shop_id)
        delivered = (await session.execute(text(
            "SELECT ev.type, ev.data::text AS data FROM webhook_deliveries d "
            "JOIN events ev ON ev.shop_id = d.shop_id AND ev.seq = d.event_seq "
            "WHERE d.shop_id = :s"), {"s": shop_id})).all()
    assert "message.created" in {row.type for row in delivered}  # the customer's message
    assert all("VIP" not in row.data for row in delivered), [r.type for r in delivered]

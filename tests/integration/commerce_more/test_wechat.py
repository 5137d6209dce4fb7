"""WeChat figures computed from the shop's own wechat-channel conversations and messages."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text

from api.db.shop_context import bind_shop
from tests.integration.commerce_more.helpers import desk
from tests.support.world import World


async def _conversation(world: World, shop_id: uuid.UUID, *, channel: str = "wechat",
                        waiting_minutes: float | None = None, assignee: uuid.UUID | None = None,
                        status: str = "open", last_message_hours: float = 0.1,
                        messages: tuple[str, ...] = ("customer", "staff")) -> None:
    now = datetime.now(UTC)

    async def work(session):  # type: ignore[no-untyped-def]
        await bind_shop(session, shop_id)
        customer = uuid.uuid4()
        conversation = uuid.uuid4()
        p = {"s": shop_id, "c": customer, "v": conversation, "ch": channel}
        await session.execute(text("INSERT INTO customers (shop_id, id) VALUES (:s, :c)"), p)
        await session.execute(text(
            "INSERT INTO customer_identities (shop_id, channel, external_id, customer_id) "
            "VALUES (:s, :ch, :x, :c)"), {**p, "x": f"openid-{customer.hex}"})
        await session.execute(text(
            "INSERT INTO conversations (shop_id, id, customer_id, channel, status, assignee_id, "
            "waiting_since, last_customer_message_at, resolved_at) "
            "VALUES (:s, :v, :c, :ch, :st, :a, :w, :last, :resolved)"),
            {**p, "st": status, "a": assignee,
             "w": now - timedelta(minutes=waiting_minutes) if waiting_minutes else None,
             "last": now - timedelta(hours=last_message_hours),
             "resolved": now if status == "resolved" else None})
        for seq, author in enumerate(messages, start=1):
            await session.execute(text(
                "INSERT INTO messages (shop_id, id, conversation_id, seq, cycle, channel, "
                "author_kind, author_id, body) VALUES (:s, :m, :v, :seq, 1, :ch, :k, :aid, 'hi')"),
                {**p, "m": uuid.uuid4(), "seq": seq, "k": author,
                 "aid": assignee if author == "staff" else None})

    await world._commit(work)


async def test_overview_and_realtime_count_the_wechat_channel_only(
        world: World, client: httpx.AsyncClient) -> None:
    d = await desk(world, roles=("admin", "agent"), wechat_bound=True)
    agent = d["agent"]
    await _conversation(world, d.shop_id, waiting_minutes=30, messages=("customer", "customer"))
    await _conversation(world, d.shop_id, waiting_minutes=5, assignee=agent.id)
    await _conversation(world, d.shop_id, status="resolved", assignee=agent.id,
                        last_message_hours=72, messages=("customer", "automatic", "staff"))
    await _conversation(world, d.shop_id, channel="web", waiting_minutes=90)  # not WeChat

    overview = await client.get(d.url("/wechat/overview"), headers=agent.headers())
    assert overview.status_code == 200, overview.text
    figures = overview.json()
    assert figures["fans_total"] == 3 and figures["new_fans_today"] == 3
    assert figures["conversations_today"] == 3
    assert figures["customer_messages_today"] == 4
    assert figures["replies_today"] == 3

    realtime = (await client.get(d.url("/wechat/realtime"), headers=agent.headers())).json()
    assert (realtime["open_now"], realtime["waiting_now"], realtime["unassigned_now"]) == (2, 2, 1)
    assert 29 * 60 < realtime["longest_wait_seconds"] < 31 * 60
    assert realtime["reachable_fans"] == 2  # the third fan spoke 72 hours ago


async def test_empty_shop_has_zero_figures(world: World, client: httpx.AsyncClient) -> None:
    d = await desk(world, wechat_bound=True)
    await _conversation(world, d.shop_id, channel="web")
    realtime = (await client.get(d.url("/wechat/realtime"), headers=d.founder.headers())).json()
    assert realtime["open_now"] == 0 and realtime["longest_wait_seconds"] is None
    overview = (await client.get(d.url("/wechat/overview"), headers=d.founder.headers())).json()
    assert overview["fans_total"] == 0 and overview["conversations_today"] == 0


async def test_agent_needs_a_bound_wechat_account_for_realtime(
        world: World, client: httpx.AsyncClient) -> None:
    d = await desk(world, roles=("agent", "verifier"), wechat_bound=False)
    agent = d["agent"].headers()
    assert (await client.get(d.url("/wechat/overview"), headers=agent)).status_code == 200
    refused = await client.get(d.url("/wechat/realtime"), headers=agent)
    assert refused.status_code == 403 and refused.json()["code"] == "permission.wechat_not_bound"
    assert (await client.get(d.url("/wechat/realtime"),
                             headers=d.founder.headers())).status_code == 200
    verifier = await client.get(d.url("/wechat/overview"), headers=d["verifier"].headers("mobile"))
    assert verifier.status_code == 403 and verifier.json()["code"] == "permission.denied"

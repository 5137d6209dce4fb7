"""The engine the inbound path calls: keyword rules first, then hosting (信息托管)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from api.db.shop_context import bind_shop
from api.domain.auto_replies.engine import automatic_reply
from tests.integration.auto_replies.helpers import ask, conversation, rules_path
from tests.support.world import Account, World

# 2026-12-01 is a Tuesday; 02:00 UTC is 10:00 in Asia/Shanghai (the test shops' timezone).
TUESDAY_10 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
HOSTED = {"kind": "text", "text": "托管回复"}


async def rule(world: World, shop_id: uuid.UUID, founder: Account, **body: object) -> str:
    base = {"name": "r", "match": "exact", "keywords": ["k"], "content": {"kind": "text", "text": "r"}}
    response = await world.client.post(rules_path(shop_id), headers=founder.headers(),
                                       json={**base, **body})
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def hosting(world: World, shop_id: uuid.UUID, founder: Account, **body: object) -> None:
    response = await world.client.put(rules_path(shop_id, "/hosting"), headers=founder.headers(),
                                      json={"enabled": True, "content": HOSTED, **body})
    assert response.status_code == 200, response.text


async def test_keyword_rules_match_exact_or_contained_by_priority(world: World) -> None:
    shop_id, founder = await world.shop()
    exact = await rule(world, shop_id, founder, keywords=["Price"], match="exact",
                       content={"kind": "text", "text": "exact"})
    low = await rule(world, shop_id, founder, keywords=["发货"], match="contains", priority=1,
                     content={"kind": "text", "text": "low"})
    high = await rule(world, shop_id, founder, keywords=["发货时间"], match="contains", priority=9,
                      content={"kind": "link", "url": "https://s.example/ship", "title": "发货说明"})
    await rule(world, shop_id, founder, keywords=["hidden"], match="contains", enabled=False)
    conv = await conversation(world, shop_id)
    reply = await ask(world, shop_id, conv, "  price ", TUESDAY_10)
    assert reply is not None and (reply.rule_id, reply.kind, reply.body) == (uuid.UUID(exact), "keyword", "exact")
    assert await ask(world, shop_id, conv, "what price?", TUESDAY_10) is None  # exact only
    reply = await ask(world, shop_id, conv, "请问发货时间是多久", TUESDAY_10)
    assert reply is not None and reply.rule_id == uuid.UUID(high)
    assert reply.attachments == [{"kind": "link", "url": "https://s.example/ship", "title": "发货说明"}]
    reply = await ask(world, shop_id, conv, "什么时候发货", TUESDAY_10)
    assert reply is not None and reply.rule_id == uuid.UUID(low)
    assert await ask(world, shop_id, conv, "this is hidden", TUESDAY_10) is None
    assert await ask(world, shop_id, conv, "", TUESDAY_10) is None


async def test_hosting_answers_when_no_rule_matches_within_its_window(world: World) -> None:
    shop_id, founder = await world.shop()
    await rule(world, shop_id, founder, keywords=["hi"], content={"kind": "text", "text": "kw"})
    await hosting(world, shop_id, founder, windows=[{"start": "09:00", "end": "12:00"}],
                  weekdays=["tue"])
    reply = await ask(world, shop_id, await conversation(world, shop_id), "anything", TUESDAY_10)
    assert reply is not None and (reply.kind, reply.body, reply.rule_id) == ("hosting", "托管回复", None)
    # A matching rule wins over hosting.
    keyword = await ask(world, shop_id, await conversation(world, shop_id), "hi", TUESDAY_10)
    assert keyword is not None and keyword.kind == "keyword"
    # Outside the window (13:00 local), or on another weekday: nothing.
    assert await ask(world, shop_id, await conversation(world, shop_id), "x",
                     TUESDAY_10 + timedelta(hours=3)) is None
    assert await ask(world, shop_id, await conversation(world, shop_id), "x",
                     TUESDAY_10 + timedelta(days=1)) is None


async def test_a_night_window_in_the_shops_timezone(world: World) -> None:
    shop_id, founder = await world.shop()
    await hosting(world, shop_id, founder, windows=[{"start": "22:00", "end": "08:00"}],
                  weekdays=["mon"])
    # Tuesday 07:30 in Shanghai (Monday 23:30 UTC) is still Monday night's window.
    monday_night = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    assert await ask(world, shop_id, await conversation(world, shop_id), "x", monday_night)
    # Tuesday 22:30 in Shanghai: Tuesday is not chosen.
    tuesday_night = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)
    assert await ask(world, shop_id, await conversation(world, shop_id), "x", tuesday_night) is None


async def test_hosting_waits_n_minutes_unanswered(world: World) -> None:
    shop_id, founder = await world.shop()
    await hosting(world, shop_id, founder, wait_minutes=10)
    fresh = await conversation(world, shop_id, waiting_since=TUESDAY_10 - timedelta(minutes=2))
    assert await ask(world, shop_id, fresh, "x", TUESDAY_10) is None
    # The customer's next message, once they have waited 10 minutes, gets the hosting reply.
    assert await ask(world, shop_id, fresh, "x", TUESDAY_10 + timedelta(minutes=8))


async def test_at_most_once_per_throttle_window_per_customer(world: World) -> None:
    shop_id, founder = await world.shop()
    await hosting(world, shop_id, founder, throttle_minutes=30)
    conv = await conversation(world, shop_id)
    assert await ask(world, shop_id, conv, "x", TUESDAY_10)
    assert await ask(world, shop_id, conv, "x", TUESDAY_10 + timedelta(minutes=29)) is None
    assert await ask(world, shop_id, conv, "x", TUESDAY_10 + timedelta(minutes=30))
    # Another customer has their own throttle.
    assert await ask(world, shop_id, await conversation(world, shop_id), "x", TUESDAY_10)


async def test_concurrent_messages_of_one_customer_get_one_hosting_reply(world: World) -> None:
    shop_id, founder = await world.shop()
    await hosting(world, shop_id, founder)
    conv = await conversation(world, shop_id)
    replies = await asyncio.gather(*[ask(world, shop_id, conv, "x", TUESDAY_10) for _ in range(6)])
    assert sum(r is not None for r in replies) == 1


async def test_a_rolled_back_message_leaves_no_throttle(world: World) -> None:
    shop_id, founder = await world.shop()
    await hosting(world, shop_id, founder)
    conv = await conversation(world, shop_id)
    async with world.app.state.sessionmaker() as session:
        async with session.begin():
            await bind_shop(session, shop_id)
            assert await automatic_reply(session, shop_id, conv[0], conv[1], "web", "x", TUESDAY_10)
            await session.rollback()
    assert await ask(world, shop_id, conv, "x", TUESDAY_10)


async def test_rules_of_another_shop_never_answer(world: World) -> None:
    shop_id, founder = await world.shop()
    other, other_founder = await world.shop()
    await rule(world, other, other_founder, keywords=["hi"])
    await hosting(world, other, other_founder)
    assert await ask(world, shop_id, await conversation(world, shop_id), "hi", TUESDAY_10) is None


async def test_through_the_inbound_endpoint(world: World) -> None:
    """The workspace stores the answer as an automatic message that is no staff response."""
    shop_id, founder = await world.shop()
    await rule(world, shop_id, founder, keywords=["包邮"], match="contains",
               content={"kind": "text", "text": "全场包邮"})
    key = await world.client.post(f"/api/v1/shops/{shop_id}/integration-keys",
                                  headers=founder.headers(),
                                  json={"name": "bridge", "scopes": ["messages:ingest"]})
    assert key.status_code == 201, key.text
    response = await world.client.post(
        f"/api/v1/shops/{shop_id}/messages/inbound",
        headers={"Authorization": f"Bearer {key.json()['token']}"},
        json={"channel": "web", "customer_external_id": "buyer-1",
              "channel_message_id": uuid.uuid4().hex, "text": "包邮吗?"})
    assert response.status_code in (200, 201), response.text
    conversation_id = response.json()["conversation_id"]
    async with world.app.state.sessionmaker() as session, session.begin():
        await bind_shop(session, shop_id)
        rows = (await session.execute(text(
            "SELECT author_kind, body FROM messages WHERE shop_id = :s AND conversation_id = :c "
            "ORDER BY seq"), {"s": shop_id, "c": conversation_id})).all()
        waiting = (await session.execute(text(
            "SELECT waiting_since FROM conversations WHERE shop_id = :s AND id = :c"),
            {"s": shop_id, "c": conversation_id})).scalar_one()
    assert [(r.author_kind, r.body) for r in rows] == [("customer", "包邮吗?"),
                                                       ("automatic", "全场包邮")]
    assert waiting is not None  # still waiting for a human

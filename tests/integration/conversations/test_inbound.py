"""Inbound messages: idempotent by channel message id, ordered, opening and reopening."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import text

from api.db.shop_context import bind_shop
from tests.integration.conversations.workspace import (
    assert_error,
    inbound,
    key_headers,
    make_key,
    shop_path,
)
from tests.support.world import World


async def _rows(world: World, shop_id: uuid.UUID, sql: str, **params: object) -> list:
    async with world.app.state.sessionmaker() as session, session.begin():
        await bind_shop(session, shop_id)
        return list((await session.execute(text(sql), {"s": shop_id, **params})).all())


async def test_first_message_opens_a_conversation_in_the_queue(world: World) -> None:
    shop_id, founder = await world.shop()
    key = await make_key(world, shop_id, founder)
    first = await inbound(world, shop_id, key, text="你好, is this in stock?",
                          attachments=[{"url": "https://cdn.example.com/a.jpg", "name": "a.jpg",
                                        "content_type": "image/jpeg", "size_bytes": 1200}])
    assert first.status_code == 200, first.text
    answer = first.json()
    assert (answer["seq"], answer["cycle"]) == (1, 1)
    second = (await inbound(world, shop_id, key, text="hello?")).json()
    assert second["conversation_id"] == answer["conversation_id"] and second["seq"] == 2
    assert second["customer_id"] == answer["customer_id"]
    queue = (await world.client.get(shop_path(shop_id, "/conversations/queue"),
                                    headers=founder.headers())).json()["items"]
    assert [c["id"] for c in queue] == [answer["conversation_id"]]
    assert queue[0]["waiting_since"] is not None and "seconds_to_breach" in queue[0]
    messages = (await world.client.get(
        shop_path(shop_id, f"/conversations/{answer['conversation_id']}/messages"),
        headers=founder.headers())).json()["items"]
    assert [m["seq"] for m in messages if m["author_kind"] == "customer"] == [1, 2]
    assert messages[0]["attachments"][0]["url"] == "https://cdn.example.com/a.jpg"


async def test_a_redelivery_stores_nothing_and_gets_the_same_answer(world: World) -> None:
    shop_id, founder = await world.shop()
    key = await make_key(world, shop_id, founder)
    first = await inbound(world, shop_id, key, cmid="wx-msg-1")
    again = await inbound(world, shop_id, key, cmid="wx-msg-1")
    assert again.status_code == 200 and again.json() == first.json()
    rows = await _rows(world, shop_id, "SELECT id FROM messages WHERE shop_id = :s "
                       "AND channel_message_id = 'wx-msg-1'")
    assert len(rows) == 1


async def test_concurrent_duplicates_store_one_message(world: World) -> None:
    shop_id, founder = await world.shop()
    key = await make_key(world, shop_id, founder)
    responses = await asyncio.gather(*[
        inbound(world, shop_id, key, customer="racer", cmid="dup-1", channel="wechat")
        for _ in range(6)])
    assert {r.status_code for r in responses} == {200}
    assert len({r.text for r in responses}) == 1
    rows = await _rows(world, shop_id, "SELECT seq FROM messages WHERE shop_id = :s")
    assert [r.seq for r in rows] == [1]
    customers = await _rows(world, shop_id, "SELECT id FROM customers WHERE shop_id = :s")
    assert len(customers) == 1


async def test_concurrent_messages_get_gapless_sequence_numbers(world: World) -> None:
    shop_id, founder = await world.shop()
    key = await make_key(world, shop_id, founder)
    await inbound(world, shop_id, key, customer="busy")
    responses = await asyncio.gather(*[inbound(world, shop_id, key, customer="busy", text=str(i))
                                       for i in range(8)])
    assert sorted(r.json()["seq"] for r in responses) == list(range(2, 10))


async def test_a_message_to_a_resolved_conversation_reopens_it(world: World) -> None:
    shop_id, founder = await world.shop()
    key = await make_key(world, shop_id, founder)
    await world.client.put(shop_path(shop_id, "/presence/me"), headers=founder.headers(),
                           json={"status": "online"})
    first = (await inbound(world, shop_id, key)).json()
    conversation = f"/conversations/{first['conversation_id']}"
    assert (await world.client.post(shop_path(shop_id, f"{conversation}/claim"),
                                    headers=founder.headers())).status_code == 200
    resolved = await world.client.post(shop_path(shop_id, f"{conversation}/status"),
                                       headers=founder.headers(), json={"status": "resolved"})
    assert resolved.json()["status"] == "resolved"
    again = (await inbound(world, shop_id, key, text="one more thing")).json()
    assert again["conversation_id"] == first["conversation_id"]
    assert (again["cycle"], again["seq"]) == (2, 2)
    read = (await world.client.get(shop_path(shop_id, conversation),
                                   headers=founder.headers())).json()
    assert read["status"] == "open" and read["assignee_id"] is None and read["cycle"] == 2


async def test_contact_seller_off_refuses_new_web_conversations(world: World) -> None:
    shop_id, founder = await world.shop()
    key = await make_key(world, shop_id, founder)
    ongoing = await inbound(world, shop_id, key, customer="before")
    assert ongoing.status_code == 200
    turned_off = await world.client.patch(shop_path(shop_id), headers=founder.headers(),
                                          json={"contact_seller_enabled": False})
    assert turned_off.status_code == 200
    assert_error(await inbound(world, shop_id, key, customer="new-buyer"),
                 403, "conversation.contact_seller_disabled")
    # The refusal came after the customer's identity was written: it rolled back with it.
    assert await _rows(world, shop_id, "SELECT 1 FROM customer_identities WHERE shop_id = :s "
                       "AND channel = 'web' AND external_id = 'new-buyer'") == []
    # Other channels, and conversations already going, carry on.
    assert (await inbound(world, shop_id, key, customer="new-buyer", channel="mobile")
            ).status_code == 200
    assert (await inbound(world, shop_id, key, customer="before")).status_code == 200


async def test_bad_inbound_messages_are_refused_with_their_own_codes(world: World) -> None:
    shop_id, founder = await world.shop()
    key = await make_key(world, shop_id, founder)
    assert_error(await inbound(world, shop_id, key, channel="telegram"), 422, "channel.unknown")
    assert_error(await inbound(world, shop_id, key, text=""), 422, "message.empty")
    credentials = await inbound(world, shop_id, key,
                                attachments=[{"url": "https://user:pw@cdn.example.com/a.jpg"}])
    assert_error(credentials, 422, "message.attachment_invalid")
    for extra in ({"attachments": [{"url": "ftp://cdn.example.com/a"}]},
                  {"attachments": [{"url": "https://cdn.example.com/a"}] * 11},
                  {"attachments": [{"url": "https://cdn.example.com/a", "size_bytes": 10**12}]},
                  {"text": "x" * 4001},
                  {"text": 42},
                  {"unknown": True}):
        assert_error(await inbound(world, shop_id, key, **extra), 422, "request.validation_failed")
    path = shop_path(shop_id, "/messages/inbound")
    assert_error(await world.client.post(path, headers=key_headers(key), json={
        "channel": "web", "customer_external_id": "a\x00", "channel_message_id": "1", "text": "x"}),
        400, "request.nul_character")
    huge = await world.client.post(path, headers=key_headers(key), json={
        "channel": "web", "customer_external_id": "x" * 201, "channel_message_id": "1", "text": "x"})
    assert_error(huge, 422, "request.validation_failed")


async def test_customer_upsert_maps_one_identity_to_one_customer(world: World) -> None:
    shop_id, founder = await world.shop()
    key = await make_key(world, shop_id, founder, ["customers:write"])
    path = shop_path(shop_id, "/customers")
    body = {"channel": "wechat", "external_id": "openid-1", "display_name": "小王"}
    results = await asyncio.gather(*[world.client.put(path, headers=key_headers(key), json=body)
                                     for _ in range(5)])
    assert {r.status_code for r in results} == {200}
    assert len({r.json()["id"] for r in results}) == 1
    assert sum(r.json()["created"] for r in results) == 1
    customer_id = results[0].json()["id"]
    linked = await world.client.put(path, headers=key_headers(key), json={
        "channel": "web", "external_id": "shopper-9", "customer_id": customer_id})
    assert linked.status_code == 200 and linked.json()["id"] == customer_id
    other = (await world.client.put(path, headers=key_headers(key), json={
        "channel": "live", "external_id": "fan-1"})).json()["id"]
    taken = await world.client.put(path, headers=key_headers(key), json={
        "channel": "web", "external_id": "shopper-9", "customer_id": other})
    assert_error(taken, 409, "customer.identity_taken")
    assert_error(await world.client.put(path, headers=key_headers(key), json={
        "channel": "web", "external_id": "z", "customer_id": str(uuid.uuid4())}),
        404, "customer.not_found")
    assert_error(await world.client.put(path, headers=key_headers(key), json={
        "channel": "fax", "external_id": "z"}), 422, "channel.unknown")
    # Staff do not upsert customers: it is an integration scope.
    assert_error(await world.client.put(path, headers=founder.headers(), json=body),
                 403, "permission.denied")

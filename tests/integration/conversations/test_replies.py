"""Replies, internal notes, statuses, the WeChat window, and what is announced to whom."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text

from api.db.shop_context import bind_shop
from api.domain.conversations import signals as workspace_signals
from api.signals import _subscribers
from tests.integration.conversations.workspace import (
    assert_error,
    go_online,
    inbound,
    make_key,
    shop_path,
)
from tests.support.world import Account, World


async def _setup(world: World, channel: str = "web") -> tuple[uuid.UUID, Account, Account, str]:
    shop_id, founder = await world.shop()
    key = await make_key(world, shop_id, founder)
    agent = await world.staff(shop_id, "agent")
    await go_online(world, shop_id, agent)
    response = await inbound(world, shop_id, key, channel=channel, customer="buyer-7")
    cid = response.json()["conversation_id"]
    claimed = await world.client.post(shop_path(shop_id, f"/conversations/{cid}/claim"),
                                      headers=agent.headers())
    assert claimed.status_code == 200, claimed.text
    return shop_id, founder, agent, cid


async def _events(world: World, shop_id: uuid.UUID) -> list[Any]:
    async with world.app.state.sessionmaker() as session, session.begin():
        await bind_shop(session, shop_id)
        return list((await session.execute(text(
            "SELECT type, permission, subject_user_id, data FROM events WHERE shop_id = :s "
            "ORDER BY seq"), {"s": shop_id})).all())


async def test_a_reply_is_stored_and_sent_out_to_the_shops_systems(world: World) -> None:
    shop_id, _, agent, cid = await _setup(world)
    reply = await world.client.post(shop_path(shop_id, f"/conversations/{cid}/messages"),
                                    headers=agent.headers(), json={
                                        "text": "您好! It ships tomorrow.",
                                        "attachments": [{"url": "https://cdn.example.com/t.png"}]})
    assert reply.status_code == 201, reply.text
    body = reply.json()
    assert (body["author_kind"], body["visibility"], body["seq"]) == ("staff", "public", 2)
    conversation = (await world.client.get(shop_path(shop_id, f"/conversations/{cid}"),
                                           headers=agent.headers())).json()
    assert conversation["waiting_since"] is None and conversation["last_message_seq"] == 2
    outbound = [e for e in await _events(world, shop_id) if e.type == "message.outbound"]
    assert len(outbound) == 1 and outbound[0].permission == "events:read"
    assert outbound[0].data["customer_external_id"] == "buyer-7"
    assert outbound[0].data["body"] == "您好! It ships tomorrow."


async def test_notes_stay_inside_the_shop(world: World) -> None:
    shop_id, _, agent, cid = await _setup(world)
    await go_online(world, shop_id, agent, "offline")  # notes need no presence
    note = await world.client.post(shop_path(shop_id, f"/conversations/{cid}/notes"),
                                   headers=agent.headers(), json={"text": "VIP, be gentle"})
    assert note.status_code == 201 and note.json()["visibility"] == "note"
    events = await _events(world, shop_id)
    assert all("VIP" not in str(e.data) for e in events if e.permission == "events:read")
    assert not [e for e in events if e.type == "message.outbound"]
    staff = [e for e in events if e.type == "message.created" and e.data["visibility"] == "note"]
    assert staff and staff[0].permission == "cs:workspace" and staff[0].subject_user_id == agent.id
    assert_error(await world.client.post(shop_path(shop_id, f"/conversations/{cid}/notes"),
                                         headers=agent.headers(), json={"text": ""}),
                 422, "request.validation_failed")


async def test_reply_refusals(world: World) -> None:
    shop_id, founder, agent, cid = await _setup(world)
    path = shop_path(shop_id, f"/conversations/{cid}/messages")
    assert_error(await world.client.post(path, headers=agent.headers(), json={"text": ""}),
                 422, "message.empty")
    await go_online(world, shop_id, agent, "offline")
    assert_error(await world.client.post(path, headers=agent.headers(), json={"text": "hi"}),
                 403, "presence.offline")
    await go_online(world, shop_id, agent)
    other = await world.staff(shop_id, "agent")
    await go_online(world, shop_id, other)
    assert_error(await world.client.post(path, headers=other.headers(), json={"text": "hi"}),
                 404, "conversation.not_found")
    assert_error(await world.client.post(shop_path(shop_id, f"/conversations/{uuid.uuid4()}/messages"),
                                         headers=agent.headers(), json={"text": "hi"}),
                 404, "conversation.not_found")
    await world.client.post(shop_path(shop_id, f"/conversations/{cid}/status"),
                            headers=agent.headers(), json={"status": "resolved"})
    assert_error(await world.client.post(path, headers=agent.headers(), json={"text": "hi"}),
                 409, "conversation.resolved")
    # A queue conversation is claimed before anyone but a supervisor works on it.
    key = await make_key(world, shop_id, founder)
    waiting = (await inbound(world, shop_id, key, customer="new")).json()["conversation_id"]
    assert_error(await world.client.post(shop_path(shop_id, f"/conversations/{waiting}/messages"),
                                         headers=agent.headers(), json={"text": "hi"}),
                 409, "conversation.unclaimed")


async def test_wechat_replies_close_48_hours_after_the_customers_last_message(world: World) -> None:
    shop_id, _, agent, cid = await _setup(world, channel="wechat")
    path = shop_path(shop_id, f"/conversations/{cid}/messages")
    assert (await world.client.post(path, headers=agent.headers(), json={"text": "hi"})
            ).status_code == 201
    async with world.app.state.sessionmaker() as session, session.begin():
        await bind_shop(session, shop_id)
        await session.execute(text(
            "UPDATE conversations SET last_customer_message_at = now() - interval '48 hours 1 minute' "
            "WHERE shop_id = :s AND id = :c"), {"s": shop_id, "c": cid})
    assert_error(await world.client.post(path, headers=agent.headers(), json={"text": "hi"}),
                 409, "conversation.wechat_window_closed")
    note = await world.client.post(shop_path(shop_id, f"/conversations/{cid}/notes"),
                                   headers=agent.headers(), json={"text": "window closed"})
    assert note.status_code == 201


async def test_status_transitions_are_validated(world: World) -> None:
    shop_id, _, agent, cid = await _setup(world)
    path = shop_path(shop_id, f"/conversations/{cid}/status")

    async def to(status: str):  # type: ignore[no-untyped-def]
        return await world.client.post(path, headers=agent.headers(), json={"status": status})

    assert_error(await to("open"), 409, "conversation.status_unchanged")
    assert (await to("pending")).json()["status"] == "pending"
    assert (await to("open")).json()["status"] == "open"
    resolved = (await to("resolved")).json()
    assert resolved["status"] == "resolved" and resolved["resolved_at"] is not None
    assert_error(await to("open"), 409, "conversation.invalid_transition")
    assert_error(await to("closed"), 422, "request.validation_failed")


async def test_a_customer_answer_moves_pending_back_to_open(world: World) -> None:
    shop_id, founder, agent, cid = await _setup(world)
    await world.client.post(shop_path(shop_id, f"/conversations/{cid}/status"),
                            headers=agent.headers(), json={"status": "pending"})
    key = await make_key(world, shop_id, founder)
    await inbound(world, shop_id, key, customer="buyer-7", text="here is my order number")
    read = (await world.client.get(shop_path(shop_id, f"/conversations/{cid}"),
                                   headers=agent.headers())).json()
    assert read["status"] == "open" and read["waiting_since"] is not None


async def test_the_workspace_publishes_its_signals(world: World) -> None:
    seen: list[Any] = []

    async def record(_session, signal):  # type: ignore[no-untyped-def]
        seen.append(signal)

    kinds = (workspace_signals.CycleStarted, workspace_signals.MessageRecorded,
             workspace_signals.ConversationStatusChanged, workspace_signals.ConversationAssigned)
    for kind in kinds:
        _subscribers[kind].append(record)
    try:
        shop_id, _, agent, cid = await _setup(world)
        await world.client.post(shop_path(shop_id, f"/conversations/{cid}/messages"),
                                headers=agent.headers(), json={"text": "hello"})
        await world.client.post(shop_path(shop_id, f"/conversations/{cid}/status"),
                                headers=agent.headers(), json={"status": "resolved"})
    finally:
        for kind in kinds:
            _subscribers[kind].remove(record)
    mine = [s for s in seen if str(s.conversation_id) == cid]
    names = [type(s).__name__ for s in mine]
    assert names == ["CycleStarted", "MessageRecorded", "ConversationAssigned", "MessageRecorded",
                     "ConversationStatusChanged"]
    assert mine[1].author_kind == "customer" and mine[3].is_qualifying_reply
    assert mine[2].reason == "claim" and mine[2].assignee_id == agent.id


async def test_an_automatic_reply_is_stored_marked_and_sent_out(world: World) -> None:
    shop_id, founder = await world.shop()
    rule = await world.client.post(shop_path(shop_id, "/auto-replies"), headers=founder.headers(),
                                   json={"name": "shipping", "match": "contains",
                                         "keywords": ["发货"],
                                         "content": {"kind": "text", "text": "48小时内发货"}})
    assert rule.status_code == 201, rule.text
    key = await make_key(world, shop_id, founder)
    answer = (await inbound(world, shop_id, key, text="什么时候发货?")).json()
    messages = (await world.client.get(
        shop_path(shop_id, f"/conversations/{answer['conversation_id']}/messages"),
        headers=founder.headers())).json()["items"]
    assert [(m["seq"], m["author_kind"]) for m in messages] == [(1, "customer"), (2, "automatic")]
    assert messages[1]["body"] == "48小时内发货"
    conversation = (await world.client.get(
        shop_path(shop_id, f"/conversations/{answer['conversation_id']}"),
        headers=founder.headers())).json()
    # An automatic answer is not a staff response: the customer is still waiting.
    assert conversation["waiting_since"] is not None and conversation["last_message_seq"] == 2
    outbound = [e for e in await _events(world, shop_id) if e.type == "message.outbound"]
    assert [e.data["author_kind"] for e in outbound] == ["automatic"]

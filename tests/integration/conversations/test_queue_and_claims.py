"""The waiting queue, claims, automatic assignment, transfers and who sees what."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from tests.integration.conversations.workspace import (
    assert_error,
    go_online,
    inbound,
    make_key,
    shop_path,
)
from tests.support.world import Account, World


async def _conversation(world: World, shop_id: uuid.UUID, key: dict[str, Any],
                        customer: str | None = None, channel: str = "web") -> str:
    response = await inbound(world, shop_id, key, customer=customer or uuid.uuid4().hex,
                             channel=channel)
    assert response.status_code == 200, response.text
    return response.json()["conversation_id"]


async def _claim(world: World, shop_id: uuid.UUID, who: Account, cid: str):  # type: ignore[no-untyped-def]
    return await world.client.post(shop_path(shop_id, f"/conversations/{cid}/claim"),
                                   headers=who.headers())


async def test_queue_is_oldest_first_and_paginated(world: World) -> None:
    shop_id, founder = await world.shop()
    key = await make_key(world, shop_id, founder)
    made = [await _conversation(world, shop_id, key) for _ in range(3)]
    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await world.client.get(shop_path(shop_id, "/conversations/queue"), params=params,
                                       headers=founder.headers())).json()
        seen += [c["id"] for c in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == made
    web_only = (await world.client.get(shop_path(shop_id, "/conversations/queue"),
                                       params={"channel": "mobile"}, headers=founder.headers())).json()
    assert web_only["items"] == []
    assert_error(await world.client.get(shop_path(shop_id, "/conversations/queue"),
                                        params={"channel": "pager"}, headers=founder.headers()),
                 422, "channel.unknown")


async def test_concurrent_claims_exactly_one_wins(world: World) -> None:
    shop_id, founder = await world.shop()
    key = await make_key(world, shop_id, founder)
    agents = [await world.staff(shop_id, "agent") for _ in range(4)]
    for agent in agents:
        await go_online(world, shop_id, agent)
    cid = await _conversation(world, shop_id, key)
    responses = await asyncio.gather(*[_claim(world, shop_id, a, cid) for a in agents])
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409]
    for r in responses:
        if r.status_code == 409:
            assert r.json()["code"] == "conversation.already_claimed"
    winner = next(a for a, r in zip(agents, responses, strict=True) if r.status_code == 200)
    queue = (await world.client.get(shop_path(shop_id, "/conversations/queue"),
                                    headers=founder.headers())).json()["items"]
    assert cid not in [c["id"] for c in queue]
    mine = (await world.client.get(shop_path(shop_id, "/conversations"),
                                   headers=winner.headers())).json()["items"]
    assert [c["id"] for c in mine] == [cid]


async def test_agents_see_the_queue_and_their_own_only(world: World) -> None:
    shop_id, founder = await world.shop()
    key = await make_key(world, shop_id, founder)
    alice, bob = await world.staff(shop_id, "agent"), await world.staff(shop_id, "agent")
    await go_online(world, shop_id, alice)
    cid = await _conversation(world, shop_id, key)
    assert (await _claim(world, shop_id, alice, cid)).status_code == 200
    for path in (f"/conversations/{cid}", f"/conversations/{cid}/messages"):
        assert_error(await world.client.get(shop_path(shop_id, path), headers=bob.headers()),
                     404, "conversation.not_found")
    assert (await world.client.get(shop_path(shop_id, "/conversations"),
                                   headers=bob.headers())).json()["items"] == []
    others = await world.client.get(shop_path(shop_id, "/conversations"),
                                    params={"assignee_id": str(alice.id)}, headers=bob.headers())
    assert_error(others, 403, "permission.denied")
    # An admin supervises: sees everything, filters by assignee, status, channel, customer.
    admin = await world.staff(shop_id, "admin")
    listed = (await world.client.get(shop_path(shop_id, "/conversations"), params={
        "assignee_id": str(alice.id), "status": "open", "channel": "web"},
        headers=admin.headers())).json()["items"]
    assert [c["id"] for c in listed] == [cid]
    by_customer = (await world.client.get(shop_path(shop_id, "/conversations"), params={
        "customer_id": listed[0]["customer_id"]}, headers=admin.headers())).json()["items"]
    assert [c["id"] for c in by_customer] == [cid]
    verifier = await world.staff(shop_id, "verifier")
    assert_error(await world.client.get(shop_path(shop_id, "/conversations/queue"),
                                        headers=verifier.headers("mobile")), 403,
                 "permission.denied")


async def test_claim_refusals(world: World) -> None:
    shop_id, founder = await world.shop()
    key = await make_key(world, shop_id, founder)
    agent = await world.staff(shop_id, "agent")
    cid = await _conversation(world, shop_id, key)
    assert_error(await _claim(world, shop_id, agent, cid), 403, "presence.offline")
    await go_online(world, shop_id, agent, "busy")  # busy still works, only gets nothing new
    assert (await _claim(world, shop_id, agent, cid)).status_code == 200
    assert_error(await _claim(world, shop_id, agent, cid), 409, "conversation.already_claimed")
    assert_error(await _claim(world, shop_id, agent, str(uuid.uuid4())), 404,
                 "conversation.not_found")
    await world.client.post(shop_path(shop_id, f"/conversations/{cid}/status"),
                            headers=agent.headers(), json={"status": "resolved"})
    await go_online(world, shop_id, founder)
    assert_error(await _claim(world, shop_id, founder, cid), 409, "conversation.resolved")


async def test_transfers_follow_the_rules(world: World) -> None:
    shop_id, founder = await world.shop()
    key = await make_key(world, shop_id, founder)
    alice = await world.staff(shop_id, "agent")
    bob = await world.staff(shop_id, "agent")
    carol = await world.staff(shop_id, "agent")
    verifier = await world.staff(shop_id, "verifier")
    for agent in (alice, bob):
        await go_online(world, shop_id, agent)
    cid = await _conversation(world, shop_id, key)
    path = shop_path(shop_id, f"/conversations/{cid}/transfer")
    # Not yours and no cs:supervise: a queue conversation cannot be pushed onto someone.
    assert_error(await world.client.post(path, headers=bob.headers(), json={
        "to_user_id": str(alice.id), "reason": "yours"}), 403, "permission.denied")
    assert (await _claim(world, shop_id, alice, cid)).status_code == 200

    async def move(who: Account, to: uuid.UUID, reason: str = "needs a refund expert"):  # type: ignore[no-untyped-def]
        return await world.client.post(path, headers=who.headers(),
                                       json={"to_user_id": str(to), "reason": reason})

    assert_error(await move(alice, carol.id), 409, "conversation.assignee_offline")
    assert_error(await move(alice, verifier.id), 422, "conversation.assignee_not_staff")
    assert_error(await move(alice, uuid.uuid4()), 422, "conversation.assignee_not_staff")
    assert_error(await move(alice, alice.id), 409, "conversation.transfer_to_current_assignee")
    assert_error(await move(alice, bob.id, "   "), 422, "request.validation_failed")
    moved = await move(alice, bob.id)
    assert moved.status_code == 200 and moved.json()["assignee_id"] == str(bob.id)
    # Alice no longer sees it; an admin reassigns anyone's conversation.
    assert_error(await move(alice, alice.id), 404, "conversation.not_found")
    admin = await world.staff(shop_id, "admin")
    back = await move(admin, alice.id, "bob is at lunch")
    assert back.status_code == 200 and back.json()["assignee_id"] == str(alice.id)


async def test_automatic_assignment_round_robin_and_capacity(world: World) -> None:
    shop_id, founder = await world.shop()
    key = await make_key(world, shop_id, founder)
    settings = await world.client.put(shop_path(shop_id, "/workspace/settings"),
                                      headers=founder.headers(),
                                      json={"assignment_mode": "round_robin", "agent_capacity": 2})
    assert settings.json() == {"assignment_mode": "round_robin", "agent_capacity": 2}
    a, b = await world.staff(shop_id, "agent"), await world.staff(shop_id, "agent")
    offline = await world.staff(shop_id, "agent")
    busy = await world.staff(shop_id, "agent")
    await go_online(world, shop_id, a)
    await go_online(world, shop_id, b)
    await go_online(world, shop_id, busy, "busy")
    await go_online(world, shop_id, offline, "offline")
    cids = [await _conversation(world, shop_id, key) for _ in range(5)]
    admin_view: dict[str, Any] = {}
    for cid in cids:
        admin_view[cid] = (await world.client.get(shop_path(shop_id, f"/conversations/{cid}"),
                                                  headers=founder.headers())).json()["assignee_id"]
    assigned = [admin_view[c] for c in cids]
    assert sorted(filter(None, assigned)) == sorted([str(a.id), str(a.id), str(b.id), str(b.id)])
    assert assigned[0] != assigned[1] and assigned[4] is None  # capacity 2 each: the 5th waits
    queue = (await world.client.get(shop_path(shop_id, "/conversations/queue"),
                                    headers=founder.headers())).json()["items"]
    assert [c["id"] for c in queue] == [cids[4]]


async def test_least_open_prefers_the_emptiest_agent(world: World) -> None:
    shop_id, founder = await world.shop()
    key = await make_key(world, shop_id, founder)
    loaded, idle = await world.staff(shop_id, "agent"), await world.staff(shop_id, "agent")
    await go_online(world, shop_id, loaded)
    first = await _conversation(world, shop_id, key)
    assert (await _claim(world, shop_id, loaded, first)).status_code == 200
    await go_online(world, shop_id, idle)
    await world.client.put(shop_path(shop_id, "/workspace/settings"), headers=founder.headers(),
                           json={"assignment_mode": "least_open"})
    cid = await _conversation(world, shop_id, key)
    read = (await world.client.get(shop_path(shop_id, f"/conversations/{cid}"),
                                   headers=founder.headers())).json()
    assert read["assignee_id"] == str(idle.id)


async def test_workspace_settings_need_shop_settings(world: World) -> None:
    shop_id, founder = await world.shop()
    agent = await world.staff(shop_id, "agent")
    path = shop_path(shop_id, "/workspace/settings")
    assert (await world.client.get(path, headers=agent.headers())).json()["assignment_mode"] == "off"
    assert_error(await world.client.put(path, headers=agent.headers(),
                                        json={"assignment_mode": "least_open"}),
                 403, "permission.denied")
    for body in ({"assignment_mode": "lottery"}, {"agent_capacity": 0},
                 {"agent_capacity": 10**6}, {"agent_capacity": [5]}):
        assert_error(await world.client.put(path, headers=founder.headers(), json=body),
                     422, "request.validation_failed")


async def test_coming_online_takes_waiting_conversations_up_to_capacity(world: World) -> None:
    shop_id, founder = await world.shop()
    key = await make_key(world, shop_id, founder)
    await world.client.put(shop_path(shop_id, "/workspace/settings"), headers=founder.headers(),
                           json={"assignment_mode": "round_robin", "agent_capacity": 2})
    cids = [await _conversation(world, shop_id, key) for _ in range(3)]
    agent = await world.staff(shop_id, "agent")
    await go_online(world, shop_id, agent)
    mine = (await world.client.get(shop_path(shop_id, "/conversations"),
                                   headers=agent.headers())).json()["items"]
    assert sorted(c["id"] for c in mine) == sorted(cids[:2])  # the two longest waiting
    queue = (await world.client.get(shop_path(shop_id, "/conversations/queue"),
                                    headers=founder.headers())).json()["items"]
    assert [c["id"] for c in queue] == [cids[2]]


async def test_the_queue_board_is_for_supervisors(world: World) -> None:
    shop_id, founder = await world.shop()
    key = await make_key(world, shop_id, founder)
    agent = await world.staff(shop_id, "agent")
    await go_online(world, shop_id, agent)
    first = await _conversation(world, shop_id, key)
    await _conversation(world, shop_id, key)
    assert (await _claim(world, shop_id, agent, first)).status_code == 200
    await world.client.post(shop_path(shop_id, f"/conversations/{first}/status"),
                            headers=agent.headers(), json={"status": "pending"})
    board = await world.client.get(shop_path(shop_id, "/conversations/board"),
                                   headers=founder.headers())
    assert board.status_code == 200, board.text
    body = board.json()
    assert (body["waiting"], body["open"], body["pending"]) == (1, 1, 1)
    assert body["oldest_waiting_since"] is not None
    assert (body["staff_online"], body["staff_busy"], body["staff_offline"]) == (1, 0, 1)
    refused = await world.client.get(shop_path(shop_id, "/conversations/board"),
                                     headers=agent.headers())
    assert_error(refused, 403, "permission.denied")
    assert refused.json()["details"]["permission"] == "cs:supervise"

"""Presence: online, busy, offline; a lapsed live-stream presence reads offline."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from api.db.shop_context import bind_shop
from api.settings import load_settings
from tests.integration.conversations.workspace import (
    assert_error,
    go_online,
    inbound,
    make_key,
    shop_path,
)
from tests.support.world import World


async def _presence(world: World, shop_id: uuid.UUID, viewer) -> dict[str, str]:  # type: ignore[no-untyped-def]
    page = (await world.client.get(shop_path(shop_id, "/presence"), headers=viewer.headers())).json()
    return {item["user_id"]: item["status"] for item in page["items"]}


async def _age_live_presence(world: World, shop_id: uuid.UUID, user_id: uuid.UUID,
                             seconds: int) -> None:
    async with world.app.state.sessionmaker() as session, session.begin():
        await bind_shop(session, shop_id)
        await session.execute(text(
            "UPDATE staff_presence SET refreshed_at = now() - make_interval(secs => :age) "
            "WHERE shop_id = :s AND user_id = :u"), {"age": seconds, "s": shop_id, "u": user_id})


async def test_staff_start_offline_and_change_their_presence(world: World) -> None:
    shop_id, founder = await world.shop()
    agent = await world.staff(shop_id, "agent")
    await world.staff(shop_id, "verifier")  # not in the workspace: not listed
    assert await _presence(world, shop_id, agent) == {str(founder.id): "offline",
                                                      str(agent.id): "offline"}
    await go_online(world, shop_id, agent)
    await go_online(world, shop_id, founder, "busy")
    assert await _presence(world, shop_id, agent) == {str(founder.id): "busy",
                                                      str(agent.id): "online"}
    async with world.app.state.sessionmaker() as session, session.begin():
        await bind_shop(session, shop_id)
        changes = (await session.execute(text(
            "SELECT data FROM events WHERE shop_id = :s AND type = 'presence.changed' ORDER BY seq"),
            {"s": shop_id})).scalars().all()
    assert [(c["user_id"], c["status"]) for c in changes] == [
        (str(agent.id), "online"), (str(founder.id), "busy")]
    # Setting the same status again refreshes it and announces nothing new.
    await go_online(world, shop_id, agent)
    async with world.app.state.sessionmaker() as session, session.begin():
        await bind_shop(session, shop_id)
        count = (await session.execute(text(
            "SELECT count(*) FROM events WHERE shop_id = :s AND type = 'presence.changed'"),
            {"s": shop_id})).scalar_one()
    assert count == 2


async def test_a_live_stream_presence_lapses_to_offline(world: World) -> None:
    shop_id, founder = await world.shop()
    key = await make_key(world, shop_id, founder)
    streamer = await world.staff(shop_id, "agent")
    await go_online(world, shop_id, streamer, via="live")
    cid = (await inbound(world, shop_id, key, channel="live")).json()["conversation_id"]
    ttl = world.app.state.settings.live_presence_ttl_seconds
    await _age_live_presence(world, shop_id, streamer.id, int(ttl) + 5)
    assert (await _presence(world, shop_id, founder))[str(streamer.id)] == "offline"
    claim = await world.client.post(shop_path(shop_id, f"/conversations/{cid}/claim"),
                                    headers=streamer.headers())
    assert_error(claim, 403, "presence.offline")
    # A refresh from the live-stream tool brings them back.
    await go_online(world, shop_id, streamer, via="live")
    assert (await _presence(world, shop_id, founder))[str(streamer.id)] == "online"
    # A workspace presence does not lapse.
    await go_online(world, shop_id, founder)
    await _age_live_presence(world, shop_id, founder.id, int(ttl) * 10)
    assert (await _presence(world, shop_id, founder))[str(founder.id)] == "online"


async def test_lapsed_staff_get_no_automatic_assignment(world: World) -> None:
    shop_id, founder = await world.shop()
    key = await make_key(world, shop_id, founder)
    await world.client.put(shop_path(shop_id, "/workspace/settings"), headers=founder.headers(),
                           json={"assignment_mode": "least_open"})
    streamer = await world.staff(shop_id, "agent")
    await go_online(world, shop_id, streamer, via="live")
    await _age_live_presence(world, shop_id, streamer.id, 10_000)
    cid = (await inbound(world, shop_id, key)).json()["conversation_id"]
    read = (await world.client.get(shop_path(shop_id, f"/conversations/{cid}"),
                                   headers=founder.headers())).json()
    assert read["assignee_id"] is None


async def test_presence_refusals(world: World) -> None:
    shop_id, founder = await world.shop()
    verifier = await world.staff(shop_id, "verifier")
    path = shop_path(shop_id, "/presence/me")
    assert_error(await world.client.put(path, headers=verifier.headers("mobile"),
                                        json={"status": "online"}), 403, "permission.denied")
    for body in ({"status": "away"}, {"status": "online", "via": "telepathy"},
                 {"status": "online", "extra": 1}, {}):
        assert_error(await world.client.put(path, headers=founder.headers(), json=body),
                     422, "request.validation_failed")
    key = await make_key(world, shop_id, founder)
    assert_error(await world.client.put(path, headers={"Authorization": f"Bearer {key['token']}"},
                                        json={"status": "online"}), 403, "integration.staff_only")


def test_the_live_presence_lapse_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPDESK_LIVE_PRESENCE_TTL_SECONDS", "45")
    assert load_settings().live_presence_ttl_seconds == 45.0
    monkeypatch.setenv("SHOPDESK_LIVE_PRESENCE_TTL_SECONDS", "soon")
    with pytest.raises(ValueError, match="SHOPDESK_LIVE_PRESENCE_TTL_SECONDS"):
        load_settings()

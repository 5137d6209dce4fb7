"""The staff live stream: delivery, filtering by role, resume, heartbeats, removal."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx

from tests.integration.events.sse import emit_event, open_stream
from tests.integration.members.helpers import assert_error
from tests.support.world import World


def stream_path(shop_id: uuid.UUID) -> str:
    return f"/api/v1/shops/{shop_id}/events/stream"


async def test_events_arrive_with_their_seq_as_id(world: World, live_url: str) -> None:
    shop_id, founder = await world.shop()
    agent = await world.staff(shop_id, "agent")
    await emit_event(world, shop_id, "before.connect", {"n": 0})  # not replayed: starts now
    async with open_stream(live_url, stream_path(shop_id), agent.headers()) as stream:
        seqs = [await emit_event(world, shop_id, "message.created", {"n": n}) for n in (1, 2)]
        frames = await stream.events(2)
    assert [int(f.id) for f in frames] == seqs
    assert [f.event for f in frames] == ["message.created", "message.created"]
    body = frames[0].json
    assert body["seq"] == seqs[0] and body["type"] == "message.created"
    assert body["data"] == {"n": 1}
    uuid.UUID(body["id"])


async def test_each_reader_sees_only_what_its_role_may(world: World, live_url: str) -> None:
    shop_id, founder = await world.shop()
    agent = await world.staff(shop_id, "agent")
    colleague = await world.staff(shop_id, "agent")
    admin = await world.staff(shop_id, "admin")
    async with (open_stream(live_url, stream_path(shop_id), agent.headers()) as agent_stream,
                open_stream(live_url, stream_path(shop_id), admin.headers()) as admin_stream):
        await emit_event(world, shop_id, "queue.board", {}, permission="cs:supervise")
        await emit_event(world, shop_id, "message.outbound", {}, permission="events:read")
        await emit_event(world, shop_id, "conversation.assigned", {"to": "colleague"},
                         subject_user_id=colleague.id)
        await emit_event(world, shop_id, "conversation.assigned", {"to": "agent"},
                         subject_user_id=agent.id)
        await emit_event(world, shop_id, "refund.done", {}, permission="refunds:process")
        await emit_event(world, shop_id, "queue.changed", {"marker": True})
        agent_frames = await agent_stream.events(2)
        admin_frames = await admin_stream.events(5)
    assert [(f.event, f.json["data"]) for f in agent_frames] == [
        ("conversation.assigned", {"to": "agent"}), ("queue.changed", {"marker": True})]
    # A supervisor sees everyone's, and what needs its permissions; never integration events.
    assert [f.event for f in admin_frames] == [
        "queue.board", "conversation.assigned", "conversation.assigned", "refund.done",
        "queue.changed"]


async def test_last_event_id_resumes_with_nothing_lost_or_repeated(world: World,
                                                                   live_url: str) -> None:
    shop_id, founder = await world.shop()
    async with open_stream(live_url, stream_path(shop_id), founder.headers()) as stream:
        first = [await emit_event(world, shop_id, "e", {"n": n}) for n in range(3)]
        frames = await stream.events(3)
    assert [int(f.id) for f in frames] == first
    # Emitted while nobody listens; plus one the founder may not see in the middle.
    missed = [await emit_event(world, shop_id, "e", {"n": n}) for n in range(3, 5)]
    await emit_event(world, shop_id, "x", {}, permission="events:read")
    missed.append(await emit_event(world, shop_id, "e", {"n": 5}))
    headers = {**founder.headers(), "Last-Event-ID": frames[-1].id}
    async with open_stream(live_url, stream_path(shop_id), headers) as stream:
        resumed = await stream.events(3)
        later = await emit_event(world, shop_id, "e", {"n": 6})
        resumed += await stream.events(1)
        assert await stream.nothing_within(0.5)
    assert [int(f.id) for f in resumed] == [*missed, later]
    assert [f.json["data"]["n"] for f in resumed] == [3, 4, 5, 6]
    # The query parameter works as well (EventSource cannot set headers on its first try).
    path = f"{stream_path(shop_id)}?last_event_id={missed[0]}"
    async with open_stream(live_url, path, founder.headers()) as stream:
        again = await stream.events(3)
    assert [int(f.id) for f in again] == [missed[1], missed[2], later]


async def test_a_resume_far_behind_reads_the_table_in_batches(world: World, live_url: str) -> None:
    shop_id, founder = await world.shop()
    start = await emit_event(world, shop_id, "start", {})
    async with world.app.state.sessionmaker() as session, session.begin():
        from api.db.shop_context import bind_shop
        from api.domain.events.outbox import emit
        await bind_shop(session, shop_id)
        for n in range(600):
            await emit(session, shop_id, "bulk", {"n": n})
    headers = {**founder.headers(), "Last-Event-ID": str(start)}
    async with open_stream(live_url, stream_path(shop_id), headers) as stream:
        frames = await stream.events(600, timeout=10)
    assert [f.json["data"]["n"] for f in frames] == list(range(600))


async def test_a_removed_member_stream_ends_at_once(world: World, live_url: str) -> None:
    shop_id, founder = await world.shop()
    agent = await world.staff(shop_id, "agent")
    async with open_stream(live_url, stream_path(shop_id), agent.headers()) as stream:
        await emit_event(world, shop_id, "hello", {})
        assert (await stream.next()).event == "hello"
        started = time.monotonic()
        removed = await world.client.delete(f"/api/v1/shops/{shop_id}/members/{agent.id}",
                                            headers=founder.headers())
        assert removed.status_code == 204, removed.text
        await emit_event(world, shop_id, "secret", {})
        end = await stream.next(timeout=5)
        assert end is not None and end.event == "stream.end", end
        assert end.json == {"reason": "access.revoked"}
        assert await stream.next(timeout=5) is None  # closed by the server
        assert time.monotonic() - started < 2.0
    # And it cannot come back.
    async with httpx.AsyncClient(base_url=live_url) as http:
        again = await http.get(stream_path(shop_id), headers=agent.headers())
    assert_error(again, 404, "shop.not_found")


async def test_a_role_change_takes_effect_on_the_open_stream(world: World, live_url: str) -> None:
    shop_id, founder = await world.shop()
    admin = await world.staff(shop_id, "admin")
    async with open_stream(live_url, stream_path(shop_id), admin.headers()) as stream:
        await world.add_member(shop_id, admin, "verifier")  # journalled policy change
        end = await stream.next(timeout=5)
        assert end is not None and end.event == "stream.end"


async def test_heartbeats_while_idle(world: World, live_url: str) -> None:
    shop_id, founder = await world.shop()
    hub = world.app.state.event_hub
    saved = hub.heartbeat_seconds, hub.recheck_seconds
    hub.heartbeat_seconds, hub.recheck_seconds = 0.2, 0.05
    try:
        async with open_stream(live_url, stream_path(shop_id), founder.headers()) as stream:
            assert await stream.nothing_within(0.6)
            assert "keep-alive" in stream.comments
    finally:
        hub.heartbeat_seconds, hub.recheck_seconds = saved


async def test_idle_streams_hold_no_database_connection(world: World, live_url: str) -> None:
    shop_id, founder = await world.shop()
    pool = world.app.state.engine.pool
    async with contextlib_streams(live_url, stream_path(shop_id), founder.headers(), 20) as streams:
        await asyncio.sleep(0.3)
        assert pool.checkedout() < 5, pool.status()  # background workers at most, not 20
        seq = await emit_event(world, shop_id, "wake", {})
        for stream in streams:
            assert int((await stream.next()).id) == seq
        await asyncio.sleep(0.3)
        assert pool.checkedout() < 5, pool.status()
    # The server notices the disconnects; the last reader leaving removes the shop's feed.
    for _ in range(60):
        if shop_id not in world.app.state.event_hub.feeds:
            break
        await asyncio.sleep(0.05)
    assert shop_id not in world.app.state.event_hub.feeds


def contextlib_streams(url: str, path: str, headers: dict[str, str], count: int):  # type: ignore[no-untyped-def]
    import contextlib

    @contextlib.asynccontextmanager
    async def many():  # type: ignore[no-untyped-def]
        async with contextlib.AsyncExitStack() as stack:
            yield [await stack.enter_async_context(open_stream(url, path, headers))
                   for _ in range(count)]

    return many()


async def test_refusals(world: World, live_url: str) -> None:
    shop_id, founder = await world.shop()
    other_shop, other_founder = await world.shop()
    verifier = await world.staff(shop_id, "verifier")
    async with httpx.AsyncClient(base_url=live_url) as http:
        body = assert_error(await http.get(stream_path(shop_id), headers=verifier.headers("mobile")),
                            403, "permission.denied")
        assert body["details"]["permission"] == "cs:workspace"
        assert_error(await http.get(stream_path(other_shop), headers=founder.headers()),
                     404, "shop.not_found")
        assert_error(await http.get(stream_path(shop_id)), 401, "auth.token_missing")
        for bad in ("abc", "-1", "1.5", "9" * 30, "+1"):
            assert_error(await http.get(stream_path(shop_id),
                                        headers={**founder.headers(), "Last-Event-ID": bad}),
                         400, "events.invalid_last_event_id")
        for bad in ("١٢", "1\x00", "x" * 40):
            response = await http.get(stream_path(shop_id), params={"last_event_id": bad},
                                      headers=founder.headers())
            assert 400 <= response.status_code < 500, response.text
        assert_error(await http.get(stream_path(shop_id),
                                    headers={**founder.headers(), "Last-Event-ID": "999999"}),
                     400, "events.last_event_id_ahead")
        staff_on_keys = await http.get(f"/api/v1/shops/{shop_id}/integration/events",
                                       headers=founder.headers())
        assert staff_on_keys.status_code == 403, staff_on_keys.text


async def test_a_client_that_does_not_ask_for_a_stream_gets_what_is_there(
        world: World, live_url: str) -> None:
    """Without ``Accept: text/event-stream`` the response ends after the catch-up."""
    shop_id, founder = await world.shop()
    first = await emit_event(world, shop_id, "e", {"n": 1})
    second = await emit_event(world, shop_id, "e", {"n": 2})
    async with httpx.AsyncClient(base_url=live_url, timeout=5) as http:
        response = await http.get(stream_path(shop_id),
                                  headers={**founder.headers(), "Last-Event-ID": str(first)})
        idle = await http.get(stream_path(shop_id), headers=founder.headers())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert f"id: {second}\n" in response.text and f"id: {first}\n" not in response.text
    assert idle.status_code == 200 and "id:" not in idle.text

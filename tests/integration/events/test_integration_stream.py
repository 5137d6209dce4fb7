"""Integration keys with ``events:read``: the shop's outbound events, live and paged."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.integration.events.sse import emit_event, open_stream
from tests.integration.members.helpers import assert_error
from tests.support.world import Account, World


def path(shop_id: uuid.UUID, tail: str = "") -> str:
    return f"/api/v1/shops/{shop_id}/integration/events{tail}"


async def make_key(world: World, shop_id: uuid.UUID, founder: Account,
                   scopes: list[str]) -> dict[str, Any]:
    response = await world.client.post(f"/api/v1/shops/{shop_id}/integration-keys",
                                       headers=founder.headers(),
                                       json={"name": "bridge", "scopes": scopes})
    assert response.status_code == 201, response.text
    return response.json()


def bearer(key: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {key['token']}"}


async def test_keys_get_outbound_events_only(world: World, live_url: str) -> None:
    shop_id, founder = await world.shop()
    key = await make_key(world, shop_id, founder, ["events:read"])
    async with open_stream(live_url, path(shop_id, "/stream"), bearer(key)) as stream:
        await emit_event(world, shop_id, "message.note", {"visibility": "note"})  # staff only
        await emit_event(world, shop_id, "queue.changed", {})
        outbound = await emit_event(world, shop_id, "message.outbound", {"body": "您好"},
                                    permission="events:read")
        frame = await stream.next()
        assert frame is not None and int(frame.id) == outbound
        assert frame.json["data"] == {"body": "您好"}
        assert await stream.nothing_within(0.3)


async def test_paged_reads_after_a_seq(world: World) -> None:
    shop_id, founder = await world.shop()
    key = await make_key(world, shop_id, founder, ["events:read"])
    seqs = []
    for n in range(5):
        seqs.append(await emit_event(world, shop_id, "message.outbound", {"n": n},
                                     permission="events:read"))
        await emit_event(world, shop_id, "note", {}, permission="cs:workspace")
    first = await world.client.get(path(shop_id), params={"limit": 2}, headers=bearer(key))
    assert first.status_code == 200, first.text
    body = first.json()
    assert [e["seq"] for e in body["items"]] == seqs[:2]
    second = (await world.client.get(path(shop_id), params={"limit": 2, "cursor": body["next_cursor"]},
                                     headers=bearer(key))).json()
    assert [e["seq"] for e in second["items"]] == seqs[2:4]
    after = (await world.client.get(path(shop_id), params={"after": seqs[3]},
                                    headers=bearer(key))).json()
    assert [e["data"]["n"] for e in after["items"]] == [4] and after["next_cursor"] is None
    for params in ({"after": -1}, {"after": 10**30}, {"after": "x"}, {"limit": 0},
                   {"cursor": "!!"}, {"cursor": "WyJ4Il0"}):
        response = await world.client.get(path(shop_id), params=params, headers=bearer(key))
        assert 400 <= response.status_code < 500, (params, response.text)


async def test_refusals(world: World, live_url: str) -> None:
    shop_id, founder = await world.shop()
    other_shop, other_founder = await world.shop()
    no_scope = await make_key(world, shop_id, founder, ["messages:ingest"])
    other_key = await make_key(world, other_shop, other_founder, ["events:read"])
    async with httpx.AsyncClient(base_url=live_url) as http:
        for tail in ("", "/stream"):
            assert_error(await http.get(path(shop_id, tail), headers=bearer(no_scope)),
                         403, "integration.scope_missing")
            assert_error(await http.get(path(shop_id, tail), headers=bearer(other_key)),
                         404, "shop.not_found")
            # Staff use their own stream, not the integration one.
            assert (await http.get(path(shop_id, tail),
                                   headers=founder.headers())).status_code == 403
        staff_stream = f"/api/v1/shops/{shop_id}/events/stream"
        assert_error(await http.get(staff_stream, headers=bearer(other_key)), 404, "shop.not_found")
        own = await make_key(world, shop_id, founder, ["events:read"])
        assert_error(await http.get(staff_stream, headers=bearer(own)),
                     403, "integration.staff_only")


async def test_a_revoked_key_stream_ends_at_once(world: World, live_url: str) -> None:
    shop_id, founder = await world.shop()
    key = await make_key(world, shop_id, founder, ["events:read"])
    async with open_stream(live_url, path(shop_id, "/stream"), bearer(key)) as stream:
        revoked = await world.client.post(
            f"/api/v1/shops/{shop_id}/integration-keys/{key['id']}/revoke",
            headers=founder.headers())
        assert revoked.status_code == 200, revoked.text
        end = await stream.next(timeout=5)
        assert end is not None and end.event == "stream.end"
        assert end.json == {"reason": "auth.key_revoked"}
        assert await stream.next(timeout=5) is None

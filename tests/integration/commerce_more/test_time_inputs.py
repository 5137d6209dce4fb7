"""Times the store sends: without an offset, or at the edge of the calendar, never a 500."""

from __future__ import annotations

import httpx

from tests.integration.commerce_more.helpers import desk
from tests.integration.commerce_more.test_trade import push_order
from tests.support.world import World


async def test_a_verification_expiry_without_offset_is_refused_not_a_500(
        world: World, client: httpx.AsyncClient) -> None:
    d = await desk(world)
    await push_order(client, d, "o-1", "paid")
    response = await client.post(d.url("/sync/verification-codes"), json={
        "platform_order_id": "o-1", "expires_at": "2099-01-01T00:00:00"}, headers=d.store)
    assert 400 <= response.status_code < 500, response.text


async def test_order_times_at_the_calendar_edge_are_refused_not_a_500(
        world: World, client: httpx.AsyncClient) -> None:
    d = await desk(world)
    for moment in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
        response = await client.put(d.url("/sync/orders"), json={
            "platform_order_id": "o-edge", "status": "paid", "total_minor": 1,
            "currency": "CNY", "placed_at": moment}, headers=d.store)
        assert response.status_code < 500, (moment, response.text)


async def test_feed_times_at_the_calendar_edge_are_refused_not_a_500(
        world: World, client: httpx.AsyncClient) -> None:
    d = await desk(world)
    edge = "0001-01-01T00:00:00+01:00"
    pushes = [
        ("/sync/reviews", {"platform_id": "rv-1", "rating": 5, "reviewed_at": edge}),
        ("/sync/distribution-orders", {
            "platform_id": "po-1", "supplier_name": "A", "status": "paid", "item_count": 1,
            "total_minor": 1, "currency": "CNY", "placed_at": edge}),
        ("/sync/weibo/mentions", {"platform_id": "m1", "author_name": "a", "body": "b",
                                  "posted_at": edge}),
        ("/sync/verification-codes", {"platform_order_id": "o-1", "expires_at": edge}),
    ]
    for path, body in pushes:
        method = client.post if path == "/sync/verification-codes" else client.put
        response = await method(d.url(path), json=body, headers=d.store)
        assert 400 <= response.status_code < 500, (path, response.text)

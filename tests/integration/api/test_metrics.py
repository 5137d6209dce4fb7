"""Prometheus metrics: request counts and latency per route template, never per raw path."""

from __future__ import annotations

from tests.support.world import World


async def test_requests_are_counted_by_route_template(world: World) -> None:
    shop_id, founder = await world.shop()
    assert (await world.client.get(f"/api/v1/shops/{shop_id}", headers=founder.headers())).status_code == 200
    body = (await world.client.get("/metrics")).text
    assert 'shopdesk_http_requests_total{method="GET",route="/api/v1/shops/{shop_id}",status="200"}' in body
    assert "shopdesk_http_request_seconds_bucket" in body
    assert str(shop_id) not in body

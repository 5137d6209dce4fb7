"""Trade and logistics: the orders the store pushed, by fulfilment stage, with shipping."""

from __future__ import annotations

import httpx

from tests.integration.commerce_more.helpers import Desk, desk
from tests.support.world import World


async def push_order(client: httpx.AsyncClient, d: Desk, platform_order_id: str, status: str,
                     day: str = "29", **extra: object) -> dict:
    response = await client.put(d.url("/sync/orders"), json={
        "platform_order_id": platform_order_id, "status": status, "total_minor": 5900,
        "currency": "CNY", "placed_at": f"2026-11-{day}T08:00:00Z", **extra}, headers=d.store)
    assert response.status_code in (200, 201), response.text
    return response.json()


async def test_trade_list_by_stage_and_tracking(world: World, client: httpx.AsyncClient) -> None:
    d = await desk(world)
    await push_order(client, d, "o-paid", "paid", "27")
    await push_order(client, d, "o-shipped", "shipped", "28", carrier="SF", tracking_number="SF1",
                     shipped_at="2026-11-28T12:00:00Z")
    await push_order(client, d, "o-signed", "signed", "29", carrier="ZTO", tracking_number="Z9",
                     shipped_at="2026-11-29T12:00:00Z", signed_at="2026-11-30T12:00:00Z")
    admin = d["admin"].headers()
    everything = (await client.get(d.url("/trade/logistics"), headers=admin)).json()
    assert [r["platform_order_id"] for r in everything["items"]] == [
        "o-signed", "o-shipped", "o-paid"]
    transit = (await client.get(d.url("/trade/logistics?stage=in_transit"), headers=admin)).json()
    assert [(r["platform_order_id"], r["carrier"], r["tracking_number"])
            for r in transit["items"]] == [("o-shipped", "SF", "SF1")]
    by_number = (await client.get(d.url("/trade/logistics?tracking_number=Z9"),
                                  headers=admin)).json()
    assert [r["stage"] for r in by_number["items"]] == ["delivered"]
    page = (await client.get(d.url("/trade/logistics?limit=2"), headers=admin)).json()
    rest = (await client.get(d.url(f"/trade/logistics?limit=2&cursor={page['next_cursor']}"),
                             headers=admin)).json()
    assert [r["platform_order_id"] for r in rest["items"]] == ["o-paid"]
    summary = (await client.get(d.url("/trade/summary"), headers=admin)).json()
    counts = {s["stage"]: s["orders"] for s in summary["stages"]}
    assert counts == {"awaiting_payment": 0, "awaiting_shipment": 1, "in_transit": 1,
                      "delivered": 1, "closed": 0}


async def test_trade_refusals(world: World, client: httpx.AsyncClient) -> None:
    d, other = await desk(world), await desk(world)
    await push_order(client, d, "o-1", "paid")
    agent = await client.get(d.url("/trade/logistics"), headers=d["agent"].headers())
    assert agent.status_code == 403
    assert agent.json()["details"] == {"permission": "trade_logistics:read"}
    theirs = (await client.get(other.url("/trade/logistics"),
                               headers=other["admin"].headers())).json()
    assert theirs["items"] == []
    for query in ("stage=lost", "limit=0", "limit=201", "cursor=%%%", "carrier=" + "x" * 201):
        response = await client.get(d.url(f"/trade/logistics?{query}"),
                                    headers=d["admin"].headers())
        assert response.status_code in (400, 422), (query, response.text)

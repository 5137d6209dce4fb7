"""What the store pushes in and admins read: distribution orders, Weibo, marketing apps."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from tests.integration.commerce_more.helpers import assert_refused_input, desk
from tests.support.world import World


def _dist(platform_id: str | None = None, **extra: object) -> dict:
    return {"platform_id": platform_id or f"po-{uuid.uuid4().hex[:8]}", "supplier_name": "供货商A",
            "status": "paid", "item_count": 3, "total_minor": 12900, "currency": "CNY",
            "placed_at": "2026-11-30T08:00:00Z", **extra}


async def test_distribution_orders_upsert_and_list(world: World, client: httpx.AsyncClient) -> None:
    d = await desk(world)
    url = d.url("/sync/distribution-orders")
    first = await client.put(url, json=_dist("po-1"), headers=d.store)
    assert first.status_code == 201 and first.json()["created"] is True
    again = await client.put(url, json=_dist("po-1", status="shipped"), headers=d.store)
    assert again.status_code == 200 and again.json()["order"]["status"] == "shipped"
    await client.put(url, json=_dist("po-2", placed_at="2026-11-29T08:00:00Z"), headers=d.store)
    admin = d["admin"].headers()
    page = (await client.get(d.url("/distribution-orders?limit=1"), headers=admin)).json()
    assert [o["platform_id"] for o in page["items"]] == ["po-1"]
    rest = (await client.get(d.url(f"/distribution-orders?cursor={page['next_cursor']}"),
                             headers=admin)).json()
    assert [o["platform_id"] for o in rest["items"]] == ["po-2"] and rest["next_cursor"] is None
    shipped = (await client.get(d.url("/distribution-orders?status=shipped"), headers=admin)).json()
    assert [o["platform_id"] for o in shipped["items"]] == ["po-1"]
    assert shipped["items"][0]["total_minor"] == 12900 and shipped["items"][0]["currency"] == "CNY"
    agent = await client.get(d.url("/distribution-orders"), headers=d["agent"].headers())
    assert agent.status_code == 403
    assert agent.json()["details"] == {"permission": "distribution_orders:read"}
    bad_status = await client.get(d.url("/distribution-orders?status=lost"), headers=admin)
    assert bad_status.status_code in (400, 422)


async def test_same_distribution_order_pushed_twice_at_once_is_one(
        world: World, client: httpx.AsyncClient) -> None:
    d = await desk(world)
    responses = await asyncio.gather(*(client.put(d.url("/sync/distribution-orders"),
                                                  json=_dist("po-x"), headers=d.store)
                                       for _ in range(2)))
    assert sorted(r.status_code for r in responses) == [200, 201]
    assert len({r.json()["order"]["id"] for r in responses}) == 1


async def test_distribution_bad_input(world: World, client: httpx.AsyncClient) -> None:
    d = await desk(world)
    for bad in (_dist(total_minor=-1), _dist(total_minor=1.5), _dist(total_minor=10**16),
                _dist(currency="cny"), _dist(status="lost"), _dist(item_count=-1),
                _dist(supplier_name="x" * 201), _dist(supplier_name="a\x00"), _dist(extra=True)):
        response = await client.put(d.url("/sync/distribution-orders"), json=bad, headers=d.store)
        assert_refused_input(response, bad)


async def test_weibo_binding_and_mentions(world: World, client: httpx.AsyncClient) -> None:
    d = await desk(world)
    admin = d["admin"].headers()
    unbound = (await client.get(d.url("/weibo"), headers=admin)).json()
    assert unbound == {"bound": False, "account": None, "mentions_total": 0,
                       "latest_mention_at": None}
    bound = await client.put(d.url("/sync/weibo/account"),
                             json={"weibo_uid": "5512345678", "screen_name": "茶叶小店"},
                             headers=d.store)
    assert bound.status_code == 200 and bound.json()["account"]["screen_name"] == "茶叶小店"
    for i, day in enumerate(("28", "29", "30")):
        mention = {"platform_id": f"m{i}", "author_name": "买家", "body": f"@茶叶小店 第{i}条",
                   "posted_at": f"2026-11-{day}T08:00:00Z"}
        created = await client.put(d.url("/sync/weibo/mentions"), json=mention, headers=d.store)
        assert created.status_code == 201, created.text
    repeat = await client.put(d.url("/sync/weibo/mentions"), json=mention, headers=d.store)
    assert repeat.status_code == 200
    summary = (await client.get(d.url("/weibo"), headers=admin)).json()
    assert summary["bound"] and summary["mentions_total"] == 3
    page = (await client.get(d.url("/weibo/mentions?limit=2"), headers=admin)).json()
    assert [m["platform_id"] for m in page["items"]] == ["m2", "m1"] and page["next_cursor"]
    unbind = await client.delete(d.url("/sync/weibo/account"), headers=d.store)
    assert unbind.status_code == 204
    again = await client.delete(d.url("/sync/weibo/account"), headers=d.store)
    assert again.status_code == 404 and again.json()["code"] == "weibo.not_bound"
    after = (await client.get(d.url("/weibo"), headers=admin)).json()
    assert after["bound"] is False and after["mentions_total"] == 3
    agent = await client.get(d.url("/weibo/mentions"), headers=d["agent"].headers())
    assert agent.status_code == 403 and agent.json()["details"] == {"permission": "weibo:read"}
    for bad in ({"weibo_uid": "", "screen_name": "x"}, {"weibo_uid": "a b", "screen_name": "x"},
                {"weibo_uid": "1", "screen_name": "x" * 101}):
        response = await client.put(d.url("/sync/weibo/account"), json=bad, headers=d.store)
        assert_refused_input(response, bad)


async def test_marketing_apps(world: World, client: httpx.AsyncClient) -> None:
    d = await desk(world)
    for key, enabled in (("coupons", True), ("flash_sale", False), ("lucky_draw", True)):
        response = await client.put(d.url("/sync/marketing-apps"), json={
            "app_key": key, "name": key.replace("_", " "), "enabled": enabled,
            "config": {"max_per_buyer": 2, "banner": "双十二", "stackable": False}},
            headers=d.store)
        assert response.status_code == 200, response.text
    admin = d["admin"].headers()
    page = (await client.get(d.url("/marketing/apps?limit=2"), headers=admin)).json()
    assert [a["app_key"] for a in page["items"]] == ["coupons", "flash_sale"]
    rest = (await client.get(d.url(f"/marketing/apps?cursor={page['next_cursor']}"),
                             headers=admin)).json()
    assert [a["app_key"] for a in rest["items"]] == ["lucky_draw"]
    enabled = (await client.get(d.url("/marketing/apps?enabled=true"), headers=admin)).json()
    assert {a["app_key"] for a in enabled["items"]} == {"coupons", "lucky_draw"}
    assert enabled["items"][0]["config"] == {"max_per_buyer": 2, "banner": "双十二",
                                             "stackable": False}
    agent = await client.get(d.url("/marketing/apps"), headers=d["agent"].headers())
    assert agent.status_code == 403
    for key, body in (("Bad-Key", {"name": "x", "enabled": True}),
                      ("ok", {"name": "x", "enabled": True, "config": {"k": [1]}}),
                      ("ok", {"name": "x", "enabled": True,
                              "config": {f"k{i}": i for i in range(51)}}),
                      ("ok", {"name": "x", "enabled": True, "config": {"k": 2**60}}),
                      ("ok", {"name": "", "enabled": True})):
        response = await client.put(d.url("/sync/marketing-apps"),
                                    json={"app_key": key, **body}, headers=d.store)
        assert_refused_input(response, (key, body))


async def test_feeds_are_per_shop_and_keys_stay_in_their_shop(
        world: World, client: httpx.AsyncClient) -> None:
    d, other = await desk(world), await desk(world)
    await client.put(d.url("/sync/distribution-orders"), json=_dist("po-mine"), headers=d.store)
    theirs = (await client.get(other.url("/distribution-orders"),
                               headers=other["admin"].headers())).json()
    assert theirs["items"] == []
    cross = await client.put(d.url("/sync/weibo/account"),
                             json={"weibo_uid": "1", "screen_name": "x"}, headers=other.store)
    assert cross.status_code == 404 and cross.json()["code"] == "shop.not_found"
    staff = await client.put(d.url("/sync/distribution-orders"), json=_dist(),
                             headers=d.founder.headers())
    assert staff.status_code == 403

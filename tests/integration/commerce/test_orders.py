"""Orders: the store's push, the desk's lists and overview, local marks."""

from __future__ import annotations

import asyncio

from tests.integration.commerce.helpers import make_shop, store_key


async def test_store_upsert_is_idempotent_and_keeps_local_marks(world) -> None:
    shop = await make_shop(world)
    first = await shop.order(platform_order_id="T-1", status="pending_payment")
    assert first["created"] is True
    star = await world.client.put(shop.url(f"/orders/{first['id']}/star"),
                                  json={"starred": True}, headers=shop.h("agent"))
    assert star.status_code == 200, star.text
    again = await shop.order(platform_order_id="T-1", status="paid")
    assert again["created"] is False and again["id"] == first["id"]
    assert again["status"] == "paid" and again["starred"] is True


async def test_concurrent_pushes_of_one_order_make_one_row(world) -> None:
    shop = await make_shop(world, roles=())
    body = {"platform_order_id": "SAME", "status": "paid", "total_minor": 5,
            "currency": "CNY"}
    responses = await asyncio.gather(*[
        world.client.put(shop.url("/sync/orders"), json=body, headers=shop.store)
        for _ in range(4)])
    assert [r.status_code for r in responses] == [200] * 4
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.json()["created"] for r in responses) == 1


async def test_push_refusals(world) -> None:
    shop = await make_shop(world, roles=("agent",))
    url = shop.url("/sync/orders")
    base = {"platform_order_id": "X", "status": "paid", "total_minor": 1, "currency": "CNY"}
    for bad in ({**base, "total_minor": 10**30}, {**base, "total_minor": -1},
                {**base, "total_minor": 1.5}, {**base, "currency": "cny"},
                {**base, "platform_order_id": "a\x00b"}, {**base, "extra": 1},
                {**base, "platform_order_id": "x" * 201}, {**base, "status": "lost"}):
        response = await world.client.put(url, json=bad, headers=shop.store)
        assert response.status_code in (400, 422), (bad, response.text)
        assert "code" in response.json()
    unknown = await world.client.put(url, json={**base, "customer_id": str(shop.shop_id)},
                                     headers=shop.store)
    assert unknown.status_code == 422 and unknown.json()["code"] == "orders.unknown_customer"
    # Staff cannot push; a key without the scope cannot; another shop's key gets 404.
    staff = await world.client.put(url, json=base, headers=shop.h("agent"))
    assert staff.status_code == 403
    no_scope = await store_key(world, shop.shop_id, ("actions:confirm",))
    assert (await world.client.put(url, json=base, headers=no_scope)).status_code == 403
    other = await make_shop(world, roles=())
    foreign = await world.client.put(url, json=base, headers=other.store)
    assert foreign.status_code == 404


async def test_lists_views_filters_and_pagination(world) -> None:
    shop = await make_shop(world)
    ids = []
    for i in range(5):
        order = await shop.order(disputed=(i % 2 == 0), placed_at=f"2026-11-0{i + 1}T00:00:00Z")
        ids.append(order["id"])
    await world.client.put(shop.url(f"/orders/{ids[1]}/star"), json={"starred": True},
                           headers=shop.h("agent"))
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await world.client.get(shop.url("/orders"), params=params,
                                       headers=shop.h("agent"))).json()
        seen += [o["id"] for o in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))
    disputed = (await world.client.get(shop.url("/orders"), params={"view": "disputed"},
                                       headers=shop.h("agent"))).json()
    assert [o["id"] for o in disputed["items"]] == [ids[4], ids[2], ids[0]]
    starred = (await world.client.get(shop.url("/orders"), params={"view": "starred"},
                                      headers=shop.h("agent"))).json()
    assert [o["id"] for o in starred["items"]] == [ids[1]]
    ranged = (await world.client.get(shop.url("/orders"), params={
        "placed_from": "2026-11-02T00:00:00Z", "placed_until": "2026-11-04T00:00:00Z"},
        headers=shop.h("agent"))).json()
    assert [o["id"] for o in ranged["items"]] == [ids[2], ids[1]]
    await shop.order(status="closed")
    closed = (await world.client.get(shop.url("/orders"), params={"status": "closed"},
                                     headers=shop.h("agent"))).json()
    assert [o["status"] for o in closed["items"]] == ["closed"]
    bad_status = await world.client.get(shop.url("/orders"), params={"status": "lost"},
                                        headers=shop.h("agent"))
    assert bad_status.status_code in (400, 422)
    bad = await world.client.get(shop.url("/orders"), params={"cursor": "nope"},
                                 headers=shop.h("agent"))
    assert bad.status_code == 400 and bad.json()["code"] == "pagination.invalid_cursor"
    overview = (await world.client.get(shop.url("/orders/overview"),
                                       headers=shop.h("agent"))).json()
    assert overview["disputed"] == 3 and overview["starred"] == 1
    assert overview["by_status"] == {"paid": 5, "closed": 1}
    assert overview["paid_totals"] == [{"currency": "CNY", "orders": 6, "paid_minor": 60_000}]


async def test_note_and_star_roles_and_other_shops(world) -> None:
    shop = await make_shop(world, roles=("agent", "verifier"))
    order = await shop.order()
    note = await world.client.put(shop.url(f"/orders/{order['id']}/note"),
                                  json={"note": "call before delivery"}, headers=shop.h("agent"))
    assert note.status_code == 200 and note.json()["note"] == "call before delivery"
    for bad in ({"note": "x" * 2001}, {"note": "a\x00"}, {"note": 3}):
        response = await world.client.put(shop.url(f"/orders/{order['id']}/note"), json=bad,
                                          headers=shop.h("agent"))
        assert response.status_code in (400, 422)
    verifier = await world.client.get(shop.url("/orders"), headers=shop.h("verifier", "mobile"))
    assert verifier.status_code == 403
    assert verifier.json()["details"]["permission"] == "orders:read"
    other = await make_shop(world, roles=("agent",))
    for method, suffix, body in (("get", "", None), ("put", "/note", {"note": "x"}),
                                 ("put", "/star", {"starred": True})):
        response = await world.client.request(
            method, other.url(f"/orders/{order['id']}{suffix}"), json=body,
            headers=other.h("agent"))
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "orders.not_found"

"""Products and groups: the store's push, staff reads, edits and publishing as store actions."""

from __future__ import annotations

import asyncio

from tests.integration.commerce.helpers import make_shop


async def _product(shop, **fields):  # type: ignore[no-untyped-def]
    body = {"platform_product_id": "SKU-1", "title": "保温杯", "price_minor": 4_900,
            "currency": "CNY", "stock": 10, **fields}
    response = await shop.world.client.put(shop.url("/sync/products"), json=body,
                                           headers=shop.store)
    assert response.status_code == 200, response.text
    return response.json()


async def test_store_pushes_products_and_groups(world) -> None:
    shop = await make_shop(world, roles=("agent", "verifier"))
    group = await world.client.put(shop.url("/sync/product-groups"),
                                   json={"platform_group_id": "G1", "name": "杯子"},
                                   headers=shop.store)
    assert group.status_code == 200, group.text
    first = await _product(shop, platform_group_ids=["G1"])
    again = await _product(shop, title="保温杯 500ml", platform_group_ids=["G1"])
    assert first["created"] is True and again["created"] is False
    assert again["id"] == first["id"] and again["title"] == "保温杯 500ml"
    listed = (await world.client.get(shop.url("/products"),
                                     params={"group_id": group.json()["id"]},
                                     headers=shop.h("agent"))).json()
    assert [p["id"] for p in listed["items"]] == [first["id"]]
    groups = (await world.client.get(shop.url("/product-groups"),
                                     headers=shop.h("agent"))).json()
    assert groups["items"][0]["product_count"] == 1
    same = await asyncio.gather(*[
        world.client.put(shop.url("/sync/products"), json={
            "platform_product_id": "SKU-X", "title": "t", "price_minor": 1, "currency": "CNY"},
            headers=shop.store) for _ in range(3)])
    assert len({r.json()["id"] for r in same}) == 1
    for bad in ({"platform_product_id": "a", "title": "t", "price_minor": 10**16,
                 "currency": "CNY"},
                {"platform_product_id": "a", "title": "", "price_minor": 1, "currency": "CNY"},
                {"platform_product_id": "a", "title": "t\x00", "price_minor": 1,
                 "currency": "CNY"}):
        assert (await world.client.put(shop.url("/sync/products"), json=bad,
                                       headers=shop.store)).status_code in (400, 422)
    assert (await world.client.get(shop.url("/products"),
                                   headers=shop.h("verifier", "mobile"))).status_code == 403
    assert (await world.client.put(shop.url("/sync/products"), json={},
                                   headers=shop.h("admin" if "admin" in shop.staff else "agent"))
            ).status_code == 403


async def test_publish_and_edit_are_store_actions(world) -> None:
    shop = await make_shop(world)
    product = await _product(shop)
    url = shop.url(f"/products/{product['id']}")
    agent = await world.client.post(f"{url}/publish", headers=shop.h("agent"))
    assert agent.status_code == 403
    assert agent.json()["details"]["permission"] == "products:publish"
    action = await world.client.post(f"{url}/publish", headers=shop.h("admin"))
    assert action.status_code == 202 and action.json()["kind"] == "product.publish"
    assert (await world.client.get(url, headers=shop.h("agent"))).json()["status"] == "unpublished"
    opposite = await world.client.post(f"{url}/unpublish", headers=shop.h("admin"))
    assert opposite.status_code == 409 and opposite.json()["code"] == "store_action.in_flight"
    await shop.confirm(action.json()["id"])
    assert (await world.client.get(url, headers=shop.h("agent"))).json()["status"] == "published"
    twice = await world.client.post(f"{url}/publish", headers=shop.h("admin"))
    assert twice.status_code == 409 and twice.json()["code"] == "products.already_published"
    edit = await world.client.patch(url, json={"price_minor": 3_900}, headers=shop.h("admin"))
    assert edit.status_code == 202
    assert edit.json()["payload"]["changes"] == {"price_minor": 3_900}
    await shop.confirm(edit.json()["id"], "failed", "price below the promotion floor")
    assert (await world.client.get(url, headers=shop.h("agent"))).json()["price_minor"] == 4_900
    noop = await world.client.patch(url, json={"price_minor": 4_900}, headers=shop.h("admin"))
    assert noop.status_code == 422 and noop.json()["code"] == "products.nothing_to_change"
    agent_edit = await world.client.patch(url, json={"title": "x"}, headers=shop.h("agent"))
    assert agent_edit.status_code == 403
    for bad in ({"price_minor": -1}, {"price_minor": 10**20}, {"stock": 1.5}, {"nope": 1}):
        assert (await world.client.patch(url, json=bad, headers=shop.h("admin"))
                ).status_code in (400, 422)
    empty = await _product(shop, platform_product_id="SKU-0", stock=0)
    no_stock = await world.client.post(shop.url(f"/products/{empty['id']}/publish"),
                                       headers=shop.h("admin"))
    assert no_stock.json()["code"] == "products.out_of_stock"
    other = await make_shop(world)
    assert (await world.client.get(other.url(f"/products/{product['id']}"),
                                   headers=other.h("agent"))).status_code == 404
    assert (await world.client.post(other.url(f"/products/{product['id']}/unpublish"),
                                    headers=other.h("admin"))).status_code == 404


async def test_groups_written_by_admins_only(world) -> None:
    shop = await make_shop(world)
    product = await _product(shop)
    denied = await world.client.post(shop.url("/product-groups"), json={"name": "新品"},
                                     headers=shop.h("agent"))
    assert denied.status_code == 403
    created = await world.client.post(shop.url("/product-groups"), json={"name": "新品"},
                                      headers=shop.h("admin"))
    assert created.status_code == 201, created.text
    gid = created.json()["id"]
    dup = await world.client.post(shop.url("/product-groups"), json={"name": "新品"},
                                  headers=shop.h("admin"))
    assert dup.status_code == 409 and dup.json()["code"] == "product_groups.name_taken"
    added = await world.client.put(shop.url(f"/product-groups/{gid}/products/{product['id']}"),
                                   headers=shop.h("admin"))
    assert added.status_code == 200 and added.json()["product_count"] == 1
    renamed = await world.client.patch(shop.url(f"/product-groups/{gid}"),
                                       json={"name": "热卖"}, headers=shop.h("admin"))
    assert renamed.json()["name"] == "热卖"
    removed = await world.client.delete(
        shop.url(f"/product-groups/{gid}/products/{product['id']}"), headers=shop.h("admin"))
    assert removed.json()["product_count"] == 0
    other = await make_shop(world)
    assert (await world.client.get(other.url(f"/product-groups/{gid}"),
                                   headers=other.h("agent"))).status_code == 404
    foreign = await world.client.put(
        other.url(f"/product-groups/{gid}/products/{product['id']}"), headers=other.h("admin"))
    assert foreign.status_code == 404
    assert (await world.client.delete(shop.url(f"/product-groups/{gid}"),
                                      headers=shop.h("admin"))).status_code == 204
    assert (await world.client.get(shop.url(f"/product-groups/{gid}"),
                                   headers=shop.h("agent"))).status_code == 404

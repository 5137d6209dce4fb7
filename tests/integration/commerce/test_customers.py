"""Customer profiles: tags, levels, points (ledger), a customer's conversations and orders."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from tests.integration.commerce.helpers import make_conversation, make_customer, make_shop


async def test_agent_b_cells_need_wechat(world) -> None:
    plain = await make_shop(world, roles=("agent",))
    customer = await make_customer(world, plain.shop_id)
    for method, suffix, body in (("get", f"/customers/{customer}", None),
                                 ("post", "/customer-tags", {"name": "VIP"}),
                                 ("post", f"/customers/{customer}/points",
                                  {"delta": 1, "reason": "r"}),
                                 ("put", f"/customers/{customer}/level", {"level_id": None})):
        response = await world.client.request(method, plain.url(suffix), json=body,
                                              headers=plain.h("agent"))
        assert response.status_code == 403, suffix
        assert response.json()["code"] == "permission.wechat_not_bound"
    bound = await make_shop(world, roles=("agent",), wechat_bound=True)
    customer = await make_customer(world, bound.shop_id)
    ok = await world.client.get(bound.url(f"/customers/{customer}"), headers=bound.h("agent"))
    assert ok.status_code == 200 and ok.json()["points_balance"] == 0
    tag = await world.client.post(bound.url("/customer-tags"), json={"name": "VIP"},
                                  headers=bound.h("agent"))
    assert tag.status_code == 201
    assign = await world.client.put(bound.url(f"/customers/{customer}/tags/{tag.json()['id']}"),
                                    headers=bound.h("agent"))
    assert assign.status_code == 204
    # Agents never edit or delete tags, nor write level or points rules (even with WeChat).
    for method, suffix, body, perm in (
            ("patch", f"/customer-tags/{tag.json()['id']}", {"name": "x"}, "customer_tags:edit"),
            ("delete", f"/customer-tags/{tag.json()['id']}", None, "customer_tags:edit"),
            ("post", "/customer-levels", {"name": "金卡", "rank": 1}, "level_rules:write"),
            ("post", "/points-rules", {"name": "r", "trigger": "manual", "points": 1},
             "points_rules:write")):
        response = await world.client.request(method, bound.url(suffix), json=body,
                                              headers=bound.h("agent"))
        assert response.status_code == 403, suffix
        assert response.json()["details"]["permission"] == perm
    profile = (await world.client.get(bound.url(f"/customers/{customer}"),
                                      headers=bound.h("agent"))).json()
    assert [t["name"] for t in profile["tags"]] == ["VIP"]


async def test_tags_levels_and_rules_by_admins(world) -> None:
    shop = await make_shop(world, roles=("admin",))
    customer = await make_customer(world, shop.shop_id)
    tag = (await world.client.post(shop.url("/customer-tags"), json={"name": "回头客"},
                                   headers=shop.h("admin"))).json()
    dup = await world.client.post(shop.url("/customer-tags"), json={"name": "回头客"},
                                  headers=shop.h("admin"))
    assert dup.status_code == 409 and dup.json()["code"] == "customer_tags.name_taken"
    both = await asyncio.gather(*[
        world.client.put(shop.url(f"/customers/{customer}/tags/{tag['id']}"),
                         headers=shop.h("admin")) for _ in range(3)])
    assert [r.status_code for r in both] == [204] * 3
    renamed = await world.client.patch(shop.url(f"/customer-tags/{tag['id']}"),
                                       json={"name": "老客户", "color": "#ff0000"},
                                       headers=shop.h("admin"))
    assert renamed.status_code == 200 and renamed.json()["name"] == "老客户"
    by_tag = (await world.client.get(shop.url("/customers"), params={"tag_id": tag["id"]},
                                     headers=shop.h("admin"))).json()
    assert [c["id"] for c in by_tag["items"]] == [str(customer)]
    level = (await world.client.post(shop.url("/customer-levels"),
                                     json={"name": "金卡", "rank": 2, "min_points": 1000},
                                     headers=shop.h("admin"))).json()
    taken = await world.client.post(shop.url("/customer-levels"),
                                    json={"name": "银卡", "rank": 2}, headers=shop.h("admin"))
    assert taken.json()["code"] == "customer_levels.taken"
    set_level = await world.client.put(shop.url(f"/customers/{customer}/level"),
                                       json={"level_id": level["id"]}, headers=shop.h("admin"))
    assert set_level.status_code == 204
    in_use = await world.client.delete(shop.url(f"/customer-levels/{level['id']}"),
                                       headers=shop.h("admin"))
    assert in_use.status_code == 409 and in_use.json()["code"] == "customer_levels.in_use"
    profile = (await world.client.get(shop.url(f"/customers/{customer}"),
                                      headers=shop.h("admin"))).json()
    assert profile["level"]["name"] == "金卡" and profile["suggested_level_id"] is None
    await world.client.post(shop.url(f"/customers/{customer}/points"),
                            json={"delta": 1000, "reason": "消费"}, headers=shop.h("admin"))
    await world.client.post(shop.url(f"/customers/{customer}/points"),
                            json={"delta": -500, "reason": "兑换"}, headers=shop.h("admin"))
    profile = (await world.client.get(shop.url(f"/customers/{customer}"),
                                      headers=shop.h("admin"))).json()
    assert profile["points_earned"] == 1000 and profile["points_balance"] == 500
    assert profile["suggested_level_id"] == level["id"]
    rule = await world.client.post(shop.url("/points-rules"), json={
        "name": "消费积分", "trigger": "order_paid", "points": 1, "per_minor_units": 100},
        headers=shop.h("admin"))
    assert rule.status_code == 201
    patched = await world.client.patch(shop.url(f"/points-rules/{rule.json()['id']}"),
                                       json={"points": 2}, headers=shop.h("admin"))
    assert patched.json()["points"] == 2
    deleted = await world.client.delete(shop.url(f"/customer-tags/{tag['id']}"),
                                        headers=shop.h("admin"))
    assert deleted.status_code == 204
    profile = (await world.client.get(shop.url(f"/customers/{customer}"),
                                      headers=shop.h("admin"))).json()
    assert profile["tags"] == []
    for suffix, body in (("/customer-tags", {"name": "x" * 51}),
                         ("/customer-tags", {"name": "a\x00"}),
                         ("/customer-tags", {"name": "x", "color": "red"}),
                         ("/customer-levels", {"name": "x", "rank": 10**9}),
                         ("/points-rules", {"name": "x", "trigger": "magic", "points": 1})):
        response = await world.client.post(shop.url(suffix), json=body, headers=shop.h("admin"))
        assert response.status_code in (400, 422), (suffix, body)
    other = await make_shop(world, roles=("admin",))
    for method, suffix in (("get", f"/customers/{customer}"),
                           ("patch", f"/customer-levels/{level['id']}"),
                           ("put", f"/customers/{customer}/tags/{tag['id']}")):
        response = await world.client.request(method, other.url(suffix), json={},
                                              headers=other.h("admin"))
        assert response.status_code == 404, suffix


async def test_points_ledger_never_negative_even_concurrently(world) -> None:
    shop = await make_shop(world, roles=("admin",))
    customer = await make_customer(world, shop.shop_id)
    url = shop.url(f"/customers/{customer}/points")
    credit = await world.client.post(url, json={"delta": 100, "reason": "新客礼"},
                                     headers=shop.h("admin"))
    assert credit.status_code == 201 and credit.json()["balance_after"] == 100
    over = await world.client.post(url, json={"delta": -101, "reason": "兑换"},
                                   headers=shop.h("admin"))
    assert over.status_code == 409 and over.json()["code"] == "points.insufficient_balance"
    debits = await asyncio.gather(*[
        world.client.post(url, json={"delta": -30, "reason": f"兑换 {i}"},
                          headers=shop.h("admin")) for i in range(6)])
    assert sorted(r.status_code for r in debits) == [201] * 3 + [409] * 3
    profile = (await world.client.get(shop.url(f"/customers/{customer}"),
                                      headers=shop.h("admin"))).json()
    assert profile["points_balance"] == 10
    for bad in ({"delta": 1}, {"delta": 1, "reason": ""}, {"delta": 10**12, "reason": "x"},
                {"delta": 1.5, "reason": "x"}):
        assert (await world.client.post(url, json=bad, headers=shop.h("admin"))
                ).status_code in (400, 422), bad
    zero = await world.client.post(url, json={"delta": 0, "reason": "x"}, headers=shop.h("admin"))
    assert zero.json()["code"] == "points.zero_delta"
    keyed = {**shop.h("admin"), "Idempotency-Key": "gift-1"}
    same = await asyncio.gather(*[
        world.client.post(url, json={"delta": 5, "reason": "生日"}, headers=keyed)
        for _ in range(3)])
    assert len({r.json()["id"] for r in same}) == 1
    seen, cursor = [], None
    while True:
        page = (await world.client.get(url, params={"limit": 2, **({"cursor": cursor} if cursor
                                                                   else {})},
                                       headers=shop.h("admin"))).json()
        seen += [e["balance_after"] for e in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [15, 10, 40, 70, 100]
    assert all(e >= 0 for e in seen)


async def test_customer_conversations_and_orders(world) -> None:
    shop = await make_shop(world, roles=("admin",))
    customer = await make_customer(world, shop.shop_id)
    conversation = await make_conversation(world, shop.shop_id, customer)
    order = await shop.order(customer_id=str(customer))
    await shop.order()
    convs = (await world.client.get(shop.url(f"/customers/{customer}/conversations"),
                                    headers=shop.h("admin"))).json()
    assert [c["id"] for c in convs["items"]] == [str(conversation)]
    orders = (await world.client.get(shop.url(f"/customers/{customer}/orders"),
                                     headers=shop.h("admin"))).json()
    assert [o["id"] for o in orders["items"]] == [order["id"]]
    other = await make_shop(world, roles=("admin",))
    assert (await world.client.get(other.url(f"/customers/{customer}/orders"),
                                   headers=other.h("admin"))).status_code == 404


async def test_the_ledger_is_append_only_for_the_api_role(world, app_conn) -> None:
    shop = await make_shop(world, roles=("admin",))
    customer = await make_customer(world, shop.shop_id)
    await world.client.post(shop.url(f"/customers/{customer}/points"),
                            json={"delta": 10, "reason": "r"}, headers=shop.h("admin"))
    async with app_conn.transaction():
        await app_conn.execute("SELECT set_config('app.shop_id', $1, true)", str(shop.shop_id))
        for sql in ("UPDATE points_ledger SET delta = 1000", "DELETE FROM points_ledger"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                async with app_conn.transaction():
                    await app_conn.execute(sql)
        with pytest.raises(asyncpg.CheckViolationError):
            async with app_conn.transaction():
                await app_conn.execute(
                    "INSERT INTO points_ledger (shop_id, customer_id, seq, id, delta, "
                    "balance_after, reason) VALUES ($1, $2, 2, gen_random_uuid(), -20, -10, 'x')",
                    shop.shop_id, customer)

"""Keyword auto-reply rules: CRUD, content validation, roles, other shops."""

from __future__ import annotations

import uuid

from tests.integration.auto_replies.helpers import rules_path
from tests.integration.members.helpers import assert_error
from tests.support.world import World

CARD = {"kind": "card", "title": "双11新品", "url": "https://shop.example/new",
        "image_url": "https://cdn.example/new.png", "description": "限时折扣"}


async def test_crud(world: World) -> None:
    shop_id, founder = await world.shop()
    admin = await world.staff(shop_id, "admin")
    created = await world.client.post(rules_path(shop_id), headers=admin.headers(), json={
        "name": "发货", "match": "contains", "keywords": ["发货", "快递", "发货 "],
        "content": {"kind": "text", "text": "48小时内发货"}, "priority": 5})
    assert created.status_code == 201, created.text
    rule = created.json()
    assert rule["keywords"] == ["发货", "快递"]  # duplicates (after normalizing) dropped
    assert rule["enabled"] is True and rule["content"] == {"kind": "text", "text": "48小时内发货"}
    card = await world.client.post(rules_path(shop_id), headers=founder.headers(), json={
        "name": "新品", "match": "exact", "keywords": ["新品"], "content": CARD})
    assert card.status_code == 201 and card.json()["content"] == CARD
    link = await world.client.post(rules_path(shop_id), headers=founder.headers(), json={
        "name": "主页", "match": "exact", "keywords": ["主页"],
        "content": {"kind": "link", "url": "https://shop.example/", "title": "店铺主页"}})
    assert link.status_code == 201, link.text

    page = (await world.client.get(rules_path(shop_id), params={"limit": 2},
                                   headers=admin.headers())).json()
    assert [r["id"] for r in page["items"]] == [rule["id"], card.json()["id"]]
    rest = (await world.client.get(rules_path(shop_id), params={"cursor": page["next_cursor"]},
                                   headers=admin.headers())).json()
    assert [r["id"] for r in rest["items"]] == [link.json()["id"]] and rest["next_cursor"] is None

    patched = await world.client.patch(rules_path(shop_id, f"/{rule['id']}"),
                                       headers=admin.headers(),
                                       json={"enabled": False, "match": "exact", "content": CARD})
    assert patched.status_code == 200, patched.text
    assert patched.json()["enabled"] is False and patched.json()["content"]["kind"] == "card"
    got = await world.client.get(rules_path(shop_id, f"/{rule['id']}"), headers=admin.headers())
    assert got.json()["match"] == "exact"
    assert (await world.client.delete(rules_path(shop_id, f"/{rule['id']}"),
                                      headers=admin.headers())).status_code == 204
    assert_error(await world.client.get(rules_path(shop_id, f"/{rule['id']}"),
                                        headers=admin.headers()), 404, "auto_replies.not_found")


async def test_roles_and_other_shops(world: World) -> None:
    shop_id, founder = await world.shop()
    other_shop, other_founder = await world.shop()
    agent = await world.staff(shop_id, "agent")
    body = assert_error(await world.client.get(rules_path(shop_id), headers=agent.headers()),
                        403, "permission.denied")
    assert body["details"]["permission"] == "auto_replies:read"
    body = assert_error(await world.client.put(rules_path(shop_id, "/hosting"),
                                               headers=agent.headers(), json={}),
                        403, "permission.denied")
    assert body["details"]["permission"] == "auto_replies:write"
    theirs = (await world.client.post(rules_path(other_shop), headers=other_founder.headers(), json={
        "name": "x", "match": "exact", "keywords": ["x"],
        "content": {"kind": "text", "text": "x"}})).json()
    for method in ("GET", "PATCH", "DELETE"):
        response = await world.client.request(method, rules_path(shop_id, f"/{theirs['id']}"),
                                               headers=founder.headers(), json={})
        assert_error(response, 404, "auto_replies.not_found")
    assert_error(await world.client.get(rules_path(other_shop), headers=founder.headers()),
                 404, "shop.not_found")


async def test_bad_input(world: World) -> None:
    shop_id, founder = await world.shop()
    good = {"name": "n", "match": "exact", "keywords": ["k"],
            "content": {"kind": "text", "text": "t"}}
    bad = [
        {**good, "match": "regex"},
        {**good, "keywords": []},
        {**good, "keywords": ["k"] * 21},
        {**good, "keywords": ["  "]},
        {**good, "keywords": ["k" * 101]},
        {**good, "priority": 10**20},
        {**good, "priority": -1},
        {**good, "name": "x\x00"},
        {**good, "extra": True},
        {**good, "content": {"kind": "video", "url": "https://a.example/v"}},
        {**good, "content": {"kind": "text", "text": "t" * 2001}},
        {**good, "content": {"kind": "text", "text": "t", "more": 1}},
        {**good, "content": {"kind": "link", "url": "javascript:alert(1)", "title": "x"}},
        {**good, "content": {"kind": "card", "title": "x", "url": "https://a.example/"}},
        {**good, "content": "text"},
    ]
    for body in bad:
        response = await world.client.post(rules_path(shop_id), headers=founder.headers(), json=body)
        assert response.status_code in (400, 422), (body, response.text)
        assert response.json()["code"].startswith("request."), response.text
    assert_error(await world.client.patch(rules_path(shop_id, f"/{uuid.uuid4()}"),
                                          headers=founder.headers(), json={"enabled": True}),
                 404, "auto_replies.not_found")
    assert_error(await world.client.get(rules_path(shop_id), params={"cursor": "WyJ4IiwieSJd"},
                                        headers=founder.headers()), 400, "pagination.invalid_cursor")

"""Quick phrases (快捷短语): shop-wide and personal, groups, search, pagination, refusals."""

from __future__ import annotations

import asyncio
import uuid

from tests.integration.members.helpers import assert_error
from tests.support.world import World


def qp(shop_id: uuid.UUID, tail: str = "") -> str:
    return f"/api/v1/shops/{shop_id}/quick-phrases{tail}"


async def test_shop_and_personal_phrases_are_kept_apart(world: World) -> None:
    shop_id, founder = await world.shop()
    agent = await world.staff(shop_id, "agent")
    other_agent = await world.staff(shop_id, "agent")
    shop_phrase = await world.client.post(qp(shop_id), headers=founder.headers(), json={
        "shortcut": "/hi", "body": "您好,欢迎光临!"})
    assert shop_phrase.status_code == 201, shop_phrase.text
    assert shop_phrase.json()["scope"] == "shop"
    mine = await world.client.post(qp(shop_id, "/personal"), headers=agent.headers(), json={
        "shortcut": "/hi", "body": "亲,我是小张"})  # same shortcut, other scope: allowed
    assert mine.status_code == 201, mine.text
    assert mine.json()["scope"] == "personal"

    listed = (await world.client.get(qp(shop_id), headers=agent.headers())).json()
    assert {p["id"] for p in listed["items"]} == {shop_phrase.json()["id"], mine.json()["id"]}
    theirs = (await world.client.get(qp(shop_id), headers=other_agent.headers())).json()
    assert [p["id"] for p in theirs["items"]] == [shop_phrase.json()["id"]]
    # A supervisor does not see an agent's personal phrases either.
    founders = (await world.client.get(qp(shop_id, "?scope=personal"),
                                       headers=founder.headers())).json()
    assert founders["items"] == []
    only_shop = (await world.client.get(qp(shop_id, "?scope=shop"), headers=agent.headers())).json()
    assert [p["id"] for p in only_shop["items"]] == [shop_phrase.json()["id"]]

    # Someone else's personal phrase is not found, for the owner-only routes and the shop's.
    path = qp(shop_id, f"/personal/{mine.json()['id']}")
    assert_error(await world.client.patch(path, headers=other_agent.headers(),
                                          json={"body": "x"}), 404, "quick_phrases.not_found")
    assert_error(await world.client.delete(qp(shop_id, f"/{mine.json()['id']}"),
                                           headers=founder.headers()), 404,
                 "quick_phrases.not_found")
    updated = await world.client.patch(path, headers=agent.headers(), json={"body": "新的"})
    assert updated.status_code == 200 and updated.json()["body"] == "新的"
    assert (await world.client.delete(path, headers=agent.headers())).status_code == 204


async def test_roles(world: World) -> None:
    shop_id, _ = await world.shop()
    agent = await world.staff(shop_id, "agent")
    verifier = await world.staff(shop_id, "verifier")
    body = assert_error(await world.client.post(qp(shop_id), headers=agent.headers(), json={
        "shortcut": "/x", "body": "y"}), 403, "permission.denied")
    assert body["details"]["permission"] == "quick_phrases:write_shop"
    assert_error(await world.client.post(qp(shop_id, "/groups"), headers=agent.headers(),
                                         json={"name": "g"}), 403, "permission.denied")
    body = assert_error(await world.client.get(qp(shop_id), headers=verifier.headers("mobile")),
                        403, "permission.denied")
    assert body["details"]["permission"] == "quick_phrases:read"
    body = assert_error(await world.client.post(qp(shop_id, "/personal"),
                                                headers=verifier.headers("mobile"),
                                                json={"shortcut": "/x", "body": "y"}),
                        403, "permission.denied")
    assert body["details"]["permission"] == "cs:workspace"


async def test_duplicate_shortcuts_conflict_even_when_concurrent(world: World) -> None:
    shop_id, founder = await world.shop()
    admin = await world.staff(shop_id, "admin")
    first = await world.client.post(qp(shop_id), headers=founder.headers(),
                                    json={"shortcut": "/Price", "body": "a"})
    assert first.status_code == 201
    assert_error(await world.client.post(qp(shop_id), headers=admin.headers(),
                                         json={"shortcut": "/price", "body": "b"}),
                 409, "quick_phrases.shortcut_taken")
    # Renaming onto a taken shortcut is the same refusal.
    other = (await world.client.post(qp(shop_id), headers=founder.headers(),
                                     json={"shortcut": "/ship", "body": "c"})).json()
    assert_error(await world.client.patch(qp(shop_id, f"/{other['id']}"), headers=founder.headers(),
                                          json={"shortcut": "/PRICE"}),
                 409, "quick_phrases.shortcut_taken")
    # Two identical requests at once: one wins, the other is a clean 409.
    responses = await asyncio.gather(*[
        world.client.post(qp(shop_id, "/personal"), headers=admin.headers(),
                          json={"shortcut": "/same", "body": "z"}) for _ in range(4)])
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
    for response in responses:
        if response.status_code == 409:
            assert_error(response, 409, "quick_phrases.shortcut_taken")


async def test_groups_scope_and_deletion(world: World) -> None:
    shop_id, founder = await world.shop()
    agent = await world.staff(shop_id, "agent")
    group = await world.client.post(qp(shop_id, "/groups"), headers=founder.headers(),
                                    json={"name": "议价"})
    assert group.status_code == 201
    group_id = group.json()["id"]
    assert_error(await world.client.post(qp(shop_id, "/groups"), headers=founder.headers(),
                                         json={"name": "议价"}), 409, "quick_phrases.group_name_taken")
    mine = (await world.client.post(qp(shop_id, "/personal/groups"), headers=agent.headers(),
                                    json={"name": "议价"})).json()  # own scope: allowed
    # A personal phrase cannot go into the shop's group, nor a shop phrase into a personal one.
    assert_error(await world.client.post(qp(shop_id, "/personal"), headers=agent.headers(),
                                         json={"shortcut": "/a", "body": "b", "group_id": group_id}),
                 404, "quick_phrases.group_not_found")
    assert_error(await world.client.post(qp(shop_id), headers=founder.headers(),
                                         json={"shortcut": "/a", "body": "b",
                                               "group_id": mine["id"]}),
                 404, "quick_phrases.group_not_found")
    phrase = (await world.client.post(qp(shop_id), headers=founder.headers(), json={
        "shortcut": "/bargain", "body": "本店已是最低价", "group_id": group_id})).json()
    in_group = (await world.client.get(qp(shop_id, f"?group_id={group_id}"),
                                       headers=agent.headers())).json()
    assert [p["id"] for p in in_group["items"]] == [phrase["id"]]
    groups = (await world.client.get(qp(shop_id, "/groups"), headers=agent.headers())).json()
    assert {g["id"] for g in groups["items"]} == {group_id, mine["id"]}
    renamed = await world.client.patch(qp(shop_id, f"/groups/{group_id}"),
                                       headers=founder.headers(), json={"name": "价格"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "价格"
    assert (await world.client.delete(qp(shop_id, f"/groups/{group_id}"),
                                      headers=founder.headers())).status_code == 204
    after = (await world.client.get(qp(shop_id, "?scope=shop"), headers=agent.headers())).json()
    assert after["items"][0]["group_id"] is None  # the phrase stays, ungrouped
    assert_error(await world.client.delete(qp(shop_id, f"/groups/{group_id}"),
                                           headers=founder.headers()),
                 404, "quick_phrases.group_not_found")


async def test_search_escapes_wildcards_and_pages(world: World) -> None:
    shop_id, founder = await world.shop()
    for index in range(5):
        response = await world.client.post(qp(shop_id), headers=founder.headers(), json={
            "shortcut": f"/p{index}", "body": f"第{index}条 包邮 100%"})
        assert response.status_code == 201
    await world.client.post(qp(shop_id), headers=founder.headers(),
                            json={"shortcut": "/zz", "body": "退款流程"})
    found = (await world.client.get(qp(shop_id), params={"q": "退款"},
                                    headers=founder.headers())).json()
    assert [p["shortcut"] for p in found["items"]] == ["/zz"]
    one_char = (await world.client.get(qp(shop_id), params={"q": "退"},  # no bigram: a scan
                                       headers=founder.headers())).json()
    assert [p["shortcut"] for p in one_char["items"]] == ["/zz"]
    edited = (await world.client.get(qp(shop_id), params={"q": "款流程"},
                                     headers=founder.headers())).json()["items"][0]
    await world.client.patch(qp(shop_id, f"/{edited['id']}"), headers=founder.headers(),
                             json={"body": "换货说明"})
    assert (await world.client.get(qp(shop_id), params={"q": "退款"},
                                   headers=founder.headers())).json()["items"] == []
    assert len((await world.client.get(qp(shop_id), params={"q": "换货"},
                                       headers=founder.headers())).json()["items"]) == 1
    percent = (await world.client.get(qp(shop_id), params={"q": "0%"},
                                      headers=founder.headers())).json()
    assert len(percent["items"]) == 5
    assert (await world.client.get(qp(shop_id), params={"q": "_"},
                                   headers=founder.headers())).json()["items"] == []
    by_shortcut = (await world.client.get(qp(shop_id), params={"q": "/P3"},
                                          headers=founder.headers())).json()
    assert [p["shortcut"] for p in by_shortcut["items"]] == ["/p3"]
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await world.client.get(qp(shop_id), params=params, headers=founder.headers())).json()
        seen += [p["shortcut"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["/p0", "/p1", "/p2", "/p3", "/p4", "/zz"]


async def test_bad_input_is_a_4xx(world: World) -> None:
    shop_id, founder = await world.shop()
    h = founder.headers()
    bad_bodies = [
        {"shortcut": "/a\x00", "body": "b"},
        {"shortcut": "/a", "body": "b\x00"},
        {"shortcut": "has space", "body": "b"},
        {"shortcut": "/" + "a" * 40, "body": "b"},
        {"shortcut": "/a", "body": "b" * 2001},
        {"shortcut": "/a", "body": "   "},
        {"shortcut": "/a", "body": "b", "extra": 1},
        {"shortcut": 5, "body": "b"},
        {"shortcut": "/a", "body": "b", "group_id": "not-a-uuid"},
    ]
    for body in bad_bodies:
        response = await world.client.post(qp(shop_id), headers=h, json=body)
        assert response.status_code in (400, 422), (body, response.text)
        assert response.json()["code"].startswith("request."), response.text
    assert_error(await world.client.get(qp(shop_id), params={"cursor": "!!"}, headers=h),
                 400, "pagination.invalid_cursor")
    assert_error(await world.client.get(qp(shop_id), params={"cursor": "WyJhIiwiYiJd"}, headers=h),
                 400, "pagination.invalid_cursor")  # ["a","b"]: not a uuid
    for params in ({"q": "a\x00"}, {"q": "x" * 101}, {"limit": 0}, {"limit": 10**30},
                   {"scope": "everyone"}):
        response = await world.client.get(qp(shop_id), params=params, headers=h)
        assert 400 <= response.status_code < 500, (params, response.text)
    assert_error(await world.client.patch(qp(shop_id, f"/{uuid.uuid4()}"), headers=h,
                                          json={"body": "x"}), 404, "quick_phrases.not_found")


async def test_another_shops_phrases_are_not_found(world: World) -> None:
    shop_a, founder_a = await world.shop()
    shop_b, founder_b = await world.shop()
    phrase = (await world.client.post(qp(shop_b), headers=founder_b.headers(),
                                      json={"shortcut": "/b", "body": "b"})).json()
    group = (await world.client.post(qp(shop_b, "/groups"), headers=founder_b.headers(),
                                     json={"name": "b"})).json()
    # Through shop A's path (where founder A is admitted) shop B's ids do not exist.
    assert_error(await world.client.patch(qp(shop_a, f"/{phrase['id']}"),
                                          headers=founder_a.headers(), json={"body": "x"}),
                 404, "quick_phrases.not_found")
    assert_error(await world.client.post(qp(shop_a), headers=founder_a.headers(), json={
        "shortcut": "/x", "body": "x", "group_id": group["id"]}), 404,
        "quick_phrases.group_not_found")
    assert_error(await world.client.get(qp(shop_b), headers=founder_a.headers()),
                 404, "shop.not_found")

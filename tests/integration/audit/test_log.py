"""GET /audit: this shop's log, newest first, filtered and paginated."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.support.world import Account, World


async def rename(world: World, shop_id: uuid.UUID, account: Account, name: str) -> None:
    response = await world.client.patch(f"/api/v1/shops/{shop_id}", json={"name": name},
                                        headers=account.headers())
    assert response.status_code == 200, response.text


async def read_log(world: World, shop_id: uuid.UUID, account: Account,
                   **params: Any) -> dict[str, Any]:
    response = await world.client.get(f"/api/v1/shops/{shop_id}/audit", params=params,
                                      headers=account.headers())
    assert response.status_code == 200, response.text
    return response.json()


async def test_log_is_newest_first_with_chain_fields(world: World) -> None:
    shop_id, founder = await world.shop()
    await rename(world, shop_id, founder, "Renamed")
    items = (await read_log(world, shop_id, founder))["items"]
    assert [item["seq"] for item in items] == [2, 1]
    assert [item["action"] for item in items] == ["shop.updated", "shop.created"]
    newest, first = items
    assert newest["actor_id"] == str(founder.id)
    assert newest["client"] == "web" and newest["ip"] == "127.0.0.1"
    assert newest["request_id"]
    assert newest["outcome"] == "success" and newest["target"] == str(shop_id)
    assert newest["details"] == {"name": {"from": "Shop", "to": "Renamed"}}
    assert newest["prev_hash"] == first["hash"]
    assert first["prev_hash"] == "00" * 32
    assert len(newest["hash"]) == 64
    datetime.fromisoformat(newest["occurred_at"])


async def test_pages_walk_the_whole_log_without_repeats(world: World) -> None:
    shop_id, founder = await world.shop()
    for n in range(6):
        await rename(world, shop_id, founder, f"Name {n}")
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = await read_log(world, shop_id, founder, **params)
        assert len(page["items"]) <= 2
        seen += [item["seq"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [7, 6, 5, 4, 3, 2, 1]


async def test_filters_by_actor_and_action(world: World) -> None:
    shop_id, founder = await world.shop()
    senior = await world.staff(shop_id, "senior_admin")
    await rename(world, shop_id, founder, "By founder")
    await rename(world, shop_id, senior, "By senior")
    by_senior = (await read_log(world, shop_id, founder, actor_id=str(senior.id)))["items"]
    assert [(i["actor_id"], i["details"]["name"]["to"]) for i in by_senior] == [
        (str(senior.id), "By senior")]
    created = (await read_log(world, shop_id, founder, action="shop.created"))["items"]
    assert [i["seq"] for i in created] == [1]
    assert (await read_log(world, shop_id, founder, action="no.such"))["items"] == []


async def test_filters_by_time_since_inclusive_until_exclusive(world: World) -> None:
    shop_id, founder = await world.shop()
    for n in range(3):
        await rename(world, shop_id, founder, f"Name {n}")
    items = (await read_log(world, shop_id, founder))["items"]
    middle = items[1]  # seq 3
    moment = middle["occurred_at"]
    since = (await read_log(world, shop_id, founder, since=moment))["items"]
    assert [i["seq"] for i in since] == [4, 3]
    until = (await read_log(world, shop_id, founder, until=moment))["items"]
    assert [i["seq"] for i in until] == [2, 1]
    window = (await read_log(world, shop_id, founder, since=moment,
                             until=items[0]["occurred_at"]))["items"]
    assert [i["seq"] for i in window] == [3]
    later = datetime.fromisoformat(items[0]["occurred_at"]) + timedelta(hours=1)
    naive = later.replace(tzinfo=None).isoformat()  # no offset: read as UTC
    assert (await read_log(world, shop_id, founder, since=naive))["items"] == []


async def test_log_shows_only_this_shop(world: World) -> None:
    shop_a, founder_a = await world.shop()
    shop_b, founder_b = await world.shop()
    await rename(world, shop_b, founder_b, "Only in B")
    items = (await read_log(world, shop_a, founder_a))["items"]
    assert [i["action"] for i in items] == ["shop.created"]
    assert items[0]["target"] == str(shop_a)


async def test_denied_requests_appear_in_the_log(world: World) -> None:
    shop_id, founder = await world.shop()
    admin = await world.staff(shop_id, "admin")
    verifier = await world.staff(shop_id, "verifier")
    assert (await world.client.get(f"/api/v1/shops/{shop_id}/audit",
                                   headers=admin.headers())).status_code == 403
    assert (await world.client.get(f"/api/v1/shops/{shop_id}/authz/matrix",
                                   headers=verifier.headers("web"))).status_code == 403
    denied = (await read_log(world, shop_id, founder, action="request.denied"))["items"]
    assert [(d["actor_id"], d["outcome"], d["target"], d["details"]) for d in denied] == [
        (str(verifier.id), "denied", f"GET /api/v1/shops/{shop_id}/authz/matrix",
         {"permission": "audit:read", "reason": "web_client_for_verifier", "role": "verifier"}),
        (str(admin.id), "denied", f"GET /api/v1/shops/{shop_id}/audit",
         {"permission": "audit:read", "reason": "permission_missing", "role": "admin"}),
    ]


BAD_QUERIES = [
    pytest.param({"since": "yesterday"}, id="bad-since"),
    pytest.param({"until": "2026-13-45T00:00:00Z"}, id="bad-until"),
    pytest.param({"actor_id": "not-a-uuid"}, id="bad-actor"),
    pytest.param({"limit": 0}, id="limit-zero"),
    pytest.param({"limit": 10_000}, id="limit-too-big"),
]


@pytest.mark.parametrize("params", BAD_QUERIES)
async def test_bad_query_values_get_a_json_error_with_a_code(world: World,
                                                             params: dict[str, Any]) -> None:
    shop_id, founder = await world.shop()
    response = await world.client.get(f"/api/v1/shops/{shop_id}/audit", params=params,
                                      headers=founder.headers())
    assert response.status_code in {400, 422}, response.text
    assert response.json()["code"].startswith("request.")


async def test_since_after_until_is_refused(world: World) -> None:
    shop_id, founder = await world.shop()
    response = await world.client.get(
        f"/api/v1/shops/{shop_id}/audit", headers=founder.headers(),
        params={"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"})
    assert response.status_code == 422
    assert response.json()["code"] == "audit.invalid_range"


@pytest.mark.parametrize("cursor", ["%%%", "bm90LWEtbGlzdA", "WyJ4Il0"])  # junk, "not-a-list", ["x"]
async def test_bad_cursor_is_refused(world: World, cursor: str) -> None:
    shop_id, founder = await world.shop()
    response = await world.client.get(f"/api/v1/shops/{shop_id}/audit",
                                      params={"cursor": cursor}, headers=founder.headers())
    assert response.status_code == 400
    assert response.json()["code"] == "pagination.invalid_cursor"

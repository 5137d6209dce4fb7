"""Listing shops: the firm's roles only, cursor-paginated by slug, filterable by status."""

from __future__ import annotations

import httpx
import pytest

from rbac.catalog import FirmRole
from tests.support.world import World

SHOPS = "/api/v1/shops"


async def _all_pages(client: httpx.AsyncClient, headers: dict, **params: object) -> list[dict]:
    items: list[dict] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get(SHOPS, params=query, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= int(params.get("limit", 50))  # type: ignore[call-overload]
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


@pytest.mark.parametrize("role", [FirmRole.PLATFORM_ADMIN, FirmRole.PLATFORM_AUDITOR])
async def test_firm_roles_page_through_every_shop_once_in_slug_order(
        world: World, client: httpx.AsyncClient, role: FirmRole) -> None:
    created = {str((await world.shop())[0]) for _ in range(3)}
    viewer = await world.user(platform_role=role)
    items = await _all_pages(client, viewer.headers(), limit=2)
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids))
    assert created <= set(ids)
    assert [i["slug"] for i in items] == sorted(i["slug"] for i in items)


async def test_status_filter_lists_only_that_status(world: World, client: httpx.AsyncClient) -> None:
    admin = await world.user(platform_role=FirmRole.PLATFORM_ADMIN)
    active, _ = await world.shop()
    suspended, _ = await world.shop()
    response = await client.post(f"{SHOPS}/{suspended}/suspend", json={"reason": "unpaid"},
                                 headers=admin.headers())
    assert response.status_code == 200, response.text
    only_suspended = await _all_pages(client, admin.headers(), status="suspended", limit=200)
    assert {i["status"] for i in only_suspended} == {"suspended"}
    assert str(suspended) in {i["id"] for i in only_suspended}
    assert str(active) not in {i["id"] for i in only_suspended}
    bad = await client.get(SHOPS, params={"status": "closed"}, headers=admin.headers())
    assert bad.status_code == 422


@pytest.mark.parametrize("role", ["founder", "agent"])
async def test_shop_staff_cannot_list_shops(world: World, client: httpx.AsyncClient,
                                            role: str) -> None:
    shop, founder = await world.shop()
    caller = founder if role == "founder" else await world.staff(shop, role)
    response = await client.get(SHOPS, headers=caller.headers())
    assert response.status_code == 403
    assert response.json()["code"] == "permission.denied"
    assert response.json()["details"] == {"permission": "shops:list"}

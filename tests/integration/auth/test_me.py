"""/me: who the token belongs to, which client it was issued to, and the live shop roles."""

from __future__ import annotations

import httpx

from rbac.catalog import FirmRole
from tests.support.world import World


async def test_me_returns_the_user_the_client_and_each_shop_with_its_role(
        world: World, client: httpx.AsyncClient) -> None:
    agent = await world.user(prefix="agent")
    shop_a, _ = await world.shop()
    shop_b, _ = await world.shop()
    await world.add_member(shop_a, agent, "agent")
    await world.add_member(shop_b, agent, "admin")
    for client_name in ("web", "mobile"):
        response = await client.get("/api/v1/me", headers=agent.headers(client_name))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["user"]["id"] == str(agent.id) and body["user"]["email"] == agent.email
        assert body["client"] == client_name
        assert {(s["shop_id"], s["role"]) for s in body["shops"]} == {
            (str(shop_a), "agent"), (str(shop_b), "admin")}
        assert all(s["slug"] and s["status"] == "active" for s in body["shops"])


async def test_me_reflects_a_role_change_without_a_new_token(
        world: World, client: httpx.AsyncClient) -> None:
    shop, _ = await world.shop()
    member = await world.staff(shop, "agent")
    await world.add_member(shop, member, "senior_admin")
    body = (await client.get("/api/v1/me", headers=member.headers())).json()
    assert [(s["shop_id"], s["role"]) for s in body["shops"]] == [(str(shop), "senior_admin")]


async def test_me_for_a_user_without_shops_lists_none(world: World, client: httpx.AsyncClient) -> None:
    admin = await world.user(platform_role=FirmRole.PLATFORM_ADMIN)
    body = (await client.get("/api/v1/me", headers=admin.headers())).json()
    assert body["shops"] == [] and body["user"]["platform_role"] == "platform_admin"


async def test_me_shows_only_the_callers_own_shops(world: World, client: httpx.AsyncClient) -> None:
    _, founder_a = await world.shop()
    shop_b, _ = await world.shop()
    body = (await client.get("/api/v1/me", headers=founder_a.headers())).json()
    assert str(shop_b) not in {s["shop_id"] for s in body["shops"]}
    assert [s["role"] for s in body["shops"]] == ["founder"]

"""One shop's profile: who may read and change it, suspension, and the audit trail."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from sqlalchemy import text

from api.db.shop_context import bind_shop
from rbac.catalog import FirmRole
from tests.support.paths import shop_path
from tests.support.world import Account, World


@pytest.fixture
async def admin(world: World) -> Account:
    return await world.user(platform_role=FirmRole.PLATFORM_ADMIN, prefix="padmin")


async def _audit_actions(world: World, shop_id: uuid.UUID) -> list[tuple[str, dict]]:
    async with world.app.state.sessionmaker() as session, session.begin():
        await bind_shop(session, shop_id)
        rows = await session.execute(text(
            "SELECT action, details FROM audit_log WHERE shop_id = :s ORDER BY seq"),
            {"s": shop_id})
        return [(r.action, r.details) for r in rows]


async def test_founder_reads_and_updates_the_shop(world: World, client: httpx.AsyncClient) -> None:
    shop, founder = await world.shop()
    read = await client.get(shop_path(shop), headers=founder.headers())
    assert read.status_code == 200 and read.json()["id"] == str(shop)
    response = await client.patch(shop_path(shop), json={"name": "Renamed", "timezone": "Europe/Paris"},
                                  headers=founder.headers())
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Renamed" and response.json()["timezone"] == "Europe/Paris"
    assert (await client.get(shop_path(shop), headers=founder.headers())).json()["name"] == "Renamed"


async def test_updates_are_audited_with_what_changed(world: World, client: httpx.AsyncClient) -> None:
    shop, founder = await world.shop()
    await client.patch(shop_path(shop), json={"name": "New name"}, headers=founder.headers())
    await client.patch(shop_path(shop), json={"name": "New name"}, headers=founder.headers())  # no-op
    updates = [d for a, d in await _audit_actions(world, shop) if a == "shop.updated"]
    assert updates == [{"name": {"from": "Shop", "to": "New name"}}]


async def test_update_with_unknown_timezone_is_422(world: World, client: httpx.AsyncClient) -> None:
    shop, founder = await world.shop()
    response = await client.patch(shop_path(shop), json={"timezone": "Nowhere/Land"},
                                  headers=founder.headers())
    assert response.status_code == 422 and response.json()["code"] == "shop.invalid_timezone"


async def test_update_rejects_unknown_fields(world: World, client: httpx.AsyncClient) -> None:
    shop, founder = await world.shop()
    response = await client.patch(shop_path(shop), json={"status": "active"}, headers=founder.headers())
    assert response.status_code == 422 and response.json()["code"] == "request.validation_failed"


@pytest.mark.parametrize("role", ["agent", "verifier"])
async def test_agent_and_verifier_cannot_read_settings(world: World, client: httpx.AsyncClient,
                                                       role: str) -> None:
    shop, _ = await world.shop()
    member = await world.staff(shop, role)
    response = await client.get(shop_path(shop), headers=member.headers("mobile"))
    assert response.status_code == 403
    assert response.json()["code"] == "permission.denied"
    assert response.json()["details"] == {"permission": "shop:settings"}


async def test_member_of_shop_a_reading_shop_b_is_404(world: World, client: httpx.AsyncClient) -> None:
    _, founder_a = await world.shop()
    shop_b, _ = await world.shop()
    for method in ("GET", "PATCH"):
        response = await client.request(method, shop_path(shop_b), headers=founder_a.headers(),
                                        json={"name": "Mine now"} if method == "PATCH" else None)
        assert response.status_code == 404
        assert response.json()["code"] == "shop.not_found"


async def test_unknown_shop_id_is_404_even_for_platform_admin(
        client: httpx.AsyncClient, admin: Account) -> None:
    response = await client.get(shop_path(uuid.uuid4()), headers=admin.headers())
    assert response.status_code == 404 and response.json()["code"] == "shop.not_found"


async def test_platform_admin_suspends_and_reactivates(world: World, client: httpx.AsyncClient,
                                                       admin: Account) -> None:
    shop, founder = await world.shop()
    suspended = await client.post(shop_path(shop, "/suspend"), json={"reason": "unpaid invoice"},
                                  headers=admin.headers())
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["status"] == "suspended"
    assert suspended.json()["suspended_reason"] == "unpaid invoice"
    refused = await client.get(shop_path(shop), headers=founder.headers())
    assert refused.status_code == 403 and refused.json()["code"] == "shop.suspended"
    reactivated = await client.post(shop_path(shop, "/reactivate"), headers=admin.headers())
    assert reactivated.status_code == 200, reactivated.text
    assert reactivated.json()["status"] == "active" and reactivated.json()["suspended_reason"] is None
    assert (await client.get(shop_path(shop), headers=founder.headers())).status_code == 200
    actions = [a for a, _ in await _audit_actions(world, shop)]
    assert [a for a in actions if a.startswith("shop.")] == [
        "shop.created", "shop.suspended", "shop.reactivated"]
    assert "request.denied" in actions  # the founder's refused read, while suspended


async def test_suspending_twice_is_409_and_reactivating_an_active_shop_is_409(
        world: World, client: httpx.AsyncClient, admin: Account) -> None:
    shop, _ = await world.shop()
    not_suspended = await client.post(shop_path(shop, "/reactivate"), headers=admin.headers())
    assert not_suspended.status_code == 409 and not_suspended.json()["code"] == "shop.not_suspended"
    await client.post(shop_path(shop, "/suspend"), json={"reason": "x"}, headers=admin.headers())
    again = await client.post(shop_path(shop, "/suspend"), json={"reason": "x"}, headers=admin.headers())
    assert again.status_code == 409 and again.json()["code"] == "shop.already_suspended"


async def test_concurrent_suspends_give_one_200_and_409_already_suspended_to_the_rest(
        world: World, client: httpx.AsyncClient, admin: Account) -> None:
    shop, _ = await world.shop()
    # Four at once: with only two, the second often waits for a new pool connection and
    # arrives after the first committed, which would prove nothing about the lock.
    responses = await asyncio.gather(*(
        client.post(shop_path(shop, "/suspend"), json={"reason": "x"}, headers=admin.headers())
        for _ in range(4)))
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {
        "shop.already_suspended"}
    suspensions = [a for a, _ in await _audit_actions(world, shop) if a == "shop.suspended"]
    assert len(suspensions) == 1


@pytest.mark.parametrize("action", ["/suspend", "/reactivate"])
async def test_founder_cannot_suspend_or_reactivate(world: World, client: httpx.AsyncClient,
                                                    action: str) -> None:
    shop, founder = await world.shop()
    response = await client.post(shop_path(shop, action), json={"reason": "mine"},
                                 headers=founder.headers())
    assert response.status_code == 403
    assert response.json()["details"] == {"permission": "shops:suspend"}


async def test_platform_auditor_cannot_suspend(world: World, client: httpx.AsyncClient) -> None:
    shop, _ = await world.shop()
    auditor = await world.user(platform_role=FirmRole.PLATFORM_AUDITOR)
    response = await client.post(shop_path(shop, "/suspend"), json={"reason": "x"},
                                 headers=auditor.headers())
    assert response.status_code == 403 and response.json()["code"] == "permission.denied"


async def test_suspended_shop_refuses_all_its_staff(world: World, client: httpx.AsyncClient,
                                                    admin: Account) -> None:
    shop, founder = await world.shop()
    senior = await world.staff(shop, "senior_admin")
    await client.post(shop_path(shop, "/suspend"), json={"reason": "x"}, headers=admin.headers())
    for member in (founder, senior):
        response = await client.patch(shop_path(shop), json={"name": "still mine"},
                                      headers=member.headers())
        assert response.status_code == 403 and response.json()["code"] == "shop.suspended"
    # The firm still reads it.
    assert (await client.get(shop_path(shop), headers=admin.headers())).status_code == 200

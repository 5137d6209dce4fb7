"""Who may use the auditors' view: founder, senior admin and the firm's roles, nobody else."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from rbac.catalog import FirmRole
from tests.support.crew import Crew
from tests.support.paths import shop_path
from tests.support.world import Account, World

# Every route of the auditors' view (authz and audit), with a valid request for each.
ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/authz/matrix", None),
    ("GET", "/authz/routes", None),
    ("POST", "/authz/explain", {"user_id": str(uuid.uuid4()), "permission": "orders:read"}),
    ("GET", "/authz/export", None),
    ("GET", "/audit", None),
    ("GET", "/audit/verify", None),
]
ROUTE_IDS = [f"{method} {path}" for method, path, _ in ROUTES]


@pytest.fixture(scope="module")
async def shop(world: World) -> tuple[uuid.UUID, Crew]:
    shop_id, founder = await world.shop()
    return shop_id, await world.crew(shop_id, founder)


async def call(world: World, shop_id: uuid.UUID, route: tuple[str, str, dict[str, Any] | None],
               account: Account, client: str = "web"):  # type: ignore[no-untyped-def]
    method, path, body = route
    return await world.client.request(method, shop_path(shop_id, path), json=body,
                                      headers=account.headers(client))


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
@pytest.mark.parametrize("role", ["founder", "senior_admin", "platform_auditor", "platform_admin"])
async def test_auditors_and_shop_owners_may_read(world: World, shop, route, role: str) -> None:  # type: ignore[no-untyped-def]
    shop_id, crew = shop
    response = await call(world, shop_id, route, crew[role])
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
@pytest.mark.parametrize(("role", "via"), [("admin", "web"), ("agent", "web"),
                                           ("verifier", "mobile")])
async def test_other_shop_roles_are_refused_naming_audit_read(world: World, shop, route,
                                                              role: str, via: str) -> None:  # type: ignore[no-untyped-def]
    shop_id, crew = shop
    response = await call(world, shop_id, route, crew[role], via)
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["code"] == "permission.denied"
    assert body["details"] == {"permission": "audit:read"}


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
async def test_verifier_on_the_web_client_is_refused(world: World, shop, route) -> None:  # type: ignore[no-untyped-def]
    shop_id, crew = shop
    response = await call(world, shop_id, route, crew["verifier"], "web")
    assert response.status_code == 403
    assert response.json()["code"] == "client.mobile_only"


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
async def test_non_member_gets_shop_not_found(world: World, shop, route) -> None:  # type: ignore[no-untyped-def]
    shop_id, crew = shop
    response = await call(world, shop_id, route, crew["outsider"])
    assert response.status_code == 404
    assert response.json()["code"] == "shop.not_found"


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
async def test_founder_of_another_shop_gets_shop_not_found(world: World, shop, route) -> None:  # type: ignore[no-untyped-def]
    shop_id, _ = shop
    _, other_founder = await world.shop()
    response = await call(world, shop_id, route, other_founder)
    assert response.status_code == 404
    assert response.json()["code"] == "shop.not_found"


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
async def test_unknown_shop_gets_shop_not_found_even_for_auditors(world: World, shop, route) -> None:  # type: ignore[no-untyped-def]
    _, crew = shop
    response = await call(world, uuid.uuid4(), route, crew["platform_auditor"])
    assert response.status_code == 404
    assert response.json()["code"] == "shop.not_found"


async def test_firm_roles_still_read_a_suspended_shop_its_founder_cannot(world: World) -> None:
    shop_id, founder = await world.shop()
    auditor = await world.user(platform_role=FirmRole.PLATFORM_AUDITOR)
    await world.suspend(shop_id)
    for route in ROUTES:
        assert (await call(world, shop_id, route, auditor)).status_code == 200
        refused = await call(world, shop_id, route, founder)
        assert refused.status_code == 403
        assert refused.json()["code"] == "shop.suspended"

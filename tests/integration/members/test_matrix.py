"""The whole permission matrix through the real HTTP guard (roles.md, rules 4-7).

A second app mounts one probe route per permission key under ``/shops/{shop_id}``, each
declaring that one permission with ``requires``; the probes do nothing, so what a probe
answers is exactly what the guard decided. Every shop role × every key × web/mobile ×
WeChat bound/unbound is checked against the catalog, then firm roles, outsiders, a
suspended shop and a WeChat unbinding.

The shops and accounts are built once per module; each test only sends requests.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from litestar import Litestar, get

from api.app import create_app
from api.routing import requires
from rbac.catalog import FIRM_ROLE_GRANTS, MATRIX, SHOP_ROLES, Cell, FirmRole, ShopRole
from tests.support.apps import http_client, running
from tests.support.database import TestDatabase
from tests.support.world import Account, World

PERMISSIONS = sorted(MATRIX)
CLIENTS = ("web", "mobile")


def probe_path(shop_id: uuid.UUID, permission: str) -> str:
    return f"/api/v1/shops/{shop_id}/_probe/{permission.replace(':', '__')}"


def _probe(permission: str) -> Any:
    async def probe() -> dict[str, str]:
        return {"permission": permission}

    probe.__name__ = probe.__qualname__ = f"probe_{permission.replace(':', '__')}"
    return get(f"/_probe/{permission.replace(':', '__')}", include_in_schema=False,
               **requires(permission))(probe)


@asynccontextmanager
async def running_with_client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with running(app), http_client(app, port=50001) as http:
        yield http


@dataclass
class Cast:
    """Shops and the people in them (one crew in both shops), shared by every test here."""

    world: World
    shops: dict[bool, uuid.UUID]  # wechat bound? -> shop
    staff: dict[ShopRole, Account]  # the same person holds one role in both shops
    firm: dict[FirmRole, Account]
    outsider: Account


@pytest.fixture(scope="module")
async def probe_world(settings, database: TestDatabase) -> AsyncIterator[World]:  # type: ignore[no-untyped-def]
    app = create_app(settings, database_url=database.app_url,
                     extra_shop_route_handlers=[_probe(p) for p in PERMISSIONS])
    async with running_with_client(app) as http:
        yield World(app, http)


@pytest.fixture(scope="module")
async def cast(probe_world: World) -> Cast:
    world = probe_world
    founder = await world.user(prefix="founder")
    shops = {bound: (await world.shop(founder, wechat_bound=bound))[0] for bound in (True, False)}
    crew = await world.crew(shops[True], founder, also_in=[shops[False]])
    return Cast(world, shops, crew.staff, crew.firm, crew.outsider)


def expected(role: ShopRole, cell: Cell, client: str, wechat_bound: bool) -> tuple[int, str | None]:
    """What the guard must answer, from the catalog cell alone (rules 4, 5, 7)."""
    if role is ShopRole.VERIFIER and client != "mobile":
        return 403, "client.mobile_only"
    if cell is Cell.ALLOWED:
        return 200, None
    if cell is Cell.WECHAT:
        return (200, None) if wechat_bound else (403, "permission.wechat_not_bound")
    if cell is Cell.MOBILE:
        return (200, None) if client == "mobile" else (403, "client.mobile_only")
    return 403, "permission.denied"


def outcome(response: httpx.Response, permission: str) -> tuple[int, str | None]:
    if response.status_code == 200:
        assert response.json() == {"permission": permission}
        return 200, None
    body = response.json()
    if response.status_code == 403:
        assert body["details"] == {"permission": permission}, body
    return response.status_code, body["code"]


@pytest.mark.parametrize("role", SHOP_ROLES, ids=[r.value for r in SHOP_ROLES])
@pytest.mark.parametrize("permission", PERMISSIONS)
async def test_shop_role_gets_exactly_its_matrix_cell(cast: Cast, role: ShopRole,
                                                       permission: str) -> None:
    cell = MATRIX[permission][role]
    account = cast.staff[role]
    want, got = {}, {}
    for bound, shop_id in cast.shops.items():
        for client in CLIENTS:
            case = f"{client}, wechat {'bound' if bound else 'unbound'}"
            want[case] = expected(role, cell, client, bound)
            response = await cast.world.client.get(probe_path(shop_id, permission),
                                                   headers=account.headers(client))
            got[case] = outcome(response, permission)
    assert got == want, f"{role.value} / {permission} (cell {cell.value})"


async def test_every_shop_role_cell_is_exercised() -> None:
    # Guards the table above against a catalog that loses a kind of cell.
    cells = {cell for row in MATRIX.values() for cell in row.values()}
    assert cells == set(Cell)
    assert len(PERMISSIONS) * len(SHOP_ROLES) == sum(len(row) for row in MATRIX.values())


async def test_non_member_meets_404_for_every_permission(cast: Cast) -> None:
    unexpected = {}
    for permission in PERMISSIONS:
        for shop_id in (*cast.shops.values(), uuid.uuid4()):
            response = await cast.world.client.get(probe_path(shop_id, permission),
                                                   headers=cast.outsider.headers("mobile"))
            body = response.json()
            if (response.status_code, body.get("code"), body.get("details")) != (
                    404, "shop.not_found", {}):
                unexpected[(permission, str(shop_id))] = (response.status_code, body)
    assert unexpected == {}


@pytest.mark.parametrize("firm_role", list(FirmRole), ids=[r.value for r in FirmRole])
async def test_firm_roles_reach_every_shop_with_their_grants_only(cast: Cast,
                                                                  firm_role: FirmRole) -> None:
    account = cast.firm[firm_role]
    grants = FIRM_ROLE_GRANTS[firm_role]
    want, got = {}, {}
    for permission in PERMISSIONS:
        for bound, shop_id in cast.shops.items():
            for client in CLIENTS:
                key = (permission, bound, client)
                want[key] = (200, None) if permission in grants else (403, "permission.denied")
                response = await cast.world.client.get(probe_path(shop_id, permission),
                                                       headers=account.headers(client))
                got[key] = outcome(response, permission)
    assert got == want
    # Never conversation or customer content for the auditor (roles.md, firm roles).
    if firm_role is FirmRole.PLATFORM_AUDITOR:
        assert not grants & {"cs:workspace", "customers:read", "orders:read"}


async def test_suspended_shop_refuses_staff_but_not_firm_roles(cast: Cast) -> None:
    world = cast.world
    shop_id, founder = await world.shop(wechat_bound=True)
    staff = {role: await world.staff(shop_id, role.value) for role in SHOP_ROLES[1:]}
    staff[ShopRole.FOUNDER] = founder
    firm_admin, auditor = cast.firm[FirmRole.PLATFORM_ADMIN], cast.firm[FirmRole.PLATFORM_AUDITOR]
    suspend = await world.client.post(f"/api/v1/shops/{shop_id}/suspend", json={"reason": "unpaid"},
                                      headers=firm_admin.headers())
    assert suspend.status_code == 200, suspend.text

    for role, account in staff.items():
        client = "mobile"  # so that even the verifier gets as far as the suspension
        for permission in ("staff:read", "orders:read", "verifications:redeem", "audit:read"):
            response = await world.client.get(probe_path(shop_id, permission),
                                              headers=account.headers(client))
            assert outcome(response, permission) == (403, "shop.suspended"), (role, permission)
    for account, permission in ((firm_admin, "staff:read"), (firm_admin, "analytics:read"),
                                (firm_admin, "staff:add"), (auditor, "staff:read"),
                                (auditor, "audit:read")):
        response = await world.client.get(probe_path(shop_id, permission), headers=account.headers())
        assert outcome(response, permission) == (200, None), permission
    response = await world.client.get(probe_path(shop_id, "orders:read"), headers=auditor.headers())
    assert outcome(response, "orders:read") == (403, "permission.denied")

    reactivate = await world.client.post(f"/api/v1/shops/{shop_id}/reactivate",
                                         headers=firm_admin.headers())
    assert reactivate.status_code == 200, reactivate.text
    response = await world.client.get(probe_path(shop_id, "orders:read"),
                                      headers=staff[ShopRole.AGENT].headers())
    assert outcome(response, "orders:read") == (200, None)


async def test_unbinding_wechat_stops_the_agents_b_permissions_at_once(cast: Cast) -> None:
    world = cast.world
    shop_id, founder = await world.shop(wechat_bound=True)
    agent = await world.staff(shop_id, "agent")
    b_rows = [p for p in PERMISSIONS if MATRIX[p][ShopRole.AGENT] is Cell.WECHAT]
    assert b_rows

    async def agent_outcomes() -> dict[str, tuple[int, str | None]]:
        return {p: outcome(await world.client.get(probe_path(shop_id, p), headers=agent.headers()), p)
                for p in [*b_rows, "orders:read"]}

    assert set((await agent_outcomes()).values()) == {(200, None)}
    unbind = await world.client.patch(f"/api/v1/shops/{shop_id}", json={"wechat_bound": False},
                                      headers=founder.headers())
    assert unbind.status_code == 200, unbind.text

    after = await agent_outcomes()
    assert after.pop("orders:read") == (200, None)  # Y rows are untouched
    assert set(after.values()) == {(403, "permission.wechat_not_bound")}
    response = await world.client.get(probe_path(shop_id, b_rows[0]), headers=founder.headers())
    assert outcome(response, b_rows[0]) == (200, None)  # only the agent's cell is conditional

    rebind = await world.client.patch(f"/api/v1/shops/{shop_id}", json={"wechat_bound": True},
                                      headers=founder.headers())
    assert rebind.status_code == 200, rebind.text
    assert set((await agent_outcomes()).values()) == {(200, None)}


async def test_removed_member_loses_every_permission_at_once(cast: Cast) -> None:
    world = cast.world
    shop_id, founder = await world.shop(wechat_bound=True)
    admin = await world.staff(shop_id, "admin")
    assert outcome(await world.client.get(probe_path(shop_id, "orders:read"), headers=admin.headers()),
                   "orders:read") == (200, None)

    removed = await world.client.delete(f"/api/v1/shops/{shop_id}/members/{admin.id}",
                                        headers=founder.headers())
    assert removed.status_code == 204, removed.text

    for permission in PERMISSIONS:
        response = await world.client.get(probe_path(shop_id, permission), headers=admin.headers())
        assert (response.status_code, response.json()["code"]) == (404, "shop.not_found"), permission

"""Every permission key of roles.md guards a real route, and the whole matrix holds on them.

The walk reads the *served* OpenAPI document (``GET /schema/openapi.json``): each operation
states its permission as ``x-permission``. For every key of the matrix it picks one real
route guarded by it and calls it for every shop role, from the web and the mobile client, in
a shop with WeChat bound and one without (and for the firm's roles). Allowed means the guard let the call through
(anything but 401, 403 and the guard's 404 ``shop.not_found``; never a 5xx); refused means
403 with the code the matrix cell implies, naming the key.

Calls are made with placeholder ids (random UUIDs) and empty bodies, so an allowed call
usually ends in the route's own 404 or 422: what is checked is the guard's decision, through
the route that really serves the key. Finally, rule 4 is decided for every permission, not
only where the verifier's cell is M today: with a verifier Y cell for every key the
web-client verifier is still refused.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from litestar import Litestar

from api.app import create_app
from rbac.catalog import FIRM_ROLE_GRANTS, MATRIX, SHOP_ROLES, Cell, FirmRole, PolicyLine, ShopRole
from rbac.engine import PolicyEngine
from tests.support.apps import http_client, running
from tests.support.database import TestDatabase
from tests.support.world import Account, World

SHOP_PREFIX = "/api/v1/shops/{shop_id}"
CLIENTS = ("web", "mobile")
PERMISSIONS = sorted(MATRIX)


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # the OpenAPI template, e.g. /api/v1/shops/{shop_id}/members/{user_id}
    params: dict[str, str]  # path parameter -> its schema format or type

    def url(self, shop_id: uuid.UUID) -> str:
        url = self.path.replace("{shop_id}", str(shop_id))
        for name, kind in self.params.items():
            value = {"integer": "1", "string": "x"}.get(kind, str(uuid.uuid4()))
            url = url.replace("{" + name + "}", value)
        return url


def _rank(route: Route, operation: dict[str, Any]) -> tuple[int, int, str]:
    """Prefer reads without ids, then reads, then writes; never a stream."""
    responses = operation.get("responses", {})
    content = {k for r in responses.values() if isinstance(r, dict)
               for k in r.get("content", {})}
    streaming = "stream" in route.path or any("event-stream" in c for c in content)
    return (2 if streaming else 0 if route.method == "get" else 1, len(route.params), route.path)


def routes_by_permission(document: dict[str, Any]) -> dict[str, Route]:
    """The one route per permission key the walk calls (shop routes only)."""
    best: dict[str, tuple[tuple[int, int, str], Route]] = {}
    for path, item in document["paths"].items():
        if not path.startswith(SHOP_PREFIX):
            continue
        for method, operation in item.items():
            if not isinstance(operation, dict) or "x-permission" not in operation:
                continue
            params = {p["name"]: p.get("schema", {}).get("format") or p.get("schema", {}).get("type")
                      for p in operation.get("parameters", [])
                      if p.get("in") == "path" and p["name"] != "shop_id"}
            route = Route(method, path, params)
            rank = _rank(route, operation)
            if rank[0] == 2:
                continue
            key = operation["x-permission"]
            if key not in best or rank < best[key][0]:
                best[key] = (rank, route)
    return {key: route for key, (_, route) in best.items()}


async def call(http: httpx.AsyncClient, route: Route, shop_id: uuid.UUID,
               headers: dict[str, str]) -> httpx.Response:
    body = {} if route.method in ("post", "put", "patch") else None
    return await http.request(route.method.upper(), route.url(shop_id), json=body,
                              headers=headers)


def expected(role: ShopRole, cell: Cell, client: str, wechat_bound: bool) -> str | None:
    """None when allowed; else the refusal code (roles.md rules 4, 5, 7)."""
    if role is ShopRole.VERIFIER and client != "mobile":
        return "client.mobile_only"
    if cell is Cell.ALLOWED:
        return None
    if cell is Cell.WECHAT:
        return None if wechat_bound else "permission.wechat_not_bound"
    if cell is Cell.MOBILE:
        return None if client == "mobile" else "client.mobile_only"
    return "permission.denied"


def outcome(response: httpx.Response, permission: str) -> str | None:
    """None when the guard let the call through; else the refusal code (or what went wrong)."""
    status = response.status_code
    body = response.json() if response.headers.get("content-type", "").startswith(
        "application/json") else {}
    if status >= 500:
        return f"server error {status}: {body.get('code')}"
    if status == 403:
        if body.get("details") != {"permission": permission}:
            return f"403 not naming the permission: {body}"
        return body.get("code")
    if status == 401 or (status == 404 and body.get("code") == "shop.not_found"):
        return f"{status} {body.get('code')}"
    return None


@pytest.fixture(scope="module")
async def served_routes(client: httpx.AsyncClient) -> dict[str, Route]:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    return routes_by_permission(response.json())


@dataclass
class Cast:
    shops: dict[bool, uuid.UUID]  # wechat bound? -> shop
    staff: dict[ShopRole, Account]  # the same person holds one role in both shops


@pytest.fixture(scope="module")
async def cast(world: World) -> Cast:
    founder = await world.user(prefix="founder")
    shops = {bound: (await world.shop(founder, wechat_bound=bound))[0] for bound in (True, False)}
    staff = {ShopRole.FOUNDER: founder}
    for role in SHOP_ROLES[1:]:
        staff[role] = await world.user(prefix=role.value)
        for shop_id in shops.values():
            await world.add_member(shop_id, staff[role], role.value)
    return Cast(shops, staff)


async def test_every_permission_key_guards_a_served_route(
        served_routes: dict[str, Route]) -> None:
    unguarded = sorted(set(MATRIX) - set(served_routes))
    assert unguarded == [], f"permission keys of roles.md that guard no route: {unguarded}"


@pytest.mark.parametrize("role", SHOP_ROLES, ids=[r.value for r in SHOP_ROLES])
async def test_every_role_meets_its_matrix_cell_on_real_routes(
        world: World, served_routes: dict[str, Route], cast: Cast, role: ShopRole) -> None:
    account = cast.staff[role]
    want: dict[tuple[str, str, str], str | None] = {}
    got: dict[tuple[str, str, str], str | None] = {}
    for permission in PERMISSIONS:
        route = served_routes.get(permission)
        if route is None:
            continue  # reported by the test above
        cell = MATRIX[permission][role]
        for bound, shop_id in cast.shops.items():
            for client in CLIENTS:
                case = (permission, client, "bound" if bound else "unbound")
                want[case] = expected(role, cell, client, bound)
                got[case] = outcome(await call(world.client, route, shop_id,
                                               account.headers(client)), permission)
    wrong = {case: (want[case], got[case]) for case in want if want[case] != got[case]}
    assert wrong == {}, f"{role.value}: (expected, got) per (permission, client, wechat)"


@pytest.mark.parametrize("firm_role", list(FirmRole), ids=[r.value for r in FirmRole])
async def test_firm_roles_meet_their_grants_on_real_routes(
        world: World, served_routes: dict[str, Route], cast: Cast, firm_role: FirmRole) -> None:
    account = await world.user(platform_role=firm_role, prefix=firm_role.value)
    grants = FIRM_ROLE_GRANTS[firm_role]
    wrong = {}
    for permission in PERMISSIONS:
        route = served_routes.get(permission)
        if route is None:
            continue
        for client in CLIENTS:
            want = None if permission in grants else "permission.denied"
            got = outcome(await call(world.client, route, cast.shops[True],
                                     account.headers(client)), permission)
            if got != want:
                wrong[(permission, client)] = (want, got)
    assert wrong == {}


# -- rule 4 with a verifier Y cell for every key ---------------------------------------------


@asynccontextmanager
async def _app_with_client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with running(app), http_client(app, port=50002) as http:
        yield http


@pytest.fixture(scope="module")
async def y_cell_world(settings, database: TestDatabase) -> AsyncIterator[World]:  # type: ignore[no-untyped-def]
    """An app of its own, whose policy is about to be changed in memory."""
    app = create_app(settings, database_url=database.app_url, start_policy_listener=False)
    async with _app_with_client(app) as http:
        yield World(app, http)


async def _give_the_verifier_every_key(world: World) -> PolicyEngine:
    runtime = world.runtime
    snapshot = await runtime.load_snapshot()
    snapshot.lines = [*snapshot.lines, *(PolicyLine(p, ShopRole.VERIFIER.value, "always")
                                         for p in PERMISSIONS)]
    engine = PolicyEngine.build(snapshot)
    runtime._swap(engine)  # this app only; the suite's app keeps the real policy
    return engine


async def test_web_verifier_is_refused_even_with_a_y_cell_for_every_key(
        y_cell_world: World, served_routes: dict[str, Route]) -> None:
    world = y_cell_world
    shop_id, _ = await world.shop(wechat_bound=True)
    verifier = await world.staff(shop_id, ShopRole.VERIFIER.value)
    engine = await _give_the_verifier_every_key(world)
    # The change took: from the mobile client the verifier now holds every key.
    assert all(engine.decide(p, str(verifier.id), str(shop_id), "mobile").allowed
               for p in PERMISSIONS)
    through, refused = {}, {}
    for permission in PERMISSIONS:
        route = served_routes.get(permission)
        if route is None:
            continue
        mobile = outcome(await call(world.client, route, shop_id, verifier.headers("mobile")),
                         permission)
        # (A route's own rule may still refuse: the members service, for instance, lets only
        # staff managers change staff. Only the guard's client refusal matters here.)
        if mobile == "client.mobile_only":
            through[permission] = mobile
        web = outcome(await call(world.client, route, shop_id, verifier.headers("web")),
                      permission)
        if web != "client.mobile_only":
            refused[permission] = web
    assert through == {}, "with a Y cell the mobile verifier should be let through"
    assert refused == {}, "rule 4: a web-client verifier is refused every shop request"

"""GET /authz/matrix and GET /authz/routes: what is enforced, read from what enforces it."""

from __future__ import annotations

import re

from rbac.catalog import FIRM_PERMISSIONS, FIRM_ROLE_GRANTS, MATRIX, PERMISSIONS, SHOP_ROLES
from tests.support.world import World

SHOP_PREFIX = "/api/v1/shops/{shop_id:uuid}"


async def test_matrix_has_every_cell_of_the_catalog(world: World) -> None:
    shop_id, founder = await world.shop()
    response = await world.client.get(f"/api/v1/shops/{shop_id}/authz/matrix",
                                      headers=founder.headers())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["shop_roles"] == [role.value for role in SHOP_ROLES]
    assert body["firm_roles"] == ["platform_admin", "platform_auditor"]
    rows = {row["permission"]: row for row in body["permissions"]}
    assert set(rows) == set(MATRIX) | FIRM_PERMISSIONS
    for perm, cells in MATRIX.items():
        assert rows[perm]["cells"] == {role.value: cell.value for role, cell in cells.items()}
    for perm, row in rows.items():
        holders = {role.value for role, grants in FIRM_ROLE_GRANTS.items() if perm in grants}
        assert set(row["firm_roles"]) == holders, perm
    assert rows["customers:read"]["cells"]["agent"] == "B"
    assert rows["verifications:redeem"]["cells"]["verifier"] == "M"
    assert rows["shops:suspend"]["cells"] == dict.fromkeys(rows["shops:suspend"]["cells"], "-")
    assert (body["wechat"], body["status"]) == ("unbound", "active")


async def test_matrix_lists_each_active_member_with_role(world: World) -> None:
    shop_id, founder = await world.shop()
    crew = await world.crew(shop_id, founder)
    await world.remove_member_directly(shop_id, crew["admin"])
    other_shop, other_founder = await world.shop()
    response = await world.client.get(f"/api/v1/shops/{shop_id}/authz/matrix",
                                      headers=crew["platform_auditor"].headers())
    members = {m["user_id"]: (m["email"], m["role"]) for m in response.json()["members"]}
    assert members == {
        str(crew[role].id): (crew[role].email, role)
        for role in ("founder", "senior_admin", "agent", "verifier")
    }
    assert str(other_founder.id) not in members


async def test_route_map_covers_every_route_with_its_permission(world: World) -> None:
    shop_id, founder = await world.shop()
    response = await world.client.get(f"/api/v1/shops/{shop_id}/authz/routes",
                                      headers=founder.headers())
    assert response.status_code == 200, response.text
    routes = {(r["method"], r["path"]): r["permission"] for r in response.json()["routes"]}
    assert routes[("GET", f"{SHOP_PREFIX}/authz/routes")] == "audit:read"
    assert routes[("POST", f"{SHOP_PREFIX}/authz/explain")] == "audit:read"
    assert routes[("GET", f"{SHOP_PREFIX}/audit/verify")] == "audit:read"
    assert routes[("POST", f"{SHOP_PREFIX}/suspend")] == "shops:suspend"
    assert routes[("POST", "/api/v1/auth/login")] == "public"
    assert all(method != "OPTIONS" for method, _ in routes)
    assert set(routes.values()) <= PERMISSIONS | {"public"}, "every route declares a permission"

    # Same set of (method, path) pairs as the app really serves, automatic OPTIONS aside.
    served = {
        (method, route.path)
        for route in world.app.routes if hasattr(route, "route_handlers")
        for handler in route.route_handlers
        if handler.handler_name != "options_handler"
        for method in handler.http_methods
    }
    assert set(routes) == served


async def test_route_map_agrees_with_the_openapi_document(world: World) -> None:
    shop_id, founder = await world.shop()
    routes = (await world.client.get(f"/api/v1/shops/{shop_id}/authz/routes",
                                     headers=founder.headers())).json()["routes"]
    schema = (await world.client.get("/schema/openapi.json")).json()
    documented = {
        (method.upper(), path): operation.get("x-permission")
        for path, item in schema["paths"].items()
        for method, operation in item.items() if isinstance(operation, dict)
        and method in {"get", "post", "put", "patch", "delete"}
    }
    assert documented, "the OpenAPI document lists operations"
    api_routes = [r for r in routes if r["path"].startswith("/api/v1")]
    assert api_routes
    for route in api_routes:
        openapi_path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route["path"])
        assert documented[(route["method"], openapi_path)] == route["permission"], route

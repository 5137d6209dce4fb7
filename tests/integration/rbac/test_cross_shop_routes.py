"""Every shop-scoped route, called for another shop, answers 404: it never reveals that the
other shop or its objects exist. Walks the app's routes so a new route is covered at once."""

from __future__ import annotations

import re
import uuid

import pytest
from litestar import Litestar

from tests.support.world import World

SHOP_PREFIX = "/api/v1/shops/{shop_id:uuid}"


def _shop_routes(app: Litestar) -> list[tuple[str, str]]:
    routes = []
    for route in app.routes:
        if not route.path.startswith(SHOP_PREFIX):
            continue
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods:
                if method != "OPTIONS":
                    routes.append((method, route.path))
    return sorted(routes)


def _fill(path: str, shop_id: uuid.UUID) -> str:
    path = path.replace("{shop_id:uuid}", str(shop_id))
    # Any other path parameter gets a random, well-formed value.
    return re.sub(r"\{[a-z_]+:uuid\}", str(uuid.uuid4()), path)


async def test_the_walk_covers_the_shop_routes(app: Litestar) -> None:
    paths = {path for _, path in _shop_routes(app)}
    assert f"{SHOP_PREFIX}/members" in paths and SHOP_PREFIX in paths


@pytest.mark.parametrize("target", ["other_shop", "unknown_shop"])
async def test_every_shop_route_hides_other_shops(app: Litestar, world: World, target: str) -> None:
    shop_a, founder_a = await world.shop()
    shop_b, _ = await world.shop()
    other = shop_b if target == "other_shop" else uuid.uuid4()
    for client in ("web", "mobile"):
        for method, path in _shop_routes(app):
            response = await world.client.request(
                method, _fill(path, other), headers=founder_a.headers(client), json={})
            assert response.status_code == 404, (method, path, response.text)
            assert response.json()["code"] == "shop.not_found", (method, path)
    # ...while the founder's own shop answers the same routes with something else.
    response = await world.client.get(f"/api/v1/shops/{shop_a}", headers=founder_a.headers())
    assert response.status_code == 200


async def test_every_shop_route_needs_a_token(app: Litestar, world: World) -> None:
    shop_a, _ = await world.shop()
    for method, path in _shop_routes(app):
        response = await world.client.request(method, _fill(path, shop_a), json={})
        assert response.status_code == 401, (method, path)
        assert response.json()["code"] == "auth.token_missing"

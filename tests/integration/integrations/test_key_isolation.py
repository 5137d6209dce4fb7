"""A key of shop A never acts in shop B: 404 on every shop route, whatever its scopes."""

from __future__ import annotations

import uuid

from litestar import Litestar

from rbac.catalog import INTEGRATION_SCOPES
from tests.integration.conversations.workspace import (
    assert_error,
    go_online,
    inbound,
    key_headers,
    make_key,
    shop_path,
)
from tests.integration.rbac.test_cross_shop_routes import _fill, _shop_routes
from tests.support.world import World


async def test_a_key_of_another_shop_gets_404_on_every_route(app: Litestar, world: World) -> None:
    shop_a, founder_a = await world.shop()
    shop_b, founder_b = await world.shop()
    key_a = await make_key(world, shop_a, founder_a, sorted(INTEGRATION_SCOPES))
    for method, path in _shop_routes(app):
        response = await world.client.request(method, _fill(path, shop_b),
                                              headers=key_headers(key_a), json={})
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["code"] == "shop.not_found", (method, path)
    # Shop B's own key works there.
    key_b = await make_key(world, shop_b, founder_b, ["messages:ingest"])
    assert (await inbound(world, shop_b, key_b)).status_code == 200


async def test_another_shops_conversation_is_not_found(world: World) -> None:
    shop_a, founder_a = await world.shop()
    shop_b, founder_b = await world.shop()
    key_b = await make_key(world, shop_b, founder_b)
    foreign = (await inbound(world, shop_b, key_b)).json()["conversation_id"]
    await go_online(world, shop_a, founder_a)
    for method, rest, body in (
            ("GET", "", None), ("GET", "/messages", None), ("POST", "/claim", None),
            ("POST", "/messages", {"text": "hi"}), ("POST", "/notes", {"text": "hi"}),
            ("POST", "/status", {"status": "resolved"}),
            ("POST", "/transfer", {"to_user_id": str(founder_a.id), "reason": "x"})):
        response = await world.client.request(
            method, shop_path(shop_a, f"/conversations/{foreign}{rest}"),
            headers=founder_a.headers(), json=body)
        assert_error(response, 404, "conversation.not_found")
    revoke = await world.client.post(
        shop_path(shop_a, f"/integration-keys/{key_b['id']}/revoke"), headers=founder_a.headers())
    assert_error(revoke, 404, "integration_key.not_found")
    assert (await inbound(world, shop_b, key_b)).status_code == 200
    assert uuid.UUID(foreign)

"""Integration keys: created with the secret shown once, listed, revoked at once everywhere."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from api.db.shop_context import bind_shop
from tests.integration.conversations.workspace import (
    assert_error,
    inbound,
    key_headers,
    make_key,
    shop_path,
)
from tests.support.world import World


async def test_founder_creates_a_key_and_sees_its_secret_only_once(world: World) -> None:
    shop_id, founder = await world.shop()
    key = await make_key(world, shop_id, founder, ["messages:ingest"], name="WeChat bridge")
    assert key["token"].startswith("sdk_") and key["prefix"] == key["token"][:12]
    assert key["scopes"] == ["messages:ingest"] and key["revoked_at"] is None
    listed = await world.client.get(shop_path(shop_id, "/integration-keys"),
                                    headers=founder.headers())
    assert listed.status_code == 200
    (item,) = listed.json()["items"]
    assert item["id"] == key["id"] and "token" not in item and item["name"] == "WeChat bridge"
    async with world.app.state.sessionmaker() as session, session.begin():
        await bind_shop(session, shop_id)
        stored = (await session.execute(text(
            "SELECT secret_hash FROM integration_keys WHERE shop_id = :s"), {"s": shop_id})).scalar_one()
    assert key["token"].encode() not in bytes(stored)


async def test_key_list_is_cursor_paginated(world: World) -> None:
    shop_id, founder = await world.shop()
    made = [(await make_key(world, shop_id, founder, name=f"k{i}"))["id"] for i in range(3)]
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await world.client.get(shop_path(shop_id, "/integration-keys"), params=params,
                                       headers=founder.headers())).json()
        seen += [k["id"] for k in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made
    bad = await world.client.get(shop_path(shop_id, "/integration-keys"),
                                 params={"cursor": "bm9wZQ"}, headers=founder.headers())
    assert_error(bad, 400, "pagination.invalid_cursor")


async def test_only_founder_and_senior_admin_manage_keys(world: World) -> None:
    shop_id, founder = await world.shop()
    crew = await world.crew(shop_id, founder)
    for role in ("admin", "agent"):
        response = await world.client.post(shop_path(shop_id, "/integration-keys"),
                                           headers=crew[role].headers(),
                                           json={"name": "x", "scopes": ["events:read"]})
        body = assert_error(response, 403, "permission.denied")
        assert body["details"]["permission"] == "integrations:manage"
    ok = await world.client.get(shop_path(shop_id, "/integration-keys"),
                                headers=crew["senior_admin"].headers())
    assert ok.status_code == 200


async def test_bad_key_requests_are_refused_with_their_own_codes(world: World) -> None:
    shop_id, founder = await world.shop()
    path = shop_path(shop_id, "/integration-keys")
    unknown = await world.client.post(path, headers=founder.headers(),
                                      json={"name": "x", "scopes": ["orders:teleport"]})
    assert_error(unknown, 422, "integration_key.unknown_scope")
    staff_scope = await world.client.post(path, headers=founder.headers(),
                                          json={"name": "x", "scopes": ["staff:add"]})
    assert_error(staff_scope, 422, "integration_key.unknown_scope")
    nul = await world.client.post(path, headers=founder.headers(),
                                  json={"name": "a\x00b", "scopes": ["events:read"]})
    assert_error(nul, 400, "request.nul_character")
    for body in ({"name": "x" * 101, "scopes": ["events:read"]},
                 {"name": "   ", "scopes": ["events:read"]},
                 {"name": "x", "scopes": []},
                 {"name": "x", "scopes": ["events:read"], "admin": True}):
        assert_error(await world.client.post(path, headers=founder.headers(), json=body),
                     422, "request.validation_failed")
    missing = await world.client.post(shop_path(shop_id, f"/integration-keys/{uuid.uuid4()}/revoke"),
                                      headers=founder.headers())
    assert_error(missing, 404, "integration_key.not_found")


async def test_a_revoked_key_is_refused_at_once(world: World) -> None:
    shop_id, founder = await world.shop()
    key = await make_key(world, shop_id, founder)
    assert (await inbound(world, shop_id, key)).status_code == 200  # cached in this process
    revoked = await world.client.post(shop_path(shop_id, f"/integration-keys/{key['id']}/revoke"),
                                      headers=founder.headers())
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert_error(await inbound(world, shop_id, key), 401, "auth.key_revoked")
    again = await world.client.post(shop_path(shop_id, f"/integration-keys/{key['id']}/revoke"),
                                    headers=founder.headers())
    assert_error(again, 409, "integration_key.already_revoked")


async def test_a_key_acts_only_with_its_scopes_and_never_on_staff_routes(world: World) -> None:
    shop_id, founder = await world.shop()
    key = await make_key(world, shop_id, founder, ["customers:write"])
    body = assert_error(await inbound(world, shop_id, key), 403, "integration.scope_missing")
    assert body["details"]["permission"] == "messages:ingest"
    staff = await world.client.get(shop_path(shop_id, "/conversations/queue"),
                                   headers=key_headers(key))
    assert_error(staff, 403, "integration.staff_only")
    keys = await world.client.get(shop_path(shop_id, "/integration-keys"), headers=key_headers(key))
    assert_error(keys, 403, "integration.staff_only")


async def test_uses_are_audited_and_last_used_is_stamped(world: World) -> None:
    shop_id, founder = await world.shop()
    key = await make_key(world, shop_id, founder, ["messages:ingest"])
    answer = (await inbound(world, shop_id, key)).json()
    async with world.app.state.sessionmaker() as session, session.begin():
        await bind_shop(session, shop_id)
        entry = (await session.execute(text(
            "SELECT actor_id, client, target FROM audit_log WHERE shop_id = :s "
            "AND action = 'message.inbound'"), {"s": shop_id})).one()
        used = (await session.execute(text(
            "SELECT last_used_at FROM integration_keys WHERE shop_id = :s"),
            {"s": shop_id})).scalar_one()
        created = (await session.execute(text(
            "SELECT actor_id, details FROM audit_log WHERE shop_id = :s "
            "AND action = 'integration_key.created'"), {"s": shop_id})).one()
    assert (str(entry.actor_id), entry.client, entry.target) == (
        key["id"], "integration_key", answer["message_id"])
    assert used is not None
    assert created.actor_id == founder.id and created.details["prefix"] == key["prefix"]

"""``Idempotency-Key``: one execution per key, the first answer replayed, misuse refused."""

from __future__ import annotations

import asyncio
import hashlib
import uuid

import asyncpg
import pytest

from api import idempotency
from rbac.catalog import FirmRole
from tests.support.database import TestDatabase
from tests.support.mailbox import mail_count
from tests.support.world import World

ENDPOINTS = "/api/v1/shops/{shop}/webhooks/endpoints"
# A public address literal: allowed whatever the SSRF setting, and no DNS needed.
BODY = {"url": "https://93.184.215.14/hook", "event_types": ["*"]}


def _key() -> dict[str, str]:
    return {"Idempotency-Key": f"k-{uuid.uuid4().hex}"}


async def _count(world: World, shop_id: uuid.UUID, founder) -> int:  # type: ignore[no-untyped-def]
    listed = await world.client.get(ENDPOINTS.format(shop=shop_id) + "?limit=200",
                                    headers=founder.headers())
    return len(listed.json()["items"])


async def test_same_key_same_body_replays_the_first_answer(world: World) -> None:
    shop_id, founder = await world.shop()
    headers = {**founder.headers(), **_key()}
    first = await world.client.post(ENDPOINTS.format(shop=shop_id), json=BODY, headers=headers)
    # Same JSON, other spacing and key order: the same request.
    again = await world.client.post(
        ENDPOINTS.format(shop=shop_id), headers={**headers, "content-type": "application/json"},
        content=b'{ "event_types": ["*"],  "url": "https://93.184.215.14/hook" }')
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()  # the secret too: the one endpoint's, shown again
    assert again.headers["idempotency-replayed"] == "true"
    assert "idempotency-replayed" not in first.headers
    assert await _count(world, shop_id, founder) == 1


async def test_same_key_other_body_is_422(world: World) -> None:
    shop_id, founder = await world.shop()
    headers = {**founder.headers(), **_key()}
    await world.client.post(ENDPOINTS.format(shop=shop_id), json=BODY, headers=headers)
    other = await world.client.post(ENDPOINTS.format(shop=shop_id),
                                    json={**BODY, "description": "x"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency.key_reused"


async def test_concurrent_duplicates_execute_once(world: World) -> None:
    shop_id, founder = await world.shop()
    headers = {**founder.headers(), **_key()}
    answers = await asyncio.gather(*[
        world.client.post(ENDPOINTS.format(shop=shop_id), json=BODY, headers=headers)
        for _ in range(4)])
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    assert await _count(world, shop_id, founder) == 1


async def test_keys_are_scoped_per_caller_and_per_shop(world: World) -> None:
    shop_id, founder = await world.shop()
    senior = await world.staff(shop_id, "senior_admin")
    other_shop, other_founder = await world.shop()
    key = _key()
    a = await world.client.post(ENDPOINTS.format(shop=shop_id), json=BODY,
                                headers={**founder.headers(), **key})
    b = await world.client.post(ENDPOINTS.format(shop=shop_id), json=BODY,
                                headers={**senior.headers(), **key})
    c = await world.client.post(ENDPOINTS.format(shop=other_shop), json=BODY,
                                headers={**other_founder.headers(), **key})
    assert a.status_code == b.status_code == c.status_code == 201
    assert len({a.json()["id"], b.json()["id"], c.json()["id"]}) == 3


async def test_a_refused_request_leaves_the_key_free(world: World) -> None:
    shop_id, founder = await world.shop()
    headers = {**founder.headers(), **_key()}
    bad = await world.client.post(ENDPOINTS.format(shop=shop_id),
                                  json={**BODY, "url": "ftp://93.184.215.14/x"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["code"] == "webhook.url_invalid"
    good = await world.client.post(ENDPOINTS.format(shop=shop_id), json=BODY, headers=headers)
    assert good.status_code == 201


async def test_expired_keys_are_forgotten(world: World, database: TestDatabase) -> None:
    shop_id, founder = await world.shop()
    key = _key()
    headers = {**founder.headers(), **key}
    await world.client.post(ENDPOINTS.format(shop=shop_id), json=BODY, headers=headers)
    owner = await asyncpg.connect(database.owner_dsn)
    try:
        async with owner.transaction():
            await owner.execute("SELECT set_config('app.shop_id', $1, true)", str(shop_id))
            await owner.execute("UPDATE idempotency_keys SET expires_at = now() - interval '1 s' "
                                "WHERE shop_id = $1 AND key = $2", shop_id,
                                key["Idempotency-Key"])
    finally:
        await owner.close()
    fresh = await world.client.post(ENDPOINTS.format(shop=shop_id),
                                    json={**BODY, "description": "new"}, headers=headers)
    assert fresh.status_code == 201 and fresh.json()["description"] == "new"


async def test_a_key_still_running_is_409_after_the_wait(
        world: World, database: TestDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(idempotency, "WAIT_SECONDS", 1)
    shop_id, founder = await world.shop()
    key = _key()
    holder = await asyncpg.connect(database.app_dsn)
    try:
        tx = holder.transaction()
        await tx.start()  # a first request that has claimed the key and not yet committed
        await holder.execute("SELECT set_config('app.shop_id', $1, true)", str(shop_id))
        await holder.execute(
            "INSERT INTO idempotency_keys (shop_id, caller, key, route, request_hash, expires_at)"
            " VALUES ($1, $2, $3, '', $4, now() + interval '1 day')", shop_id,
            f"user:{founder.id}", key["Idempotency-Key"], hashlib.sha256(b"x").digest())
        waiting = await world.client.post(ENDPOINTS.format(shop=shop_id), json=BODY,
                                          headers={**founder.headers(), **key})
        await tx.rollback()
    finally:
        await holder.close()
    assert waiting.status_code == 409
    assert waiting.json()["code"] == "idempotency.in_progress"
    assert await _count(world, shop_id, founder) == 0


@pytest.mark.parametrize("value", [b"x" * 256, "café".encode(), b"two words", b"\x01"])
async def test_malformed_keys_are_refused(world: World, value: bytes) -> None:
    shop_id, founder = await world.shop()
    response = await world.client.post(
        ENDPOINTS.format(shop=shop_id), json=BODY,
        headers={**founder.headers(), "Idempotency-Key": value})  # type: ignore[dict-item]
    assert 400 <= response.status_code < 500
    assert await _count(world, shop_id, founder) == 0


async def test_firm_onboarding_and_member_add_are_idempotent(world: World) -> None:
    admin = await world.user(platform_role=FirmRole.PLATFORM_ADMIN, prefix="platform-admin")
    founder = await world.user(prefix="founder")
    body = {"name": "Shop", "slug": f"s-{uuid.uuid4().hex[:10]}", "timezone": "Asia/Shanghai",
            "founder": {"user_id": str(founder.id)}}
    headers = {**admin.headers(), **_key()}
    first = await world.client.post("/api/v1/shops", json=body, headers=headers)
    again = await world.client.post("/api/v1/shops", json=body, headers=headers)
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json() and again.headers["idempotency-replayed"] == "true"

    shop_id = first.json()["shop"]["id"]
    # The firm places one of its people as an agent (the one add by id left to newcomers).
    member = await world.user(prefix="agent", login=False)
    add = {"user_id": str(member.id), "role": "agent"}
    headers = {**admin.headers(), **_key()}
    one = await world.client.post(f"/api/v1/shops/{shop_id}/members", json=add, headers=headers)
    two = await world.client.post(f"/api/v1/shops/{shop_id}/members", json=add, headers=headers)
    assert one.status_code == two.status_code == 201, two.text
    assert two.json() == one.json() and two.headers["idempotency-replayed"] == "true"


async def test_founder_invited_at_onboarding_is_invited_once_per_key(world: World) -> None:
    admin = await world.user(platform_role=FirmRole.PLATFORM_ADMIN, prefix="platform-admin")
    address = f"founder-{uuid.uuid4().hex[:10]}@example.com"
    body = {"name": "Shop", "slug": f"s-{uuid.uuid4().hex[:10]}", "timezone": "Asia/Shanghai",
            "founder": {"email": address}}
    headers = {**admin.headers(), **_key()}
    first = await world.client.post("/api/v1/shops", json=body, headers=headers)
    again = await world.client.post("/api/v1/shops", json=body, headers=headers)
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json() and again.json()["invitation"]["email"] == address
    assert mail_count(world, address) == 1  # the replay mails nothing


def test_openapi_documents_the_header(world: World) -> None:
    doc = world.app.openapi_schema.to_schema()
    op = doc["paths"]["/api/v1/shops/{shop_id}/webhooks/endpoints"]["post"]
    [param] = [p for p in op["parameters"] if p["name"] == "Idempotency-Key"]
    assert param["in"] == "header" and param["required"] is False

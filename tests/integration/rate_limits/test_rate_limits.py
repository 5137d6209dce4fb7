"""Rate limits for integration keys: per key, per shop, in the database, set by the firm."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import get
from sqlalchemy import text

from api.app import create_app
from api.auth.integration_keys import generate_key
from api.db.shop_context import bind_shop
from api.routing import requires
from rbac.catalog import FirmRole
from tests.support.apps import http_client, running
from tests.support.database import TestDatabase
from tests.support.world import World


@get("/probe", **requires("events:read"))
async def probe() -> dict[str, bool]:
    """A route an integration key may call, and nothing else."""
    return {"ok": True}


@pytest.fixture(scope="module")
async def apps(settings, database: TestDatabase) -> AsyncIterator[list[httpx.AsyncClient]]:  # type: ignore[no-untyped-def]
    """Two app instances on one database: two server processes, as far as limits care."""
    made = [create_app(settings, database_url=database.app_url,
                       extra_shop_route_handlers=[probe]) for _ in range(2)]
    async with running(made[0]) as a, running(made[1]) as b:
        async with http_client(a) as one, http_client(b) as two:
            yield [one, two]


async def _key(world: World, shop_id: uuid.UUID) -> dict[str, str]:
    key = generate_key()

    async def work(session):  # type: ignore[no-untyped-def]
        await bind_shop(session, shop_id)
        await session.execute(text(
            "INSERT INTO integration_keys (shop_id, id, name, prefix, secret_hash, scopes) "
            "VALUES (:s, :id, 'test', :p, :h, :scopes)"), {
                "s": shop_id, "id": key.key_id, "p": key.prefix, "h": key.secret_hash,
                "scopes": ["events:read"]})

    await world._commit(work)
    return {"Authorization": f"Bearer {key.token}"}


async def _set_limits(world: World, shop_id: uuid.UUID, **limits: int) -> httpx.Response:
    admin = await world.user(platform_role=FirmRole.PLATFORM_ADMIN, prefix="platform-admin")
    return await world.client.put(f"/api/v1/shops/{shop_id}/rate-limits",
                                  json={"window_seconds": 86400, **limits},
                                  headers=admin.headers())


async def test_headers_count_down_and_429_past_the_key_limit(
        world: World, apps: list[httpx.AsyncClient]) -> None:
    shop_id, _ = await world.shop()
    assert (await _set_limits(world, shop_id, per_key=3, per_shop=100)).status_code == 200
    key = await _key(world, shop_id)
    probe_path = f"/api/v1/shops/{shop_id}/probe"
    answers = [await apps[i % 2].get(probe_path, headers=key) for i in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    # Alternating between the two instances: one shared count.
    assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert {a.headers["ratelimit-limit"] for a in answers} == {"3"}
    assert 0 < int(answers[0].headers["ratelimit-reset"]) <= 86400
    refused = answers[3]
    assert refused.json()["code"] == "rate_limit.exceeded"
    assert refused.json()["details"]["bucket"] == "key"
    assert refused.headers["retry-after"] == refused.headers["ratelimit-reset"]


async def test_the_shop_limit_covers_all_its_keys(world: World,
                                                  apps: list[httpx.AsyncClient]) -> None:
    shop_id, _ = await world.shop()
    await _set_limits(world, shop_id, per_key=10, per_shop=3)
    keys = [await _key(world, shop_id) for _ in range(2)]
    probe_path = f"/api/v1/shops/{shop_id}/probe"
    codes = [(await apps[0].get(probe_path, headers=keys[i % 2])).status_code for i in range(3)]
    refused = await apps[1].get(probe_path, headers=keys[1])
    assert codes == [200, 200, 200] and refused.status_code == 429
    assert refused.json()["details"]["bucket"] == "shop"
    # Another shop's keys are not affected.
    other, _ = await world.shop()
    other_key = await _key(world, other)
    assert (await apps[0].get(f"/api/v1/shops/{other}/probe", headers=other_key)).status_code == 200


async def test_staff_requests_are_not_limited_here(world: World) -> None:
    shop_id, founder = await world.shop()
    response = await world.client.get(f"/api/v1/shops/{shop_id}/rate-limits",
                                      headers=founder.headers())
    assert response.status_code == 403  # and a staff answer carries no counters
    assert "ratelimit-limit" not in response.headers


async def test_only_the_platform_admin_configures_limits(world: World) -> None:
    shop_id, founder = await world.shop()
    crew = await world.crew(shop_id, founder)
    path = f"/api/v1/shops/{shop_id}/rate-limits"
    body = {"per_key": 5, "per_shop": 9}
    for role in ("founder", "senior_admin", "platform_auditor"):
        refused = await world.client.put(path, json=body, headers=crew[role].headers())
        assert refused.status_code == 403, role
        assert refused.json()["details"]["permission"] == "shops:configure_limits"
    assert (await world.client.put(path, json=body, headers=crew["outsider"].headers())
            ).status_code == 404
    admin = crew["platform_admin"]
    before = (await world.client.get(path, headers=admin.headers())).json()
    assert before["custom"] is False
    after = await world.client.put(path, json=body, headers=admin.headers())
    assert after.status_code == 200
    assert after.json() | {"updated_at": None} == {
        "per_key": 5, "per_shop": 9, "window_seconds": 60, "custom": True,
        "updated_by": str(admin.id), "updated_at": None}
    reset = await world.client.delete(path, headers=admin.headers())
    assert reset.json()["custom"] is False
    missing = await world.client.get(f"/api/v1/shops/{uuid.uuid4()}/rate-limits",
                                     headers=admin.headers())
    assert missing.status_code == 404


@pytest.mark.parametrize("body", [
    {"per_key": 0, "per_shop": 1}, {"per_key": 1, "per_shop": 10**12},
    {"per_key": 1, "per_shop": 1, "window_seconds": 0}, {"per_key": [1], "per_shop": 1},
    {"per_key": 1, "per_shop": 1, "burst": 3}, {"per_key": 1},
])
async def test_bad_limits_are_422(world: World, body: dict) -> None:  # type: ignore[type-arg]
    shop_id, _ = await world.shop()
    admin = await world.user(platform_role=FirmRole.PLATFORM_ADMIN, prefix="platform-admin")
    response = await world.client.put(f"/api/v1/shops/{shop_id}/rate-limits", json=body,
                                      headers=admin.headers())
    assert response.status_code == 422 and response.json()["code"] == "request.validation_failed"


"""Bad input gets one JSON error shape with a stable code, never a 500."""

from __future__ import annotations

import httpx
import pytest

from rbac.catalog import FirmRole
from tests.support.http import assert_error
from tests.support.paths import LOGIN
from tests.support.world import World

JSON = {"content-type": "application/json"}


@pytest.mark.parametrize("raw", [b"{not json", b'{"email": "a@b.co",', b"\xff\xfe", b"nul"])
async def test_malformed_json_is_400_malformed_body(client: httpx.AsyncClient, raw: bytes) -> None:
    body = assert_error(await client.post(LOGIN, content=raw, headers=JSON),
                              400, "request.malformed_body")
    assert body["details"]["reason"]


async def test_missing_body_is_400_malformed_body(client: httpx.AsyncClient) -> None:
    assert_error(await client.post(LOGIN), 400, "request.malformed_body")


async def test_wrong_type_is_422_with_the_field_named(client: httpx.AsyncClient) -> None:
    response = await client.post(LOGIN, json={"email": 5, "password": "x"})
    body = assert_error(response, 422, "request.validation_failed")
    assert [e["key"] for e in body["details"]["errors"]] == ["email"]


async def test_unknown_field_is_422_with_the_field_named(client: httpx.AsyncClient) -> None:
    response = await client.post(LOGIN, json={"email": "a@b.co", "password": "x", "admin": True})
    body = assert_error(response, 422, "request.validation_failed")
    assert "admin" in body["details"]["errors"][0]["message"]


async def test_json_of_the_wrong_shape_is_422(client: httpx.AsyncClient) -> None:
    assert_error(await client.post(LOGIN, content=b"[1, 2]", headers=JSON),
                       422, "request.validation_failed")


async def test_bad_query_parameter_is_422(world: World, client: httpx.AsyncClient) -> None:
    admin = await world.user(platform_role=FirmRole.PLATFORM_ADMIN)
    response = await client.get("/api/v1/shops", params={"limit": "many"},
                                headers=admin.headers())
    body = assert_error(response, 422, "request.validation_failed")
    assert body["details"]["errors"][0]["key"] == "limit"


async def test_body_over_the_limit_is_413_too_large(client: httpx.AsyncClient, settings) -> None:  # type: ignore[no-untyped-def]
    raw = b'{"email": "' + b"a" * settings.server.max_body_bytes + b'"}'
    assert_error(await client.post(LOGIN, content=raw, headers=JSON),
                       413, "request.too_large")


async def test_unknown_route_is_404_route_not_found(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/api/v1/nothing-here"), 404, "route.not_found")


async def test_wrong_method_is_405_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.delete(LOGIN)
    assert_error(response, 405, "request.method_not_allowed")
    assert "POST" in response.headers["allow"]


async def test_a_path_id_that_is_not_a_uuid_is_404(world: World, client: httpx.AsyncClient) -> None:
    founder = await world.user()
    for path in ("/api/v1/shops/not-a-uuid", "/api/v1/shops/1234/"):
        assert_error(await client.get(path, headers=founder.headers()),
                           404, "route.not_found")


async def test_bad_cursor_is_400_invalid_cursor(world: World, client: httpx.AsyncClient) -> None:
    admin = await world.user(platform_role=FirmRole.PLATFORM_ADMIN)
    for cursor in ("%%%", "bm90LWEtbGlzdA", "WzEsMl0"):  # garbage, "not-a-list", [1,2]
        response = await client.get("/api/v1/shops", params={"cursor": cursor},
                                    headers=admin.headers())
        assert_error(response, 400, "pagination.invalid_cursor")

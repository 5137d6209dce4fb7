"""Every response carries a request id: the caller's when sane, a fresh one otherwise."""

from __future__ import annotations

import httpx
import pytest

from tests.support.world import World


@pytest.mark.parametrize("path", ["/health/live", "/api/v1/nothing-here", "/api/v1/me"])
async def test_sane_request_id_is_echoed(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path, headers={"X-Request-ID": "trace-42.a_b"})
    assert response.headers.get_list("x-request-id") == ["trace-42.a_b"]
    if response.status_code >= 400:
        assert response.json()["request_id"] == "trace-42.a_b"


@pytest.mark.parametrize("bad", ["has space", "x" * 129, "semi;colon", "新"])
async def test_insane_request_id_is_replaced(client: httpx.AsyncClient, bad: str) -> None:
    response = await client.get("/api/v1/me", headers={"X-Request-ID": bad.encode("utf-8")})  # type: ignore[dict-item]
    assert response.status_code == 401
    generated = response.headers["x-request-id"]
    assert generated != bad and len(generated) == 32
    assert response.json()["request_id"] == generated


async def test_request_id_is_generated_when_absent(world: World, client: httpx.AsyncClient) -> None:
    account = await world.user()
    first = await client.get("/api/v1/me", headers=account.headers())
    second = await client.get("/api/v1/me", headers=account.headers())
    assert first.status_code == 200
    ids = first.headers.get_list("x-request-id") + second.headers.get_list("x-request-id")
    assert len(ids) == 2 and ids[0] != ids[1]


async def test_errors_inside_the_route_carry_one_request_id_header(
        world: World, client: httpx.AsyncClient) -> None:
    account = await world.user()
    headers = {**account.headers(), "X-Request-ID": "inside-1"}
    denied = await client.get("/api/v1/shops", headers=headers)  # guard refusal
    invalid = await client.post("/api/v1/auth/login", json={"email": 1}, headers=headers)
    for response in (denied, invalid):
        assert response.status_code in {403, 422}
        assert response.headers.get_list("x-request-id") == ["inside-1"]
        assert response.json()["request_id"] == "inside-1"

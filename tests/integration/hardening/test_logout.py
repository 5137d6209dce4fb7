"""Logout logs out: the session's access tokens are refused on the next request, in every
process (here: this app, and a second app with its own policy runtime on the same database,
which learns of the change only through the journal and its notifications)."""

from __future__ import annotations

import asyncio
import time

import httpx
import jwt

from api.app import create_app
from tests.support.apps import http_client, running
from tests.support.database import TestDatabase
from tests.support.world import PASSWORD, World

ME = "/api/v1/me/"


async def _login(client: httpx.AsyncClient, email: str, device: str = "web") -> dict:
    response = await client.post("/api/v1/auth/login", json={
        "email": email, "password": PASSWORD, "client": device})
    assert response.status_code == 200, response.text
    return response.json()


def _bearer(pair: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}


async def _refused(client: httpx.AsyncClient, pair: dict) -> None:
    response = await client.get(ME, headers=_bearer(pair))
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "auth.session_revoked"


async def test_an_access_token_carries_its_session_and_nothing_more(world: World) -> None:
    account = await world.user(login=False)
    pair = await _login(world.client, account.email)
    claims = jwt.decode(pair["access_token"], options={"verify_signature": False})
    assert set(claims) == {"sub", "cli", "jti", "sid", "iat", "exp", "iss", "aud"}


async def test_after_logout_the_sessions_access_token_is_refused(world: World) -> None:
    account = await world.user(login=False)
    web = await _login(world.client, account.email)
    mobile = await _login(world.client, account.email, "mobile")
    assert (await world.client.get(ME, headers=_bearer(web))).status_code == 200
    out = await world.client.post("/api/v1/auth/logout", headers=_bearer(web),
                                  json={"refresh_token": web["refresh_token"]})
    assert out.status_code == 204, out.text
    await _refused(world.client, web)
    # Its refresh token is dead too, and the other device stays signed in.
    again = await world.client.post("/api/v1/auth/refresh",
                                    json={"refresh_token": web["refresh_token"]})
    assert again.status_code == 401
    assert (await world.client.get(ME, headers=_bearer(mobile))).status_code == 200


async def test_logout_with_an_unknown_refresh_token_still_ends_this_session(world: World) -> None:
    account = await world.user(login=False)
    web = await _login(world.client, account.email)
    out = await world.client.post("/api/v1/auth/logout", headers=_bearer(web),
                                  json={"refresh_token": "x" * 43})
    assert out.status_code == 204, out.text
    await _refused(world.client, web)


async def test_refresh_reuse_refuses_every_access_token_of_the_family(world: World) -> None:
    account = await world.user(login=False)
    first = await _login(world.client, account.email)
    rotated = await world.client.post("/api/v1/auth/refresh",
                                      json={"refresh_token": first["refresh_token"]})
    second = rotated.json()
    assert (await world.client.get(ME, headers=_bearer(second))).status_code == 200
    reuse = await world.client.post("/api/v1/auth/refresh",
                                    json={"refresh_token": first["refresh_token"]})
    assert reuse.json()["code"] == "auth.refresh_reused"
    await _refused(world.client, first)
    await _refused(world.client, second)


async def test_a_rebuilt_policy_still_refuses_the_signed_out_session(world: World) -> None:
    account = await world.user(login=False)
    web = await _login(world.client, account.email)
    await world.client.post("/api/v1/auth/logout", headers=_bearer(web),
                            json={"refresh_token": web["refresh_token"]})
    await world.runtime.rebuild()  # what a process starting now would load
    await _refused(world.client, web)


async def test_another_process_refuses_it_on_its_next_request(world: World, settings,  # type: ignore[no-untyped-def]
                                                              database: TestDatabase) -> None:
    other = create_app(settings, database_url=database.app_url)
    async with running(other), http_client(other, port=50001) as elsewhere:
        account = await world.user(login=False)
        web = await _login(world.client, account.email)
        assert (await elsewhere.get(ME, headers=_bearer(web))).status_code == 200
        await world.client.post("/api/v1/auth/logout", headers=_bearer(web),
                                json={"refresh_token": web["refresh_token"]})
        deadline = time.monotonic() + 10
        while (await elsewhere.get(ME, headers=_bearer(web))).status_code == 200:
            assert time.monotonic() < deadline, "the other process never learnt of the logout"
            await asyncio.sleep(0.05)
        await _refused(elsewhere, web)

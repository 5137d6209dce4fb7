"""Refresh-token rotation and reuse detection, signing out one device or everywhere."""

from __future__ import annotations

import httpx

from tests.support.http import bearer
from tests.support.paths import API, LOGIN, ME
from tests.support.world import PASSWORD, World

REFRESH, LOGOUT, LOGOUT_ALL = (f"{API}/auth/refresh", f"{API}/auth/logout",
                               f"{API}/auth/logout-all")


async def _login(client: httpx.AsyncClient, email: str, client_name: str = "web") -> dict:
    response = await client.post(LOGIN, json={"email": email, "password": PASSWORD,
                                              "client": client_name})
    assert response.status_code == 200, response.text
    return response.json()


async def _refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post(REFRESH, json={"refresh_token": token})


async def test_refresh_rotates_and_the_old_token_then_fails(
        world: World, client: httpx.AsyncClient) -> None:
    account = await world.user(login=False)
    first = await _login(client, account.email, "mobile")
    response = await _refresh(client, first["refresh_token"])
    assert response.status_code == 200, response.text
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["client"] == "mobile"  # the client survives rotation
    assert (await client.get(ME, headers=bearer(second["access_token"]))).json()["client"] == "mobile"
    again = await _refresh(client, first["refresh_token"])
    assert again.status_code == 401


async def test_reusing_a_used_refresh_token_revokes_the_whole_family(
        world: World, client: httpx.AsyncClient) -> None:
    account = await world.user(login=False)
    first = await _login(client, account.email)
    second = (await _refresh(client, first["refresh_token"])).json()
    third = (await _refresh(client, second["refresh_token"])).json()
    reused = await _refresh(client, first["refresh_token"])
    assert reused.status_code == 401
    assert reused.json()["code"] == "auth.refresh_reused"
    newest = await _refresh(client, third["refresh_token"])
    assert newest.status_code == 401
    assert newest.json()["code"] == "auth.refresh_invalid"


async def test_reuse_revokes_only_its_own_family(world: World, client: httpx.AsyncClient) -> None:
    account = await world.user(login=False)
    phone, laptop = await _login(client, account.email, "mobile"), await _login(client, account.email)
    await _refresh(client, phone["refresh_token"])
    assert (await _refresh(client, phone["refresh_token"])).json()["code"] == "auth.refresh_reused"
    assert (await _refresh(client, laptop["refresh_token"])).status_code == 200


async def test_unknown_refresh_token_is_401_refresh_invalid(client: httpx.AsyncClient) -> None:
    response = await _refresh(client, "x" * 43)
    assert response.status_code == 401
    assert response.json()["code"] == "auth.refresh_invalid"


async def test_logout_revokes_the_refresh_family(world: World, client: httpx.AsyncClient) -> None:
    account = await world.user(login=False)
    tokens = await _login(client, account.email)
    rotated = (await _refresh(client, tokens["refresh_token"])).json()
    response = await client.post(LOGOUT, json={"refresh_token": rotated["refresh_token"]},
                                 headers=bearer(rotated["access_token"]))
    assert response.status_code == 204
    assert (await _refresh(client, rotated["refresh_token"])).json()["code"] == "auth.refresh_invalid"


async def test_logout_cannot_revoke_another_users_refresh_token(
        world: World, client: httpx.AsyncClient) -> None:
    victim, attacker = await world.user(login=False), await world.user()
    tokens = await _login(client, victim.email)
    response = await client.post(LOGOUT, json={"refresh_token": tokens["refresh_token"]},
                                 headers=attacker.headers())
    assert response.status_code == 204
    assert (await _refresh(client, tokens["refresh_token"])).status_code == 200


async def test_logout_needs_an_access_token(client: httpx.AsyncClient) -> None:
    response = await client.post(LOGOUT, json={"refresh_token": "x" * 43})
    assert response.status_code == 401
    assert response.json()["code"] == "auth.token_missing"


async def test_logout_all_revokes_refresh_and_access_tokens_at_once(
        world: World, client: httpx.AsyncClient) -> None:
    account = await world.user(login=False)
    web, mobile = await _login(client, account.email), await _login(client, account.email, "mobile")
    response = await client.post(LOGOUT_ALL, headers=bearer(web["access_token"]))
    assert response.status_code == 204
    for tokens in (web, mobile):
        refused = await client.get(ME, headers=bearer(tokens["access_token"]))
        assert refused.status_code == 401
        assert refused.json()["code"] == "auth.session_revoked"
        assert (await _refresh(client, tokens["refresh_token"])).status_code == 401


async def test_login_after_logout_all_works(world: World, client: httpx.AsyncClient) -> None:
    account = await world.user(login=False)
    old = await _login(client, account.email)
    assert (await client.post(LOGOUT_ALL, headers=bearer(old["access_token"]))).status_code == 204
    fresh = await _login(client, account.email)
    assert (await client.get(ME, headers=bearer(fresh["access_token"]))).status_code == 200
    rotated = await _refresh(client, fresh["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    assert (await client.get(ME, headers=bearer(rotated.json()["access_token"]))).status_code == 200


async def test_logout_all_is_audited(world: World, client: httpx.AsyncClient) -> None:
    from sqlalchemy import text

    from api.db.shop_context import FIRM_SCOPE, bind_shop

    account = await world.user(login=False)
    tokens = await _login(client, account.email)
    await client.post(LOGOUT_ALL, headers=bearer(tokens["access_token"]))
    async with world.app.state.sessionmaker() as session, session.begin():
        await bind_shop(session, FIRM_SCOPE)
        actions = (await session.execute(text(
            "SELECT action FROM audit_log WHERE shop_id = :s AND actor_id = :u ORDER BY seq"),
            {"s": FIRM_SCOPE, "u": account.id})).scalars().all()
    assert actions == ["auth.login", "auth.logout_all"]

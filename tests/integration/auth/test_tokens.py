"""Access tokens: every forgery or mistake is a 401 with its own code; keys rotate."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.support.http import bearer
from tests.support.paths import ME
from tests.support.settings import OLDER_KID
from tests.support.world import World


async def _refusal(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    response = await client.get(ME, headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    return response.json()["code"]


async def test_missing_authorization_is_401_token_missing(client: httpx.AsyncClient) -> None:
    assert await _refusal(client, {}) == "auth.token_missing"


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", "Token abc"])
async def test_other_schemes_are_401_token_malformed(client: httpx.AsyncClient, header: str) -> None:
    assert await _refusal(client, {"Authorization": header}) == "auth.token_malformed"


@pytest.mark.parametrize("garbage", ["garbage", "a.b.c", "...", "Zm9v.YmFy.YmF6", "W10.e30.x"])
async def test_garbage_is_401_token_malformed(client: httpx.AsyncClient, garbage: str) -> None:
    assert await _refusal(client, bearer(garbage)) == "auth.token_malformed"


async def test_each_bad_token_gets_its_own_code(world: World, client: httpx.AsyncClient,
                                                forge) -> None:  # type: ignore[no-untyped-def]
    user = str((await world.user(login=False)).id)
    cases = {
        "auth.token_algorithm": forge(user, alg="none"),
        "auth.token_signature": forge(user, secret="w" * 48),
        "auth.token_unknown_key": forge(user, kid="retired-key"),
        "auth.token_audience": forge(user, aud="someone-else"),
        "auth.token_issuer": forge(user, iss="evil-corp"),
        "auth.token_expired": forge(user, iat=time.time() - 7200, exp=int(time.time()) - 3600),
        "auth.token_invalid": forge(user, jti=None),
    }
    codes = {expected: await _refusal(client, bearer(token)) for expected, token in cases.items()}
    assert codes == {code: code for code in cases}


async def test_an_alg_none_token_without_signature_is_refused(
        world: World, client: httpx.AsyncClient, forge) -> None:  # type: ignore[no-untyped-def]
    user = str((await world.user(login=False)).id)
    token = forge(user, alg="none")
    assert token.endswith(".")  # really unsigned
    assert await _refusal(client, bearer(token)) == "auth.token_algorithm"


@pytest.mark.parametrize("claims", [{"cli": "desktop"}, {"sub": "not-a-uuid"}, {"sub": None}])
async def test_tokens_with_bad_claims_are_401_token_invalid(
        world: World, client: httpx.AsyncClient, forge, claims: dict) -> None:  # type: ignore[no-untyped-def]
    user = str((await world.user(login=False)).id)
    assert await _refusal(client, bearer(forge(user, **claims))) == "auth.token_invalid"


async def test_a_token_signed_with_the_older_key_still_verifies(
        world: World, client: httpx.AsyncClient, forge) -> None:  # type: ignore[no-untyped-def]
    account = await world.user(login=False)
    response = await client.get(ME, headers=bearer(forge(str(account.id), kid=OLDER_KID)))
    assert response.status_code == 200, response.text
    assert response.json()["user"]["id"] == str(account.id)


async def test_new_tokens_are_signed_with_the_first_key(world: World, client: httpx.AsyncClient,
                                                        app) -> None:  # type: ignore[no-untyped-def]
    import jwt

    account = await world.user()
    assert jwt.get_unverified_header(account.tokens["web"])["kid"] == app.state.tokens._keyring.active_kid
    assert app.state.tokens._keyring.active_kid != OLDER_KID

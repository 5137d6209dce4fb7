"""Signing in: tokens, refusals that do not tell accounts apart, and the login rate limits."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import jwt
import pytest
from litestar import Litestar
from sqlalchemy import func, select

from api.domain.auth.models import LoginAttempt
from api.domain.users.services import create_user
from tests.support.world import PASSWORD, World

LOGIN = "/api/v1/auth/login"


def unverified(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


@pytest.mark.parametrize("client_name", ["web", "mobile"])
async def test_login_returns_access_and_refresh_tokens_for_the_client(
        world: World, client: httpx.AsyncClient, settings, client_name: str) -> None:  # type: ignore[no-untyped-def]
    account = await world.user(login=False)
    response = await client.post(LOGIN, json={"email": account.email, "password": PASSWORD,
                                              "client": client_name})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["client"] == client_name
    assert body["user_id"] == str(account.id)
    assert 0 < body["expires_in"] <= settings.auth.access_ttl_seconds
    assert body["refresh_token"] and body["refresh_token"] != body["access_token"]
    claims = unverified(body["access_token"])
    assert set(claims) == {"sub", "cli", "jti", "sid", "iat", "exp", "iss", "aud"}
    assert claims["sub"] == str(account.id) and claims["cli"] == client_name
    assert claims["iss"] == settings.auth.issuer and claims["aud"] == settings.auth.audience
    assert jwt.get_unverified_header(body["access_token"])["kid"] == "test-1"


async def test_client_defaults_to_web(world: World, client: httpx.AsyncClient) -> None:
    account = await world.user(login=False)
    response = await client.post(LOGIN, json={"email": account.email, "password": PASSWORD})
    assert unverified(response.json()["access_token"])["cli"] == "web"


@pytest.mark.parametrize("bad_client", ["desktop", "WEB", "", None, 1])
async def test_login_rejects_any_other_client(world: World, client: httpx.AsyncClient,
                                              bad_client: object) -> None:
    account = await world.user(login=False)
    response = await client.post(LOGIN, json={"email": account.email, "password": PASSWORD,
                                              "client": bad_client})
    assert response.status_code == 422
    assert response.json()["details"]["errors"][0]["key"] == "client"


async def test_email_is_matched_case_insensitively(world: World, client: httpx.AsyncClient) -> None:
    account = await world.user(login=False)
    response = await client.post(LOGIN, json={"email": account.email.upper(),
                                              "password": PASSWORD})
    assert response.status_code == 200, response.text


async def test_wrong_password_and_unknown_email_get_the_same_refusal(
        world: World, client: httpx.AsyncClient) -> None:
    account = await world.user(login=False)
    wrong = await client.post(LOGIN, json={"email": account.email, "password": "not-it-at-all"})
    unknown = await client.post(LOGIN, json={"email": f"nobody-{uuid.uuid4().hex[:8]}@example.com",
                                             "password": PASSWORD})
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.json()["code"] == "auth.invalid_credentials"
    assert wrong.json()["message"] == unknown.json()["message"]
    assert wrong.json()["details"] == unknown.json()["details"] == {}


async def test_invited_user_without_password_cannot_log_in(
        world: World, client: httpx.AsyncClient) -> None:
    email = f"invited-{uuid.uuid4().hex[:8]}@example.com"
    await world._commit(lambda s: create_user(s, email=email, password=None))
    for password in (PASSWORD, "", "x"):
        response = await client.post(LOGIN, json={"email": email, "password": password or "?"})
        assert response.status_code == 401
        assert response.json()["code"] == "auth.invalid_credentials"


async def _failures(app: Litestar, column, value: str) -> int:  # type: ignore[no-untyped-def]
    async with app.state.sessionmaker() as session:
        return int((await session.execute(select(func.count()).select_from(LoginAttempt).where(
            column == value, LoginAttempt.succeeded.is_(False)))).scalar_one())


async def test_failed_attempts_are_stored_though_the_response_is_an_error(
        world: World, client: httpx.AsyncClient, app: Litestar) -> None:
    account = await world.user(login=False)
    for _ in range(2):
        response = await client.post(LOGIN, json={"email": account.email, "password": "wrong-one!"})
        assert response.status_code == 401
    assert await _failures(app, LoginAttempt.email, account.email) == 2


async def test_too_many_failures_for_one_account_are_429_with_retry_after(
        world: World, strict_client: httpx.AsyncClient, settings) -> None:  # type: ignore[no-untyped-def]
    account = await world.user(login=False)
    for _ in range(3):
        response = await strict_client.post(LOGIN, json={"email": account.email,
                                                         "password": "wrong-one!"})
        assert response.json()["code"] == "auth.invalid_credentials"
    # Now even the right password is refused until the window passes.
    response = await strict_client.post(LOGIN, json={"email": account.email, "password": PASSWORD})
    assert response.status_code == 429
    assert response.json()["code"] == "auth.rate_limited"
    assert int(response.headers["retry-after"]) == settings.auth.login_window_seconds
    assert response.json()["request_id"] == response.headers["x-request-id"]


async def test_the_account_limit_does_not_lock_out_other_accounts(
        world: World, strict_client: httpx.AsyncClient) -> None:
    locked, other = await world.user(login=False), await world.user(login=False)
    for _ in range(3):
        await strict_client.post(LOGIN, json={"email": locked.email, "password": "wrong-one!"})
    response = await strict_client.post(LOGIN, json={"email": other.email, "password": PASSWORD})
    assert response.status_code == 200, response.text


async def test_too_many_failures_from_one_ip_are_429_across_accounts(
        strict_client: httpx.AsyncClient, app: Litestar, world: World) -> None:
    for _ in range(4):  # four different unknown accounts: no account limit is reached
        response = await strict_client.post(LOGIN, json={
            "email": f"probe-{uuid.uuid4().hex[:8]}@example.com", "password": "guess-guess"})
        assert response.status_code == 401
    assert await _failures(app, LoginAttempt.ip, strict_client.ip) == 4  # type: ignore[attr-defined]
    account = await world.user(login=False)
    response = await strict_client.post(LOGIN, json={"email": account.email, "password": PASSWORD})
    assert response.status_code == 429
    assert response.json()["code"] == "auth.rate_limited"
    assert "retry-after" in response.headers


async def test_parallel_wrong_passwords_for_one_account_get_no_more_401s_than_the_limit(
        world: World, strict_client: httpx.AsyncClient) -> None:
    account = await world.user(login=False)
    responses = await asyncio.gather(*(
        strict_client.post(LOGIN, json={"email": account.email, "password": "wrong-one!"})
        for _ in range(8)))
    codes = [response.json()["code"] for response in responses]
    wrong = codes.count("auth.invalid_credentials")
    assert 1 <= wrong <= 3  # never more than the account limit, though 8 were sent at once
    assert all(code in {"auth.invalid_credentials", "auth.rate_limited",
                        "auth.attempt_in_progress"} for code in codes)
    assert all(r.status_code == 429 for r in responses
               if r.json()["code"] != "auth.invalid_credentials")


async def test_parallel_guesses_from_one_ip_get_no_more_401s_than_the_limit(
        strict_client: httpx.AsyncClient) -> None:
    responses = await asyncio.gather(*(
        strict_client.post(LOGIN, json={"email": f"probe-{uuid.uuid4().hex[:8]}@example.com",
                                        "password": "guess-guess"})
        for _ in range(8)))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [401] * 4 + [429] * 4  # the IP limit, though every email differs


async def test_unknown_email_still_runs_the_password_check(
        client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from api.domain.auth import services

    checked: list[str | None] = []
    real = services.verify_password

    def spy(password_hash: str | None, password: str) -> bool:
        checked.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(services, "verify_password", spy)
    response = await client.post(LOGIN, json={"email": f"nobody-{uuid.uuid4().hex[:8]}@example.com",
                                             "password": PASSWORD})
    assert response.status_code == 401
    assert checked == [None]  # argon2 ran against the dummy hash: no timing tell


async def test_a_second_sign_in_for_an_account_already_signing_in_is_429_at_once(
        world: World, client: httpx.AsyncClient, owner) -> None:  # type: ignore[no-untyped-def]
    account = await world.user(login=False)
    async with owner.transaction():
        # Another sign-in for this account is mid-flight (it holds the account's lock).
        await owner.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                            f"login:email:{account.email}")
        response = await client.post(LOGIN, json={"email": account.email, "password": "x" * 12})
    assert response.status_code == 429
    assert response.json()["code"] == "auth.attempt_in_progress"
    assert response.headers["retry-after"] == "1"

"""Onboarding shops: only the firm's platform_admin, with a founder named one clear way."""

from __future__ import annotations

import uuid

import httpx
import pytest

from rbac.catalog import FirmRole
from tests.support.world import Account, World

SHOPS = "/api/v1/shops"


def new_shop(founder: dict, **overrides: object) -> dict:
    return {"name": "Tea House", "slug": f"tea-{uuid.uuid4().hex[:10]}",
            "timezone": "Asia/Shanghai", "founder": founder, **overrides}


@pytest.fixture
async def admin(world: World) -> Account:
    return await world.user(platform_role=FirmRole.PLATFORM_ADMIN, prefix="padmin")


async def test_platform_admin_creates_a_shop_with_an_existing_founder_by_id(
        world: World, client: httpx.AsyncClient, admin: Account) -> None:
    founder = await world.user(prefix="founder")
    response = await client.post(SHOPS, json=new_shop({"user_id": str(founder.id)}),
                                 headers=admin.headers())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["founder_id"] == str(founder.id) and body["founder_invited"] is False
    assert body["shop"]["status"] == "active" and body["shop"]["timezone"] == "Asia/Shanghai"
    me = (await client.get("/api/v1/me", headers=founder.headers())).json()
    assert (body["shop"]["id"], "founder") in {(s["shop_id"], s["role"]) for s in me["shops"]}


async def test_founder_named_by_existing_email_is_not_invited(
        world: World, client: httpx.AsyncClient, admin: Account) -> None:
    founder = await world.user(prefix="founder")
    response = await client.post(SHOPS, json=new_shop({"email": founder.email.upper()}),
                                 headers=admin.headers())
    assert response.status_code == 201, response.text
    assert response.json()["founder_id"] == str(founder.id)
    assert response.json()["founder_invited"] is False


async def test_founder_named_by_new_email_is_invited_and_cannot_log_in_yet(
        client: httpx.AsyncClient, admin: Account) -> None:
    email = f"newfounder-{uuid.uuid4().hex[:8]}@example.com"
    response = await client.post(SHOPS, json=new_shop({"email": email, "display_name": "Wei"}),
                                 headers=admin.headers())
    assert response.status_code == 201, response.text
    assert response.json()["founder_invited"] is True
    login = await client.post("/api/v1/auth/login", json={"email": email, "password": "anything!"})
    assert login.json()["code"] == "auth.invalid_credentials"


async def test_taken_slug_is_409(world: World, client: httpx.AsyncClient, admin: Account) -> None:
    founder = await world.user(login=False)
    payload = new_shop({"user_id": str(founder.id)})
    assert (await client.post(SHOPS, json=payload, headers=admin.headers())).status_code == 201
    again = await client.post(SHOPS, json=payload, headers=admin.headers())
    assert again.status_code == 409
    assert again.json()["code"] == "shop.slug_taken"


@pytest.mark.parametrize("slug", ["Upper", "-dash", "dash-", "has space", "", "a" * 64, "tea_house"])
async def test_bad_slug_is_422(world: World, client: httpx.AsyncClient, admin: Account,
                               slug: str) -> None:
    response = await client.post(SHOPS, json=new_shop({"user_id": str(admin.id)}, slug=slug),
                                 headers=admin.headers())
    assert response.status_code == 422
    assert response.json()["code"] == "request.validation_failed"
    assert response.json()["details"]["errors"][0]["key"] == "slug"


@pytest.mark.parametrize("tz", ["Mars/Olympus", "localtime", "../../etc/passwd", "asia/shanghai"])
async def test_unknown_timezone_is_422_invalid_timezone(
        client: httpx.AsyncClient, admin: Account, tz: str) -> None:
    response = await client.post(SHOPS, json=new_shop({"user_id": str(admin.id)}, timezone=tz),
                                 headers=admin.headers())
    assert response.status_code == 422
    assert response.json()["code"] == "shop.invalid_timezone"


@pytest.mark.parametrize("founder", [{}, "both"])
async def test_founder_named_neither_or_both_ways_is_422_ambiguous(
        client: httpx.AsyncClient, admin: Account, founder: object) -> None:
    spec = {"user_id": str(admin.id), "email": admin.email} if founder == "both" else founder
    response = await client.post(SHOPS, json=new_shop(spec), headers=admin.headers())
    assert response.status_code == 422
    assert response.json()["code"] == "shop.founder_ambiguous"


async def test_unknown_founder_id_is_422_founder_not_found(
        client: httpx.AsyncClient, admin: Account) -> None:
    response = await client.post(SHOPS, json=new_shop({"user_id": str(uuid.uuid4())}),
                                 headers=admin.headers())
    assert response.status_code == 422
    assert response.json()["code"] == "shop.founder_not_found"


@pytest.mark.parametrize("who", ["founder", "agent", "platform_auditor"])
async def test_only_platform_admin_creates_shops(world: World, client: httpx.AsyncClient,
                                                 who: str) -> None:
    shop, founder = await world.shop()
    caller = {"founder": founder,
              "agent": await world.staff(shop, "agent"),
              "platform_auditor": await world.user(platform_role=FirmRole.PLATFORM_AUDITOR),
              }[who]
    response = await client.post(SHOPS, json=new_shop({"user_id": str(caller.id)}),
                                 headers=caller.headers())
    assert response.status_code == 403
    assert response.json()["code"] == "permission.denied"
    assert response.json()["details"] == {"permission": "shops:create"}


async def test_creating_a_shop_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.post(SHOPS, json=new_shop({"email": "x@example.com"}))
    assert response.status_code == 401

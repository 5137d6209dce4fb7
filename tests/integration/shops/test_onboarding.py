"""Onboarding shops: only the firm's platform_admin, with a founder named one clear way:
an account by id (founder at once) or an address by e-mail (an invitation, always)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import text

from api.db.shop_context import bind_shop
from rbac.catalog import FirmRole
from tests.support.mailbox import accept, mailed_token, onboard_by_invitation
from tests.support.paths import LOGIN
from tests.support.world import PASSWORD, Account, World

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
    assert set(body) == {"shop", "founder_id", "invitation"}
    assert body["founder_id"] == str(founder.id) and body["invitation"] is None
    assert body["shop"]["status"] == "active" and body["shop"]["timezone"] == "Asia/Shanghai"
    me = (await client.get("/api/v1/me", headers=founder.headers())).json()
    assert (body["shop"]["id"], "founder") in {(s["shop_id"], s["role"]) for s in me["shops"]}


async def _accounts_with(world: World, address: str) -> int:
    async with world.app.state.sessionmaker() as session, session.begin():
        return (await session.execute(text("SELECT count(*) FROM users WHERE email = :e"),
                                      {"e": address})).scalar_one()


async def _founder_rows(world: World, shop_id: str) -> list[str]:
    async with world.app.state.sessionmaker() as session, session.begin():
        await bind_shop(session, uuid.UUID(shop_id))
        return list((await session.execute(text(
            "SELECT user_id::text FROM shop_members WHERE shop_id = :s"),
            {"s": shop_id})).scalars())


async def test_founder_by_new_email_is_invited_and_joins_only_on_accepting(
        world: World, client: httpx.AsyncClient, admin: Account) -> None:
    address = f"newfounder-{uuid.uuid4().hex[:8]}@example.com"
    response = await client.post(SHOPS, json=new_shop({"email": address.upper()}),
                                 headers=admin.headers())
    assert response.status_code == 201, response.text
    body = response.json()
    shop_id, invitation = body["shop"]["id"], body["invitation"]
    assert body["founder_id"] is None
    assert (invitation["email"], invitation["role"], invitation["status"]) == (
        address, "founder", "pending")
    # No account and no member yet: the shop has no founder until the invitation is accepted.
    assert await _accounts_with(world, address) == 0
    assert await _founder_rows(world, shop_id) == []
    login = await client.post(LOGIN, json={"email": address, "password": PASSWORD})
    assert login.json()["code"] == "auth.invalid_credentials"

    accepted = await accept(world, mailed_token(world, address), password=PASSWORD,
                            display_name="Wei")
    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["role"], accepted.json()["account_created"]) == ("founder", True)
    founder = Account(id=uuid.UUID(accepted.json()["user_id"]), email=address)
    await world.login(founder)
    # The founder acts at once: renames the shop and invites staff.
    renamed = await client.patch(f"{SHOPS}/{shop_id}", json={"name": "Wei's Tea"},
                                 headers=founder.headers())
    assert renamed.status_code == 200, renamed.text
    staff = await onboard_by_invitation(world, uuid.UUID(shop_id), founder, "senior_admin")
    listed = (await client.get(f"{SHOPS}/{shop_id}/members", headers=staff.headers())).json()
    assert {(m["user_id"], m["role"]) for m in listed["items"]} == {
        (str(founder.id), "founder"), (str(staff.id), "senior_admin")}
    # The token works once.
    assert (await accept(world, mailed_token(world, address), password=PASSWORD)
            ).json()["code"] == "invitation.already_used"


async def test_founder_by_existing_accounts_email_reveals_nothing_different(
        world: World, client: httpx.AsyncClient, admin: Account) -> None:
    existing = await world.user(prefix="founder")
    fresh = f"fresh-{uuid.uuid4().hex[:8]}@example.com"
    answers = []
    for address in (existing.email, fresh):
        response = await client.post(SHOPS, json=new_shop({"email": address}),
                                     headers=admin.headers())
        assert response.status_code == 201, response.text
        answers.append(response.json())
    shape = [(a["founder_id"], sorted(a["invitation"]), a["invitation"]["status"],
              a["invitation"]["role"], a["invitation"]["sent_count"]) for a in answers]
    assert shape[0] == shape[1] and shape[0][0] is None
    # The existing account is not a member until it accepts (with its own password).
    me = (await client.get("/api/v1/me", headers=existing.headers())).json()
    assert answers[0]["shop"]["id"] not in {s["shop_id"] for s in me["shops"]}
    accepted = await accept(world, mailed_token(world, existing.email))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() | {"shop_id": None} == {
        "shop_id": None, "user_id": str(existing.id), "role": "founder",
        "account_created": False}
    me = (await client.get("/api/v1/me", headers=existing.headers())).json()
    assert (answers[0]["shop"]["id"], "founder") in {(s["shop_id"], s["role"])
                                                     for s in me["shops"]}


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

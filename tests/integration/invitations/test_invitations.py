"""Invitations: an e-mail address becomes a member only when its owner accepts, and the shop
learns nothing about who the address belongs to."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import uuid
from typing import Any

import asyncpg
import pytest

from rbac.catalog import FirmRole
from tests.support.world import PASSWORD, Account, World

_TOKEN = re.compile(r"inv_[0-9a-f]{32}_[0-9a-f]{32}_[A-Za-z0-9_-]+")
NEW_PASSWORD = "a-brand-new-passphrase"


def _mailed_token(world: World, address: str) -> str:
    """The newest token mailed to ``address`` (the outbox mailer writes .eml files)."""
    outbox = world.app.state.invitation_delivery.mailer.directory
    messages = sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    for path in reversed(messages):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] == address:
            content = message.get_content()  # type: ignore[attr-defined]
            match = _TOKEN.search(content)
            assert match, content
            return match.group(0)
    raise AssertionError(f"nothing was mailed to {address}")


def _mail_count(world: World, address: str) -> int:
    outbox = world.app.state.invitation_delivery.mailer.directory
    return sum(1 for path in outbox.glob("*.eml")
               if email.message_from_bytes(path.read_bytes())["To"] == address)


async def _invite(world: World, shop_id: uuid.UUID, inviter: Account, address: str,
                  role: str = "agent") -> Any:
    return await world.client.post(f"/api/v1/shops/{shop_id}/invitations",
                                   json={"email": address, "role": role},
                                   headers=inviter.headers())


async def _accept(world: World, token: str, **extra: Any) -> Any:
    return await world.client.post("/api/v1/invitations/accept", json={"token": token, **extra})


def _address() -> str:
    return f"invitee-{uuid.uuid4().hex[:10]}@example.com"


async def _member_ids(world: World, shop_id: uuid.UUID, founder: Account) -> set[str]:
    response = await world.client.get(f"/api/v1/shops/{shop_id}/members",
                                      headers=founder.headers())
    return {m["user_id"] for m in response.json()["items"]}


async def test_a_new_address_accepts_chooses_a_password_and_signs_in(world: World) -> None:
    shop_id, founder = await world.shop()
    address = _address()
    response = await _invite(world, shop_id, founder, address, "admin")
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["email"] == address and body["role"] == "admin" and body["status"] == "pending"
    assert set(body) == {"id", "email", "role", "status", "invited_by", "created_at",
                         "expires_at", "sent_count", "accepted_at"}

    accepted = await _accept(world, _mailed_token(world, address), password=NEW_PASSWORD,
                             display_name="New Admin")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["account_created"] is True and accepted.json()["role"] == "admin"
    login = await world.client.post("/api/v1/auth/login",
                                    json={"email": address, "password": NEW_PASSWORD})
    assert login.status_code == 200
    token = login.json()["access_token"]
    staff = await world.client.get(f"/api/v1/shops/{shop_id}/members",
                                   headers={"Authorization": f"Bearer {token}"})
    assert staff.status_code == 200  # an admin reads the staff list: the role is live


async def test_inviting_an_existing_account_reveals_nothing_and_joins_only_on_acceptance(
        world: World) -> None:
    shop_id, founder = await world.shop()
    other_shop, _ = await world.shop()
    person = await world.staff(other_shop, "agent")
    fresh = await _invite(world, shop_id, founder, _address())
    known = await _invite(world, shop_id, founder, person.email)
    assert known.status_code == fresh.status_code == 202
    assert set(known.json()) == set(fresh.json())  # same shape: no name, no user id
    assert str(person.id) not in known.text
    # Not a member yet: the shop does not exist for them, and the list does not show them.
    assert str(person.id) not in await _member_ids(world, shop_id, founder)
    response = await world.client.get(f"/api/v1/shops/{shop_id}/members",
                                      headers=person.headers())
    assert response.status_code == 404

    token = _mailed_token(world, person.email)
    refused = await _accept(world, token, password=NEW_PASSWORD)
    assert (refused.status_code, refused.json()["code"]) == (422,
                                                            "invitation.password_not_expected")
    accepted = await _accept(world, token)
    assert accepted.status_code == 200 and accepted.json()["account_created"] is False
    assert str(person.id) in await _member_ids(world, shop_id, founder)
    # Their own password still works: an invitation never changes one.
    login = await world.client.post("/api/v1/auth/login",
                                    json={"email": person.email, "password": PASSWORD})
    assert login.status_code == 200


async def test_a_token_works_once(world: World) -> None:
    shop_id, founder = await world.shop()
    address = _address()
    await _invite(world, shop_id, founder, address)
    token = _mailed_token(world, address)
    assert (await _accept(world, token, password=NEW_PASSWORD)).status_code == 200
    again = await _accept(world, token)
    assert (again.status_code, again.json()["code"]) == (409, "invitation.already_used")


async def test_two_acceptances_at_once_one_wins(world: World) -> None:
    shop_id, founder = await world.shop()
    address = _address()
    await _invite(world, shop_id, founder, address)
    token = _mailed_token(world, address)
    results = await asyncio.gather(*[_accept(world, token, password=NEW_PASSWORD)
                                     for _ in range(3)])
    statuses = sorted(r.status_code for r in results)
    assert statuses[0] == 200 and statuses.count(200) == 1, [r.text for r in results]
    assert all(r.json()["code"] in {"invitation.already_used", "user.email_taken"}
               for r in results if r.status_code != 200)


async def test_expired_revoked_renewed_and_forged_tokens_are_refused(
        world: World, owner: asyncpg.Connection) -> None:
    shop_id, founder = await world.shop()
    expired_to, revoked_to, renewed_to = _address(), _address(), _address()
    for address in (expired_to, revoked_to, renewed_to):
        assert (await _invite(world, shop_id, founder, address)).status_code == 202

    async with owner.transaction():
        await owner.execute("SELECT set_config('app.shop_id', $1, true)", str(shop_id))
        await owner.execute("UPDATE invitations SET expires_at = now() - interval '1 second' "
                            "WHERE shop_id = $1 AND email = $2", shop_id, expired_to)
    response = await _accept(world, _mailed_token(world, expired_to), password=NEW_PASSWORD)
    assert (response.status_code, response.json()["code"]) == (410, "invitation.expired")

    listed = (await world.client.get(f"/api/v1/shops/{shop_id}/invitations",
                                     headers=founder.headers())).json()["items"]
    revoked_id = next(i["id"] for i in listed if i["email"] == revoked_to)
    response = await world.client.delete(f"/api/v1/shops/{shop_id}/invitations/{revoked_id}",
                                         headers=founder.headers())
    assert response.status_code == 204
    response = await _accept(world, _mailed_token(world, revoked_to), password=NEW_PASSWORD)
    assert (response.status_code, response.json()["code"]) == (410, "invitation.revoked")

    old = _mailed_token(world, renewed_to)
    again = await _invite(world, shop_id, founder, renewed_to, "verifier")
    assert again.json()["sent_count"] == 2 and again.json()["role"] == "verifier"
    new = _mailed_token(world, renewed_to)
    assert old != new
    response = await _accept(world, old, password=NEW_PASSWORD)
    assert (response.status_code, response.json()["code"]) == (404, "invitation.not_found")
    assert (await _accept(world, new, password=NEW_PASSWORD)).status_code == 200

    forged = new[:-4] + ("AAAA" if not new.endswith("AAAA") else "BBBB")
    response = await _accept(world, forged, password=NEW_PASSWORD)
    assert response.status_code in (404, 409)


@pytest.mark.parametrize("token", ["", "inv_", "x" * 50, "inv_" + "0" * 32 + "_" + "z" * 32 + "_s",
                                   "inv_" + "0" * 32 + "_" + "0" * 32 + "_s\x00"])
async def test_malformed_tokens_are_client_errors(world: World, token: str) -> None:
    response = await _accept(world, token, password=NEW_PASSWORD)
    assert response.status_code in (400, 404, 422), response.text
    assert "code" in response.json()


async def test_a_new_account_needs_a_password(world: World) -> None:
    shop_id, founder = await world.shop()
    address = _address()
    await _invite(world, shop_id, founder, address)
    response = await _accept(world, _mailed_token(world, address))
    assert (response.status_code, response.json()["code"]) == (422,
                                                              "invitation.password_required")


async def test_who_may_invite_whom(world: World) -> None:
    shop_id, founder = await world.shop()
    other_shop, other_founder = await world.shop()
    admin = await world.staff(shop_id, "admin")
    agent = await world.staff(shop_id, "agent")
    senior = await world.staff(shop_id, "senior_admin")
    firm_admin = await world.user(platform_role=FirmRole.PLATFORM_ADMIN)

    assert (await _invite(world, shop_id, senior, _address(), "senior_admin")).status_code == 202
    for caller in (admin, agent):
        response = await _invite(world, shop_id, caller, _address())
        assert (response.status_code, response.json()["code"]) == (403, "permission.denied")
    response = await _invite(world, shop_id, other_founder, _address())
    assert (response.status_code, response.json()["code"]) == (404, "shop.not_found")
    response = await _invite(world, shop_id, firm_admin, _address(), "admin")
    assert (response.status_code, response.json()["code"]) == (403,
                                                              "member.firm_places_agents_only")
    assert (await _invite(world, shop_id, firm_admin, _address(), "agent")).status_code == 202
    # The founder is named at onboarding, never invited.
    response = await _invite(world, shop_id, founder, _address(), "founder")
    assert response.status_code == 422
    # Another shop's invitations do not exist here.
    listed = (await world.client.get(f"/api/v1/shops/{other_shop}/invitations",
                                     headers=other_founder.headers())).json()["items"]
    assert listed == []
    mine = (await world.client.get(f"/api/v1/shops/{shop_id}/invitations",
                                   headers=founder.headers())).json()["items"]
    response = await world.client.delete(
        f"/api/v1/shops/{other_shop}/invitations/{mine[0]['id']}",
        headers=other_founder.headers())
    assert (response.status_code, response.json()["code"]) == (404, "invitation.not_found")


async def test_inviting_a_member_is_refused_and_nothing_is_mailed(world: World) -> None:
    shop_id, founder = await world.shop()
    agent = await world.staff(shop_id, "agent")
    response = await _invite(world, shop_id, founder, agent.email)
    assert (response.status_code, response.json()["code"]) == (409, "invitation.already_member")
    assert _mail_count(world, agent.email) == 0


@pytest.mark.parametrize("address", ["a\x00b@example.com", "no-at-sign", "x@" + "y" * 400 + ".com"])
async def test_bad_addresses_are_validation_errors(world: World, address: str) -> None:
    shop_id, founder = await world.shop()
    response = await _invite(world, shop_id, founder, address)
    assert response.status_code in (400, 422), response.text
    assert response.json()["code"].startswith("request.")


async def test_resend_gives_a_fresh_token_and_the_list_pages(world: World) -> None:
    shop_id, founder = await world.shop()
    addresses = [_address() for _ in range(3)]
    for address in addresses:
        await _invite(world, shop_id, founder, address)
    first = (await world.client.get(f"/api/v1/shops/{shop_id}/invitations?limit=2",
                                    headers=founder.headers())).json()
    rest = (await world.client.get(
        f"/api/v1/shops/{shop_id}/invitations?limit=2&cursor={first['next_cursor']}",
        headers=founder.headers())).json()
    assert [i["email"] for i in first["items"] + rest["items"]] == addresses
    assert rest["next_cursor"] is None

    old = _mailed_token(world, addresses[0])
    response = await world.client.post(
        f"/api/v1/shops/{shop_id}/invitations/{first['items'][0]['id']}/resend",
        headers=founder.headers())
    assert response.status_code == 200 and response.json()["sent_count"] == 2
    assert _mailed_token(world, addresses[0]) != old
    response = await world.client.get(f"/api/v1/shops/{shop_id}/invitations?cursor=bm9wZQ",
                                      headers=founder.headers())
    assert (response.status_code, response.json()["code"]) == (400, "pagination.invalid_cursor")

"""Staff lifecycle through HTTP: add, invite, change role, remove, re-add (rules 1-3, 6)."""

from __future__ import annotations

import uuid

import pytest

from rbac.catalog import FirmRole
from tests.integration.members.helpers import (
    assert_error,
    audit_entries,
    member_row,
    members_path,
    quiet_staff,
    shop_path,
)
from tests.support.world import PASSWORD, World


async def test_founder_lists_active_members_with_their_accounts(world: World) -> None:
    shop_id, founder = await world.shop()
    admin = await quiet_staff(world, shop_id, "admin")

    response = await world.client.get(members_path(shop_id), headers=founder.headers())

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next_cursor"] is None
    by_id = {item["user_id"]: item for item in body["items"]}
    assert set(by_id) == {str(founder.id), str(admin.id)}
    assert by_id[str(founder.id)]["role"] == "founder"
    assert by_id[str(admin.id)] | {"created_at": None} == {
        "user_id": str(admin.id), "email": admin.email, "display_name": "", "role": "admin",
        "status": "active", "added_by": None, "created_at": None, "removed_at": None}


async def test_admin_may_read_staff_list(world: World) -> None:
    shop_id, _ = await world.shop()
    admin = await world.staff(shop_id, "admin")
    response = await world.client.get(members_path(shop_id), headers=admin.headers())
    assert response.status_code == 200, response.text


async def test_senior_admin_adds_existing_account_and_it_takes_effect_at_once(world: World) -> None:
    shop_id, _ = await world.shop()
    senior = await world.staff(shop_id, "senior_admin")
    newcomer = await world.user()
    # Not a member yet: the shop does not exist for them.
    assert_error(await world.client.get(members_path(shop_id), headers=newcomer.headers()),
                 404, "shop.not_found")

    response = await world.client.post(members_path(shop_id), headers=senior.headers(),
                                       json={"user_id": str(newcomer.id), "role": "admin"})

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["user_id"] == str(newcomer.id) and body["email"] == newcomer.email
    assert (body["role"], body["status"], body["added_by"]) == ("admin", "active", str(senior.id))
    assert (body["invited"], body["readded"]) == (False, False)
    # The very next request, same token, sees the new role.
    listed = await world.client.get(members_path(shop_id), headers=newcomer.headers())
    assert listed.status_code == 200, listed.text
    [entry] = await audit_entries(world, shop_id)
    assert entry["action"] == "member.added"
    assert entry["actor_id"] == senior.id and entry["target"] == str(newcomer.id)
    assert entry["details"] == {"role": "admin", "via": "shop"}


async def test_invite_by_email_creates_an_account_that_cannot_sign_in_yet(world: World) -> None:
    shop_id, founder = await world.shop()
    email = f"Invitee-{uuid.uuid4().hex[:8]}@Example.com"

    response = await world.client.post(
        members_path(shop_id), headers=founder.headers(),
        json={"email": email, "display_name": "New Agent", "role": "agent"})

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["invited"] is True and body["readded"] is False
    assert body["email"] == email.lower() and body["display_name"] == "New Agent"
    assert body["role"] == "agent"
    login = await world.client.post("/api/v1/auth/login", json={
        "email": email.lower(), "password": PASSWORD, "client": "web"})
    assert login.status_code == 401, login.text
    [entry] = await audit_entries(world, shop_id)
    assert entry["action"] == "member.invited" and entry["target"] == body["user_id"]


async def test_adding_by_email_of_an_existing_account_is_not_an_invite(world: World) -> None:
    shop_id, founder = await world.shop()
    existing = await world.user(login=False)
    response = await world.client.post(members_path(shop_id), headers=founder.headers(),
                                       json={"email": existing.email.upper(), "role": "verifier"})
    assert response.status_code == 201, response.text
    assert response.json()["user_id"] == str(existing.id)
    assert response.json()["invited"] is False


async def test_change_role_applies_at_once_and_is_audited(world: World) -> None:
    shop_id, founder = await world.shop()
    admin = await world.staff(shop_id, "admin")
    add_as_admin = {"email": f"x-{uuid.uuid4().hex[:8]}@example.com", "role": "agent"}
    assert_error(await world.client.post(members_path(shop_id), headers=admin.headers(),
                                         json=add_as_admin), 403, "permission.denied")

    response = await world.client.patch(members_path(shop_id, admin.id),
                                        headers=founder.headers(), json={"role": "senior_admin"})

    assert response.status_code == 200, response.text
    assert response.json()["role"] == "senior_admin"
    promoted = await world.client.post(members_path(shop_id), headers=admin.headers(),
                                       json=add_as_admin)
    assert promoted.status_code == 201, promoted.text
    entries = await audit_entries(world, shop_id, "member.role_changed")
    assert entries[0]["details"] == {"from": "admin", "to": "senior_admin"}
    assert entries[0]["actor_id"] == founder.id


async def test_changing_to_the_same_role_changes_nothing(world: World) -> None:
    shop_id, founder = await world.shop()
    agent = await quiet_staff(world, shop_id, "agent")
    response = await world.client.patch(members_path(shop_id, agent.id),
                                        headers=founder.headers(), json={"role": "agent"})
    assert response.status_code == 200 and response.json()["role"] == "agent"
    assert await audit_entries(world, shop_id, "member.role_changed") == []


async def test_removed_member_keeps_the_row_and_is_refused_on_the_next_request(world: World) -> None:
    shop_id, founder = await world.shop()
    admin = await world.staff(shop_id, "admin")
    assert (await world.client.get(members_path(shop_id), headers=admin.headers())).status_code == 200

    response = await world.client.delete(members_path(shop_id, admin.id), headers=founder.headers())

    assert response.status_code == 204, response.text
    # The token the admin still holds is worthless for this shop, on web and mobile alike.
    for client in ("web", "mobile"):
        assert_error(await world.client.get(members_path(shop_id), headers=admin.headers(client)),
                     404, "shop.not_found")
    row = await member_row(world, shop_id, admin.id)
    assert row is not None and row["status"] == "removed"
    assert row["removed_by"] == founder.id and row["removed_at"] is not None
    active = (await world.client.get(members_path(shop_id), headers=founder.headers())).json()
    assert str(admin.id) not in {item["user_id"] for item in active["items"]}
    everyone = (await world.client.get(members_path(shop_id), headers=founder.headers(),
                                       params={"include_removed": "true"})).json()
    [listed] = [item for item in everyone["items"] if item["user_id"] == str(admin.id)]
    assert listed["status"] == "removed" and listed["removed_at"] is not None
    [entry] = await audit_entries(world, shop_id, "member.removed")
    assert entry["details"] == {"role": "admin", "founder_removed": False}


async def test_readding_a_removed_member_reactivates_the_row_with_the_new_role(world: World) -> None:
    shop_id, founder = await world.shop()
    agent = await world.staff(shop_id, "agent")
    before = await member_row(world, shop_id, agent.id)
    assert (await world.client.delete(members_path(shop_id, agent.id),
                                      headers=founder.headers())).status_code == 204

    response = await world.client.post(members_path(shop_id), headers=founder.headers(),
                                       json={"user_id": str(agent.id), "role": "admin"})

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["readded"], body["invited"], body["role"], body["status"]) == (
        True, False, "admin", "active")
    assert body["removed_at"] is None
    row = await member_row(world, shop_id, agent.id)
    assert row is not None and before is not None
    assert row["created_at"] == before["created_at"] and row["removed_by"] is None
    assert (await world.client.get(members_path(shop_id), headers=agent.headers())).status_code == 200
    [entry] = await audit_entries(world, shop_id, "member.readded")
    assert entry["details"] == {"role": "admin", "via": "shop"}


async def test_senior_admin_removes_the_founder_for_good(world: World) -> None:
    shop_id, founder = await world.shop()
    senior = await world.staff(shop_id, "senior_admin")

    response = await world.client.delete(members_path(shop_id, founder.id), headers=senior.headers())

    assert response.status_code == 204, response.text
    assert_error(await world.client.get(shop_path(shop_id), headers=founder.headers()),
                 404, "shop.not_found")
    shop = await world.client.get(shop_path(shop_id), headers=senior.headers())
    assert shop.json()["founder_removed"] is True
    [entry] = await audit_entries(world, shop_id, "member.removed")
    assert entry["details"] == {"role": "founder", "founder_removed": True}
    # Nobody becomes founder again, not even the old founder...
    for body in ({"user_id": str(founder.id), "role": "founder"},
                 {"email": f"f-{uuid.uuid4().hex[:8]}@example.com", "role": "founder"}):
        assert_error(await world.client.post(members_path(shop_id), headers=senior.headers(),
                                             json=body), 409, "member.founder_not_restorable")
    other = await quiet_staff(world, shop_id, "admin")
    assert_error(await world.client.patch(members_path(shop_id, other.id), headers=senior.headers(),
                                          json={"role": "founder"}),
                 409, "member.founder_not_restorable")
    # ...though the person may come back in a grantable role.
    back = await world.client.post(members_path(shop_id), headers=senior.headers(),
                                   json={"user_id": str(founder.id), "role": "senior_admin"})
    assert back.status_code == 201 and back.json()["readded"] is True
    assert (await world.client.get(shop_path(shop_id), headers=senior.headers())
            ).json()["founder_removed"] is True


async def test_platform_admin_places_a_firm_agent(world: World) -> None:
    shop_id, _ = await world.shop()
    firm_admin = await world.user(platform_role=FirmRole.PLATFORM_ADMIN)
    firm_agent = await world.user(login=False)

    response = await world.client.post(members_path(shop_id), headers=firm_admin.headers(),
                                       json={"user_id": str(firm_agent.id), "role": "agent"})

    assert response.status_code == 201, response.text
    assert response.json()["added_by"] == str(firm_admin.id)
    [entry] = await audit_entries(world, shop_id)
    assert entry["details"] == {"role": "agent", "via": "firm"}


@pytest.mark.parametrize("shop_role", ["founder", "senior_admin"])
async def test_staff_manager_who_is_also_platform_admin_keeps_full_staff_rights(
        world: World, shop_role: str) -> None:
    dual = await world.user(platform_role=FirmRole.PLATFORM_ADMIN, prefix="dual")
    if shop_role == "founder":
        shop_id, _ = await world.shop(founder=dual)
    else:
        shop_id, _ = await world.shop()
        await world.add_member(shop_id, dual, shop_role)
    newcomer = await world.user(login=False)

    response = await world.client.post(members_path(shop_id), headers=dual.headers(),
                                       json={"user_id": str(newcomer.id), "role": "admin"})

    assert response.status_code == 201, response.text
    assert response.json()["role"] == "admin"
    [entry] = await audit_entries(world, shop_id)
    assert entry["details"] == {"role": "admin", "via": "shop"}


async def test_platform_admin_with_a_non_managing_role_still_places_agents_only(
        world: World) -> None:
    shop_id, _ = await world.shop()
    dual = await world.user(platform_role=FirmRole.PLATFORM_ADMIN, prefix="dual")
    await world.add_member(shop_id, dual, "admin")
    newcomer = await world.user(login=False)

    assert_error(await world.client.post(members_path(shop_id), headers=dual.headers(),
                                         json={"user_id": str(newcomer.id), "role": "admin"}),
                 403, "member.firm_places_agents_only")
    response = await world.client.post(members_path(shop_id), headers=dual.headers(),
                                       json={"user_id": str(newcomer.id), "role": "agent"})
    assert response.status_code == 201, response.text


async def test_one_person_holds_different_roles_in_different_shops(world: World) -> None:
    shop_a, founder_a = await world.shop()
    shop_b, founder_b = await world.shop()
    person = await world.user()
    for shop_id, founder, role in ((shop_a, founder_a, "admin"), (shop_b, founder_b, "agent")):
        response = await world.client.post(members_path(shop_id), headers=founder.headers(),
                                           json={"user_id": str(person.id), "role": role})
        assert response.status_code == 201, response.text

    assert (await world.client.get(members_path(shop_a), headers=person.headers())).status_code == 200
    assert_error(await world.client.get(members_path(shop_b), headers=person.headers()),
                 403, "permission.denied")
    # Removal from one shop leaves the other untouched.
    assert (await world.client.delete(members_path(shop_a, person.id),
                                      headers=founder_a.headers())).status_code == 204
    assert_error(await world.client.get(members_path(shop_a), headers=person.headers()),
                 404, "shop.not_found")
    assert_error(await world.client.get(members_path(shop_b), headers=person.headers()),
                 403, "permission.denied")


async def test_two_shops_inviting_the_same_new_email_at_once_share_one_account(world: World) -> None:
    import asyncio

    (shop_a, founder_a), (shop_b, founder_b) = await world.shop(), await world.shop()
    email = f"new-{uuid.uuid4().hex[:8]}@example.com"
    responses = await asyncio.gather(*(
        world.client.post(f"/api/v1/shops/{shop}/members", headers=founder.headers(),
                          json={"email": email, "role": "agent"})
        for shop, founder in ((shop_a, founder_a), (shop_b, founder_b))))
    assert [r.status_code for r in responses] == [201, 201], [r.text for r in responses]
    assert responses[0].json()["user_id"] == responses[1].json()["user_id"]

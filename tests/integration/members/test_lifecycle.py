"""Staff lifecycle through HTTP: join by invitation, place, change role, remove, re-add
(rules 1-3, 6)."""

from __future__ import annotations

import uuid

import pytest

from rbac.catalog import FirmRole
from tests.integration.members.helpers import audit_entries, member_row, quiet_staff
from tests.support.http import assert_error
from tests.support.mailbox import accept, mailed_token, mailed_tokens
from tests.support.paths import members_path, shop_path
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


async def test_an_existing_account_joins_by_invitation_and_it_takes_effect_at_once(
        world: World) -> None:
    shop_id, _ = await world.shop()
    senior = await world.staff(shop_id, "senior_admin")
    newcomer = await world.user()
    # Not a member yet: the shop does not exist for them.
    assert_error(await world.client.get(members_path(shop_id), headers=newcomer.headers()),
                 404, "shop.not_found")

    invited = await world.client.post(shop_path(shop_id, "invitations"), headers=senior.headers(),
                                      json={"email": newcomer.email, "role": "admin"})
    assert invited.status_code == 202, invited.text
    # Until the person accepts, the shop sees only what it typed: no member, no account data.
    assert set(invited.json()) >= {"email", "role"} and "user_id" not in invited.json()
    assert await member_row(world, shop_id, newcomer.id) is None
    accepted = await accept(world, mailed_token(world, newcomer.email))
    assert accepted.status_code == 200, accepted.text

    # The very next request, same token, sees the new role; the member's own row shows them.
    listed = await world.client.get(members_path(shop_id), headers=newcomer.headers())
    assert listed.status_code == 200, listed.text
    [row] = [m for m in listed.json()["items"] if m["user_id"] == str(newcomer.id)]
    assert (row["email"], row["role"], row["status"], row["added_by"]) == (
        newcomer.email, "admin", "active", str(senior.id))
    [entry] = await audit_entries(world, shop_id, "invitation.accepted")
    assert entry["actor_id"] == newcomer.id


async def test_adding_by_email_points_to_invitations_and_adds_nobody(world: World) -> None:
    shop_id, founder = await world.shop()
    for address in (f"Invitee-{uuid.uuid4().hex[:8]}@Example.com",
                    (await world.user(login=False)).email):
        body = assert_error(await world.client.post(
            members_path(shop_id), headers=founder.headers(),
            json={"email": address, "role": "agent"}), 422, "member.invite_by_email")
        assert f"/api/v1/shops/{shop_id}/invitations" in body["message"]
    assert await audit_entries(world, shop_id) == []
    listed = (await world.client.get(members_path(shop_id), headers=founder.headers())).json()
    assert {m["user_id"] for m in listed["items"]} == {str(founder.id)}


async def test_stranger_and_unknown_ids_get_the_identical_answer(world: World) -> None:
    shop_id, founder = await world.shop()
    other_shop, _ = await world.shop()
    elsewhere = await world.staff(other_shop, "admin")  # works in another shop
    loner = await world.user(login=False)  # works nowhere
    answers = []
    for target in (elsewhere.id, loner.id, uuid.uuid4()):
        response = await world.client.post(members_path(shop_id), headers=founder.headers(),
                                           json={"user_id": str(target), "role": "agent"})
        body = assert_error(response, 422, "member.not_a_former_member")
        answers.append((response.status_code, body["code"], body["message"], body["details"],
                        sorted(response.headers.keys() - {"x-request-id", "date"})))
    assert answers[0] == answers[1] == answers[2]
    assert "invitations" in answers[0][2] and answers[0][3] == {}
    assert await member_row(world, shop_id, elsewhere.id) is None
    assert await audit_entries(world, shop_id) == []


async def test_change_role_applies_at_once_and_is_audited(world: World) -> None:
    shop_id, founder = await world.shop()
    admin = await world.staff(shop_id, "admin")
    add_as_admin = {"email": f"x-{uuid.uuid4().hex[:8]}@example.com", "role": "agent"}
    invitations = shop_path(shop_id, "invitations")
    assert_error(await world.client.post(invitations, headers=admin.headers(),
                                         json=add_as_admin), 403, "permission.denied")

    response = await world.client.patch(members_path(shop_id, admin.id),
                                        headers=founder.headers(), json={"role": "senior_admin"})

    assert response.status_code == 200, response.text
    assert response.json()["role"] == "senior_admin"
    promoted = await world.client.post(invitations, headers=admin.headers(), json=add_as_admin)
    assert promoted.status_code == 202, promoted.text
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
    assert "invited" not in body
    assert (body["readded"], body["role"], body["status"]) == (True, "admin", "active")
    assert body["email"] == agent.email  # a former member: the shop knew them already
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
    former = await quiet_staff(world, shop_id, "agent")
    await world.remove_member_directly(shop_id, former)
    firm_agent = await world.user(login=False)

    back = await world.client.post(members_path(shop_id), headers=dual.headers(),
                                   json={"user_id": str(former.id), "role": "admin"})
    placed = await world.client.post(members_path(shop_id), headers=dual.headers(),
                                     json={"user_id": str(firm_agent.id), "role": "agent"})

    assert back.status_code == placed.status_code == 201, (back.text, placed.text)
    assert (back.json()["role"], back.json()["readded"]) == ("admin", True)
    assert (placed.json()["role"], placed.json()["readded"]) == ("agent", False)
    entries = await audit_entries(world, shop_id)
    assert [(e["action"], e["details"]) for e in entries[-2:]] == [
        ("member.readded", {"role": "admin", "via": "shop"}),
        ("member.added", {"role": "agent", "via": "firm"})]
    # A stranger in any role other than agent still joins by invitation only.
    assert_error(await world.client.post(members_path(shop_id), headers=dual.headers(),
                                         json={"user_id": str(uuid.uuid4()), "role": "admin"}),
                 422, "member.not_a_former_member")


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
        invited = await world.client.post(shop_path(shop_id, "invitations"),
                                          headers=founder.headers(),
                                          json={"email": person.email, "role": role})
        assert invited.status_code == 202, invited.text
        accepted = await accept(world, mailed_token(world, person.email))
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["user_id"] == str(person.id)

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
        world.client.post(shop_path(shop, "invitations"), headers=founder.headers(),
                          json={"email": email, "role": "agent"})
        for shop, founder in ((shop_a, founder_a), (shop_b, founder_b))))
    assert [r.status_code for r in responses] == [202, 202], [r.text for r in responses]
    first, second = mailed_tokens(world, email)
    created = await accept(world, first, password=PASSWORD)
    joined = await accept(world, second)  # the account exists now: it keeps its password
    assert created.status_code == joined.status_code == 200, (created.text, joined.text)
    assert created.json()["account_created"] is True and joined.json()["account_created"] is False
    assert created.json()["user_id"] == joined.json()["user_id"]
    assert {created.json()["shop_id"], joined.json()["shop_id"]} == {str(shop_a), str(shop_b)}

"""Every refusal of the member routes, each with its own code; wrong roles; other shops."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.members.helpers import audit_entries, quiet_staff
from tests.support.crew import Crew
from tests.support.http import assert_error
from tests.support.paths import members_path
from tests.support.world import Account, World


def _email() -> str:
    return f"m-{uuid.uuid4().hex[:10]}@example.com"


@pytest.fixture(scope="module")
async def team(world: World) -> Crew:
    """One shop with one person per role, plus firm roles and an outsider.

    Shared by the tests below that only send refused requests, so nothing here changes;
    a test that must change staff builds a shop of its own.
    """
    shop_id, founder = await world.shop()
    return await world.crew(shop_id, founder)


@pytest.fixture(scope="module")
async def bystander(world: World) -> Account:
    """An account that belongs to no shop and never signs in."""
    return await world.user(login=False)


# -- rule 1: founder ------------------------------------------------------------------------

async def test_founder_role_cannot_be_granted_by_adding(world: World, team: Crew,
                                                        bystander: Account) -> None:
    for body in ({"user_id": str(bystander.id), "role": "founder"},
                 {"email": _email(), "role": "founder"}):
        assert_error(await world.client.post(members_path(team.shop_id),
                                             headers=team.founder.headers(), json=body),
                     422, "member.founder_not_grantable")
    assert await audit_entries(world, team.shop_id) == []


async def test_founder_role_cannot_be_granted_by_a_role_change(world: World, team: Crew) -> None:
    assert_error(await world.client.patch(members_path(team.shop_id, team.admin.id),
                                          headers=team.senior.headers(), json={"role": "founder"}),
                 422, "member.founder_not_grantable")


async def test_founders_role_is_fixed(world: World, team: Crew) -> None:
    for role in ("admin", "senior_admin"):
        assert_error(await world.client.patch(members_path(team.shop_id, team.founder.id),
                                              headers=team.senior.headers(), json={"role": role}),
                     409, "member.founder_role_fixed")


# -- validation -----------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["owner", "FOUNDER", "platform_admin", "", 3, None])
async def test_unknown_role_is_a_validation_error(world: World, team: Crew, role: object) -> None:
    add = await world.client.post(members_path(team.shop_id), headers=team.founder.headers(),
                                  json={"email": _email(), "role": role})
    assert_error(add, 422, "request.validation_failed")
    change = await world.client.patch(members_path(team.shop_id, team.agent.id),
                                      headers=team.founder.headers(), json={"role": role})
    assert_error(change, 422, "request.validation_failed")


@pytest.mark.parametrize(("identity", "code"), [
    ("neither", "member.not_a_former_member"), ("email", "member.invite_by_email"),
    ("both", "member.invite_by_email")])
async def test_newcomers_are_pointed_to_invitations(world: World, team: Crew, bystander: Account,
                                                    identity: str, code: str) -> None:
    body: dict[str, object] = {"role": "agent"}
    if identity in {"email", "both"}:
        body |= {"email": _email()}
    if identity == "both":
        body |= {"user_id": str(bystander.id)}
    refused = assert_error(await world.client.post(
        members_path(team.shop_id), headers=team.founder.headers(), json=body), 422, code)
    assert f"/api/v1/shops/{team.shop_id}/invitations" in refused["message"]
    assert refused["details"] == {}


async def test_unknown_user_id_is_refused_without_saying_so(world: World, team: Crew) -> None:
    body = assert_error(await world.client.post(
        members_path(team.shop_id), headers=team.founder.headers(),
        json={"user_id": str(uuid.uuid4()), "role": "agent"}), 422, "member.not_a_former_member")
    assert body["details"] == {}


@pytest.mark.parametrize(("method", "body"), [
    ("POST", {"email": "a@example.com", "role": "agent", "is_admin": True}),
    ("POST", {"user_id": 42, "role": "agent"}),
    ("POST", {"user_id": "not-a-uuid", "role": "agent"}),
    ("POST", {"email": "not-an-email", "role": "agent"}),
    ("POST", {"user_id": str(uuid.uuid4()), "role": "agent", "display_name": "x"}),
    ("POST", ["agent"]),
    ("PATCH", {"role": "agent", "status": "active"}),
    ("PATCH", {}),
    ("PATCH", "agent"),
], ids=["unknown-field", "id-wrong-type", "id-not-uuid", "bad-email", "name-no-longer-taken", "array",
        "patch-unknown-field", "patch-empty", "patch-string"])
async def test_bad_bodies_are_refused_with_a_code(world: World, team: Crew, method: str,
                                                  body: object) -> None:
    path = members_path(team.shop_id) if method == "POST" else members_path(team.shop_id, team.agent.id)
    response = await world.client.request(method, path, headers=team.founder.headers(), json=body)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["code"] in {"request.validation_failed", "request.invalid",
                                       "request.malformed_body"}


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_malformed_json_is_refused(world: World, team: Crew, method: str) -> None:
    path = members_path(team.shop_id) if method == "POST" else members_path(team.shop_id, team.agent.id)
    response = await world.client.request(
        method, path, content=b'{"role": "agent",',
        headers={**team.founder.headers(), "Content-Type": "application/json"})
    assert_error(response, 400, "request.malformed_body")


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
@pytest.mark.parametrize("bad_id", ["not-a-uuid", "1234", "%20"])
async def test_member_path_id_must_be_a_uuid(world: World, team: Crew, method: str,
                                             bad_id: str) -> None:
    response = await world.client.request(
        method, members_path(team.shop_id, bad_id), headers=team.founder.headers(),
        json={"role": "agent"} if method == "PATCH" else None)
    assert response.status_code == 404, response.text
    assert response.json()["code"]


# -- rule 2: who may add whom -----------------------------------------------------------------

async def test_adding_an_active_member_again_is_a_conflict(world: World, team: Crew) -> None:
    for body in ({"user_id": str(team.admin.id), "role": "agent"},
                 {"user_id": str(team.founder.id), "role": "admin"}):
        assert_error(await world.client.post(members_path(team.shop_id),
                                             headers=team.founder.headers(), json=body),
                     409, "member.already_member")


@pytest.mark.parametrize("role", ["senior_admin", "admin", "verifier"])
async def test_platform_admin_places_agents_only(world: World, team: Crew, bystander: Account,
                                                 role: str) -> None:
    for body in ({"user_id": str(bystander.id), "role": role},
                 {"email": _email(), "role": role}):
        assert_error(await world.client.post(members_path(team.shop_id),
                                             headers=team.firm_admin.headers(), json=body),
                     403, "member.firm_places_agents_only")


async def test_platform_admin_may_not_remove_or_change_roles(world: World, team: Crew) -> None:
    body = assert_error(await world.client.delete(members_path(team.shop_id, team.agent.id),
                                                  headers=team.firm_admin.headers()),
                        403, "permission.denied")
    assert body["details"] == {"permission": "staff:remove"}
    body = assert_error(await world.client.patch(members_path(team.shop_id, team.agent.id),
                                                 headers=team.firm_admin.headers(),
                                                 json={"role": "admin"}),
                        403, "permission.denied")
    assert body["details"] == {"permission": "staff:change_role"}


async def test_platform_auditor_reads_staff_but_adds_nobody(world: World, team: Crew) -> None:
    listed = await world.client.get(members_path(team.shop_id), headers=team.auditor.headers())
    assert listed.status_code == 200, listed.text
    body = assert_error(await world.client.post(members_path(team.shop_id),
                                                headers=team.auditor.headers(),
                                                json={"email": _email(), "role": "agent"}),
                        403, "permission.denied")
    assert body["details"] == {"permission": "staff:add"}


@pytest.mark.parametrize("role", ["admin", "agent", "verifier"])
async def test_roles_below_senior_admin_cannot_manage_staff(world: World, team: Crew,
                                                            role: str) -> None:
    caller = team.by_role(role)
    client = "mobile" if role == "verifier" else "web"  # a verifier is refused anything on web
    attempts = [
        ("POST", members_path(team.shop_id), {"email": _email(), "role": "agent"}, "staff:add"),
        ("PATCH", members_path(team.shop_id, team.agent.id), {"role": "admin"}, "staff:change_role"),
        ("DELETE", members_path(team.shop_id, team.agent.id), None, "staff:remove"),
    ]
    for method, path, body, permission in attempts:
        response = await world.client.request(method, path, json=body,
                                              headers=caller.headers(client))
        denied = assert_error(response, 403, "permission.denied")
        assert denied["details"] == {"permission": permission}
    listed = await world.client.get(members_path(team.shop_id), headers=caller.headers(client))
    if role == "admin":
        assert listed.status_code == 200, listed.text
    else:
        denied = assert_error(listed, 403, "permission.denied")
        assert denied["details"] == {"permission": "staff:read"}


async def test_verifier_on_web_is_refused_as_mobile_only(world: World, team: Crew) -> None:
    for method, path, body in (("GET", members_path(team.shop_id), None),
                               ("DELETE", members_path(team.shop_id, team.agent.id), None)):
        refused = assert_error(await world.client.request(method, path, json=body,
                                                          headers=team.verifier.headers("web")),
                               403, "client.mobile_only")
        assert "permission" in refused["details"]


async def test_non_member_does_not_learn_the_shop_exists(world: World, team: Crew) -> None:
    for shop_id in (team.shop_id, uuid.uuid4()):
        for method, path, body in [
            ("GET", members_path(shop_id), None),
            ("POST", members_path(shop_id), {"email": _email(), "role": "agent"}),
            ("PATCH", members_path(shop_id, team.agent.id), {"role": "admin"}),
            ("DELETE", members_path(shop_id, team.agent.id), None),
        ]:
            response = await world.client.request(method, path, json=body,
                                                  headers=team.outsider.headers())
            assert assert_error(response, 404, "shop.not_found")["details"] == {}


# -- rule 2: nobody removes or re-roles themself ------------------------------------------

@pytest.mark.parametrize("role", ["founder", "senior_admin"])
async def test_nobody_removes_themself(world: World, team: Crew, role: str) -> None:
    caller = team.by_role(role)
    assert_error(await world.client.delete(members_path(team.shop_id, caller.id),
                                           headers=caller.headers()), 403, "member.self_removal")


@pytest.mark.parametrize("role", ["founder", "senior_admin"])
async def test_nobody_changes_their_own_role(world: World, team: Crew, role: str) -> None:
    caller = team.by_role(role)
    assert_error(await world.client.patch(members_path(team.shop_id, caller.id),
                                          headers=caller.headers(), json={"role": "admin"}),
                 403, "member.self_role_change")


# -- targets that are not (active) members here -----------------------------------------------

async def test_target_must_be_an_active_member(world: World) -> None:
    shop_id, founder = await world.shop()
    stranger = await world.user(login=False)
    removed = await quiet_staff(world, shop_id, "agent")
    assert (await world.client.delete(members_path(shop_id, removed.id),
                                      headers=founder.headers())).status_code == 204
    for target in (stranger.id, removed.id, uuid.uuid4()):
        assert_error(await world.client.patch(members_path(shop_id, target), headers=founder.headers(),
                                              json={"role": "admin"}), 404, "member.not_found")
        assert_error(await world.client.delete(members_path(shop_id, target), headers=founder.headers()),
                     404, "member.not_found")


async def test_founder_of_one_shop_cannot_touch_another_shops_members(world: World,
                                                                      team: Crew) -> None:
    shop_a, founder_a = await world.shop()
    shop_b, agent_b, founder_b = team.shop_id, team.agent, team.founder
    # Through shop B's path: A's founder is nobody there.
    for method, body in (("GET", None), ("POST", {"email": _email(), "role": "agent"}),
                         ("PATCH", {"role": "admin"}), ("DELETE", None)):
        path = members_path(shop_b) if method in {"GET", "POST"} else members_path(shop_b, agent_b.id)
        assert_error(await world.client.request(method, path, json=body, headers=founder_a.headers()),
                     404, "shop.not_found")
    # Through shop A's own path: B's staff are invisible, not merely forbidden.
    for target in (agent_b.id, founder_b.id):
        assert_error(await world.client.patch(members_path(shop_a, target), headers=founder_a.headers(),
                                              json={"role": "admin"}), 404, "member.not_found")
        assert_error(await world.client.delete(members_path(shop_a, target),
                                               headers=founder_a.headers()), 404, "member.not_found")
    listed = (await world.client.get(members_path(shop_a), headers=founder_a.headers(),
                                     params={"include_removed": "true"})).json()
    assert {item["user_id"] for item in listed["items"]} == {str(founder_a.id)}
    listed_b = (await world.client.get(members_path(shop_b), headers=founder_b.headers())).json()
    assert {i["user_id"]: i["role"] for i in listed_b["items"]}[str(agent_b.id)] == "agent"


async def test_member_of_two_shops_acts_only_with_each_shops_role(world: World, team: Crew) -> None:
    # The team's senior admin is only an agent in a second shop.
    shop_b, _ = await world.shop()
    await world.add_member(shop_b, team.senior, "agent")
    target_b = await quiet_staff(world, shop_b, "agent")
    assert_error(await world.client.delete(members_path(shop_b, target_b.id),
                                           headers=team.senior.headers()), 403, "permission.denied")
    assert_error(await world.client.delete(members_path(team.shop_id, target_b.id),
                                           headers=team.senior.headers()), 404, "member.not_found")

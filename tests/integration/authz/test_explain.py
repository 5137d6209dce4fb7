"""POST /authz/explain: a fresh Casbin decision for one user here, and the reason for it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from rbac.catalog import FirmRole
from tests.support.world import Account, World


async def explain(world: World, shop_id: uuid.UUID, asker: Account, **body: Any) -> dict[str, Any]:
    response = await world.client.post(f"/api/v1/shops/{shop_id}/authz/explain",
                                       json=body, headers=asker.headers())
    assert response.status_code == 200, response.text
    return response.json()


async def test_allowed_names_the_role_rule_and_request(world: World) -> None:
    shop_id, founder = await world.shop()
    admin = await world.staff(shop_id, "admin")
    answer = await explain(world, shop_id, founder, user_id=str(admin.id),
                           permission="refunds:process")
    assert answer == {
        "allowed": True, "reason": "allowed", "permission": "refunds:process",
        "user_id": str(admin.id), "client": "web",
        "granted_by_role": "admin", "rule": "p, refunds:process, admin, always", "via": "shop",
        "member_role": "admin", "firm_role": None,
        "request": {"perm": "refunds:process", "sub": str(admin.id), "dom": str(shop_id),
                    "client": "web", "wechat": "unbound", "status": "active"},
    }


async def test_verifier_on_web_is_denied_and_allowed_on_mobile(world: World) -> None:
    shop_id, founder = await world.shop()
    verifier = await world.staff(shop_id, "verifier")
    web = await explain(world, shop_id, founder, user_id=str(verifier.id),
                        permission="verifications:redeem")
    assert (web["allowed"], web["reason"], web["member_role"]) == (
        False, "web_client_for_verifier", "verifier")
    assert web["granted_by_role"] is None and web["rule"] is None and web["via"] is None
    mobile = await explain(world, shop_id, founder, user_id=str(verifier.id),
                           permission="verifications:redeem", client="mobile")
    assert (mobile["allowed"], mobile["rule"]) == (
        True, "p, verifications:redeem, verifier, mobile")
    assert mobile["request"]["client"] == "mobile"


async def test_agent_wechat_permission_follows_the_shop_binding(world: World) -> None:
    shop_id, founder = await world.shop(wechat_bound=False)
    agent = await world.staff(shop_id, "agent")
    unbound = await explain(world, shop_id, founder, user_id=str(agent.id),
                            permission="customers:read")
    assert (unbound["allowed"], unbound["reason"]) == (False, "wechat_not_bound")
    assert unbound["request"]["wechat"] == "unbound"

    await world.set_wechat(shop_id, founder, True)
    bound = await explain(world, shop_id, founder, user_id=str(agent.id),
                          permission="customers:read")
    assert (bound["allowed"], bound["rule"], bound["via"]) == (
        True, "p, customers:read, agent, wechat", "shop")
    assert bound["request"]["wechat"] == "bound"

    await world.set_wechat(shop_id, founder, False)
    again = await explain(world, shop_id, founder, user_id=str(agent.id),
                          permission="customers:read")
    assert again["reason"] == "wechat_not_bound"


async def test_suspended_shop_denies_its_members_but_not_the_firm(world: World) -> None:
    shop_id, founder = await world.shop()
    auditor = await world.user(platform_role=FirmRole.PLATFORM_AUDITOR)
    await world.suspend(shop_id)
    member = await explain(world, shop_id, auditor, user_id=str(founder.id),
                           permission="orders:read")
    assert (member["allowed"], member["reason"], member["member_role"]) == (
        False, "shop_suspended", "founder")
    assert member["request"]["status"] == "suspended"
    firm = await explain(world, shop_id, auditor, user_id=str(auditor.id),
                         permission="audit:read")
    assert (firm["allowed"], firm["via"], firm["granted_by_role"], firm["firm_role"]) == (
        True, "firm", "platform_auditor", "platform_auditor")
    assert firm["rule"] == "p, audit:read, platform_auditor, always"
    assert firm["member_role"] is None


async def test_missing_permission(world: World) -> None:
    shop_id, founder = await world.shop()
    agent = await world.staff(shop_id, "agent")
    answer = await explain(world, shop_id, founder, user_id=str(agent.id),
                           permission="refunds:process", client="mobile")
    assert (answer["allowed"], answer["reason"], answer["member_role"]) == (
        False, "permission_missing", "agent")


async def test_a_firm_role_that_grants_nothing_here_is_not_revealed(world: World) -> None:
    # Issue 11: a shop learns nothing about people outside it. A firm auditor asked about a
    # permission the firm role does not grant is, for this shop, simply not a member.
    shop_id, founder = await world.shop()
    auditor = await world.user(platform_role=FirmRole.PLATFORM_AUDITOR)
    answer = await explain(world, shop_id, founder, user_id=str(auditor.id),
                           permission="orders:read")
    assert (answer["allowed"], answer["reason"], answer["firm_role"]) == (
        False, "not_member", None)
    # When the firm role is what grants the permission here, it is the explanation.
    granted = await explain(world, shop_id, founder, user_id=str(auditor.id),
                            permission="audit:read")
    assert (granted["allowed"], granted["via"], granted["firm_role"]) == (
        True, "firm", "platform_auditor")


async def test_not_a_member(world: World) -> None:
    shop_id, founder = await world.shop()
    other_shop, other_founder = await world.shop()
    for who in (other_founder.id, uuid.uuid4()):
        answer = await explain(world, shop_id, founder, user_id=str(who),
                               permission="orders:read")
        assert (answer["allowed"], answer["reason"], answer["member_role"]) == (
            False, "not_member", None)
    # The same person is a member of their own shop: nothing leaks between the two.
    own = await explain(world, other_shop, other_founder, user_id=str(other_founder.id),
                        permission="orders:read")
    assert own["allowed"] is True


async def test_removed_member_is_no_longer_a_member(world: World) -> None:
    shop_id, founder = await world.shop()
    admin = await world.staff(shop_id, "admin")
    await world.remove_member_directly(shop_id, admin)
    answer = await explain(world, shop_id, founder, user_id=str(admin.id),
                           permission="orders:read")
    assert answer["reason"] == "not_member"


async def test_unknown_permission_is_answered_not_refused(world: World) -> None:
    shop_id, founder = await world.shop()
    answer = await explain(world, shop_id, founder, user_id=str(founder.id),
                           permission="nuclear:launch")
    assert (answer["allowed"], answer["reason"]) == (False, "unknown_permission")
    assert answer["request"]["perm"] == "nuclear:launch"


async def test_explain_does_not_go_through_the_decision_cache(world: World) -> None:
    shop_id, founder = await world.shop()
    agent = await world.staff(shop_id, "agent")
    await explain(world, shop_id, founder, user_id=str(agent.id), permission="orders:read")
    cached = world.runtime.policy._cache.get(str(shop_id), {})
    assert ("orders:read", str(agent.id), "web") not in cached


BAD_BODIES = [
    pytest.param({"user_id": str(uuid.uuid4()), "permission": "orders:read", "extra": 1},
                 id="unknown-field"),
    pytest.param({"user_id": "not-a-uuid", "permission": "orders:read"}, id="bad-uuid"),
    pytest.param({"user_id": str(uuid.uuid4()), "permission": "orders:read",
                  "client": "desktop"}, id="bad-client"),
    pytest.param({"user_id": str(uuid.uuid4())}, id="missing-permission"),
    pytest.param({"user_id": str(uuid.uuid4()), "permission": ""}, id="empty-permission"),
    pytest.param([], id="not-an-object"),
]


@pytest.mark.parametrize("body", BAD_BODIES)
async def test_bad_bodies_get_a_json_error_with_a_code(world: World, body: Any) -> None:
    shop_id, founder = await world.shop()
    response = await world.client.post(f"/api/v1/shops/{shop_id}/authz/explain", json=body,
                                       headers=founder.headers())
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["code"].startswith("request.")


async def test_malformed_json_gets_a_json_error_with_a_code(world: World) -> None:
    shop_id, founder = await world.shop()
    response = await world.client.post(
        f"/api/v1/shops/{shop_id}/authz/explain", content=b'{"user_id": ',
        headers={**founder.headers(), "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["code"] == "request.malformed_body"


async def test_bad_shop_id_in_the_path_is_not_found(world: World) -> None:
    _, founder = await world.shop()
    response = await world.client.get("/api/v1/shops/not-a-uuid/authz/matrix",
                                      headers=founder.headers())
    assert 400 <= response.status_code < 500
    assert "code" in response.json()

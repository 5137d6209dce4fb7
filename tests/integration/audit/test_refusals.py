"""Refusals reach the audit log: a service's rule refusals in the shop's chain, strangers'
refusals in the firm's chain (so nobody outside a shop can flood its log)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text

from api.db.shop_context import bind_shop
from api.domain.audit import denials
from rbac.catalog import FirmRole
from tests.support.paths import members_path, shop_path
from tests.support.world import Account, World


async def shop_denials(world: World, shop_id: uuid.UUID, founder: Account) -> list[dict[str, Any]]:
    response = await world.client.get(shop_path(shop_id, "audit"), headers=founder.headers(),
                                      params={"action": "request.denied"})
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def firm_denials(world: World, actor: Account) -> list[dict[str, Any]]:
    auditor = await world.user(platform_role=FirmRole.PLATFORM_AUDITOR, prefix="auditor")
    response = await world.client.get("/api/v1/audit", headers=auditor.headers(),
                                      params={"action": "request.denied", "actor_id": str(actor.id)})
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_self_removal_is_audited_in_the_shop_with_its_code(world: World) -> None:
    shop_id, founder = await world.shop()
    response = await world.client.delete(members_path(shop_id, founder.id),
                                         headers=founder.headers())
    assert (response.status_code, response.json()["code"]) == (403, "member.self_removal")
    [entry] = await shop_denials(world, shop_id, founder)
    assert (entry["actor_id"], entry["outcome"], entry["target"]) == (
        str(founder.id), "denied", f"DELETE {members_path(shop_id, founder.id)}")
    assert entry["details"] == {"code": "member.self_removal", "status": 403,
                                "permission": "staff:remove"}


async def test_a_removed_callers_refusal_is_audited_in_the_shop_with_its_code(world: World) -> None:
    shop_id, founder = await world.shop()
    first = await world.staff(shop_id, "senior_admin")
    second = await world.staff(shop_id, "senior_admin")
    assert (await world.client.delete(members_path(shop_id, founder.id),
                                      headers=first.headers())).status_code == 204
    # ``first`` leaves without the policy hearing of it, so the guard still admits them:
    # the request that follows meets the rule, not the guard.
    async with world.app.state.sessionmaker() as session, session.begin():
        await bind_shop(session, shop_id)
        await session.execute(text("UPDATE shop_members SET status = 'removed' "
                                   "WHERE shop_id = :s AND user_id = :u"),
                              {"s": shop_id, "u": first.id})
    response = await world.client.delete(members_path(shop_id, second.id),
                                         headers=first.headers())
    assert (response.status_code, response.json()["code"]) == (404, "shop.not_found")
    [entry] = await shop_denials(world, shop_id, second)
    assert (entry["actor_id"], entry["target"]) == (
        str(first.id), f"DELETE {members_path(shop_id, second.id)}")
    assert entry["details"] == {"code": "shop.not_found", "status": 404,
                                "permission": "staff:remove"}


async def test_a_refusal_whose_audit_write_fails_is_still_the_refusal(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    shop_id, founder = await world.shop()

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(denials, "record_folded", broken)
    response = await world.client.delete(members_path(shop_id, founder.id),
                                         headers=founder.headers())
    assert (response.status_code, response.json()["code"]) == (403, "member.self_removal")


async def test_refusal_in_one_shop_is_not_in_another(world: World) -> None:
    shop_a, founder_a = await world.shop()
    shop_b, founder_b = await world.shop()
    await world.client.delete(members_path(shop_a, founder_a.id), headers=founder_a.headers())
    assert len(await shop_denials(world, shop_a, founder_a)) == 1
    assert await shop_denials(world, shop_b, founder_b) == []


async def test_non_members_refusals_go_to_the_firm_chain_not_the_shop(world: World) -> None:
    shop_id, founder = await world.shop()
    outsider = await world.user(prefix="outsider")
    unknown = uuid.uuid4()
    for target in (shop_id, unknown):
        response = await world.client.get(f"/api/v1/shops/{target}/audit",
                                          headers=outsider.headers())
        assert (response.status_code, response.json()["code"]) == (404, "shop.not_found")
    assert await shop_denials(world, shop_id, founder) == []
    entries = await firm_denials(world, outsider)
    assert [(e["target"], e["details"]) for e in entries] == [
        (f"GET /api/v1/shops/{unknown}/audit",
         {"permission": "audit:read", "reason": "unknown_shop", "role": None,
          "shop_id": str(unknown)}),
        (f"GET /api/v1/shops/{shop_id}/audit",
         {"permission": "audit:read", "reason": "not_member", "role": None,
          "shop_id": str(shop_id)}),
    ]


async def test_a_members_refusal_by_the_guard_stays_in_the_shop(world: World) -> None:
    shop_id, founder = await world.shop()
    agent = await world.staff(shop_id, "agent")
    assert (await world.client.get(f"/api/v1/shops/{shop_id}/audit",
                                   headers=agent.headers())).status_code == 403
    [entry] = await shop_denials(world, shop_id, founder)
    assert entry["actor_id"] == str(agent.id)
    assert entry["details"]["reason"] == "permission_missing"
    assert await firm_denials(world, agent) == []

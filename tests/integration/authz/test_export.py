"""GET /authz/export: any Casbin, given the export, decides exactly like the API."""

from __future__ import annotations

from pathlib import Path

import casbin
import pytest

from rbac.catalog import PERMISSIONS, FirmRole
from tests.support.world import World

STATES = ["unbound", "bound", "suspended"]


async def test_export_decides_like_explain_and_the_guard(world: World, tmp_path: Path) -> None:
    shop_id, founder = await world.shop()
    crew = await world.crew(shop_id, founder)
    auditor = crew["platform_auditor"]
    for state in STATES:
        if state == "bound":
            await world.set_wechat(shop_id, founder, True)
        elif state == "suspended":
            await world.suspend(shop_id)
        response = await world.client.get(f"/api/v1/shops/{shop_id}/authz/export",
                                          headers=auditor.headers())
        assert response.status_code == 200, response.text
        export = response.json()
        current = {f["name"]: f["current"] for f in export["request_fields"]}
        assert [f["name"] for f in export["request_fields"]] == [
            "perm", "sub", "dom", "client", "wechat", "status"]
        assert current["dom"] == str(shop_id)
        assert current["wechat"] == ("unbound" if state == "unbound" else "bound")
        assert current["status"] == ("suspended" if state == "suspended" else "active")

        model = tmp_path / f"{state}.conf"
        policy = tmp_path / f"{state}.csv"
        model.write_text(export["model"])
        policy.write_text(export["policy_csv"])
        enforcer = casbin.Enforcer(str(model), str(policy))  # plain: no index, no cache
        assert type(enforcer) is casbin.Enforcer

        engine = world.runtime.policy
        mismatches = []
        for name, account in crew.items():
            for perm in sorted(PERMISSIONS):
                for client in ("web", "mobile"):
                    exported = enforcer.enforce(perm, str(account.id), current["dom"], client,
                                                current["wechat"], current["status"])
                    explained = (await world.client.post(
                        f"/api/v1/shops/{shop_id}/authz/explain",
                        json={"user_id": str(account.id), "permission": perm, "client": client},
                        headers=auditor.headers())).json()
                    guard = engine.decide(perm, str(account.id), str(shop_id), client)
                    if not exported == explained["allowed"] == guard.allowed:
                        mismatches.append((state, name, perm, client, exported,
                                           explained["reason"], guard.reason))
        assert mismatches == []


async def test_export_policy_lines(world: World) -> None:
    shop_id, founder = await world.shop()
    agent = await world.staff(shop_id, "agent")
    other_shop, other_founder = await world.shop()
    auditor = await world.user(platform_role=FirmRole.PLATFORM_AUDITOR)
    response = await world.client.get(f"/api/v1/shops/{shop_id}/authz/export",
                                      headers=founder.headers())
    export = response.json()
    lines = export["policy_csv"].splitlines()
    assert "p, customers:read, agent, wechat" in lines
    assert "p, verifications:redeem, verifier, mobile" in lines
    assert f"g, {founder.id}, founder, {shop_id}" in lines
    assert f"g, {agent.id}, agent, {shop_id}" in lines
    assert f"g, {auditor.id}, platform_auditor, *" in lines
    assert not [line for line in lines if str(other_shop) in line or str(other_founder.id) in line]
    assert export["model"].startswith("# ShopDesk authorization model")
    assert export["policy_version"] >= 1


async def test_export_is_audited(world: World) -> None:
    shop_id, founder = await world.shop()
    senior = await world.staff(shop_id, "senior_admin")
    assert (await world.client.get(f"/api/v1/shops/{shop_id}/authz/export",
                                   headers=senior.headers())).status_code == 200
    log = (await world.client.get(f"/api/v1/shops/{shop_id}/audit",
                                  params={"action": "policy.exported"},
                                  headers=founder.headers())).json()["items"]
    assert len(log) == 1
    assert log[0]["actor_id"] == str(senior.id)
    assert log[0]["target"] == str(shop_id)
    assert log[0]["details"]["members"] == 2


@pytest.mark.parametrize("role", ["admin", "agent"])
async def test_refused_export_writes_no_export_entry(world: World, role: str) -> None:
    shop_id, founder = await world.shop()
    staff = await world.staff(shop_id, role)
    response = await world.client.get(f"/api/v1/shops/{shop_id}/authz/export",
                                      headers=staff.headers())
    assert response.status_code == 403
    log = (await world.client.get(f"/api/v1/shops/{shop_id}/audit",
                                  params={"action": "policy.exported"},
                                  headers=founder.headers())).json()["items"]
    assert log == []



"""GET /audit and /audit/verify with no shop: the firm's chain, for the firm's roles only.

The firm's chain is shared by the whole suite, so every read here filters by an actor the
test created.
"""

from __future__ import annotations

from typing import Any

import pytest

from rbac.catalog import FirmRole
from tests.support.world import Account, World


async def firm_log(world: World, reader: Account, **params: Any) -> dict[str, Any]:
    response = await world.client.get("/api/v1/audit", params=params, headers=reader.headers())
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
async def auditor(world: World) -> Account:
    return await world.user(platform_role=FirmRole.PLATFORM_AUDITOR, prefix="auditor")


async def test_auditor_sees_sign_ins(world: World, auditor: Account) -> None:
    user = await world.user()  # signs in on the web, then on mobile
    items = (await firm_log(world, auditor, actor_id=str(user.id), action="auth.login"))["items"]
    assert [(i["outcome"], i["target"], i["details"]) for i in items] == [
        ("success", user.email, {"client": "mobile"}),
        ("success", user.email, {"client": "web"}),
    ]
    assert items[0]["prev_hash"] != "00" * 32 and items[0]["seq"] > items[1]["seq"]


async def test_auditor_sees_log_out_everywhere(world: World, auditor: Account) -> None:
    user = await world.user()
    response = await world.client.post("/api/v1/auth/logout-all", headers=user.headers())
    assert response.status_code == 204, response.text
    items = (await firm_log(world, auditor, actor_id=str(user.id),
                            action="auth.logout_all"))["items"]
    assert [(i["outcome"], i["target"]) for i in items] == [("success", str(user.id))]


async def test_platform_admin_may_read_the_firm_log_too(world: World) -> None:
    admin = await world.user(platform_role=FirmRole.PLATFORM_ADMIN, prefix="padmin")
    items = (await firm_log(world, admin, actor_id=str(admin.id), action="auth.login"))["items"]
    assert len(items) == 2


@pytest.mark.parametrize("path", ["/api/v1/audit", "/api/v1/audit/verify"])
@pytest.mark.parametrize("role", ["founder", "senior_admin", "agent", "outsider"])
async def test_shop_roles_and_outsiders_are_refused(world: World, path: str, role: str) -> None:
    shop_id, founder = await world.shop()
    caller = founder if role == "founder" else (
        await world.user(prefix="outsider") if role == "outsider"
        else await world.staff(shop_id, role))
    response = await world.client.get(path, headers=caller.headers())
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "permission.denied"
    assert response.json()["details"] == {"permission": "audit:read"}


async def test_shop_entries_are_not_in_the_firm_log(world: World, auditor: Account) -> None:
    shop_id, founder = await world.shop()
    response = await world.client.patch(f"/api/v1/shops/{shop_id}", json={"name": "Renamed"},
                                        headers=founder.headers())
    assert response.status_code == 200, response.text
    actions = {i["action"] for i in (await firm_log(world, auditor,
                                                    actor_id=str(founder.id)))["items"]}
    assert actions == {"auth.login"}


async def test_pages_walk_one_actors_entries_without_repeats(world: World,
                                                             auditor: Account) -> None:
    user = await world.user()
    for client in ("web", "mobile", "web"):
        await world.login(user, client)
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, "actor_id": str(user.id)}
        if cursor:
            params["cursor"] = cursor
        page = await firm_log(world, auditor, **params)
        assert len(page["items"]) <= 2
        seen += [i["seq"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5 and seen == sorted(seen, reverse=True)


async def test_time_filters_apply_to_the_firm_log(world: World, auditor: Account) -> None:
    user = await world.user()
    web, mobile = sorted((await firm_log(world, auditor, actor_id=str(user.id)))["items"],
                         key=lambda i: i["seq"])
    since = (await firm_log(world, auditor, actor_id=str(user.id),
                            since=mobile["occurred_at"]))["items"]
    until = (await firm_log(world, auditor, actor_id=str(user.id),
                            until=mobile["occurred_at"]))["items"]
    assert [i["seq"] for i in since] == [mobile["seq"]]
    assert [i["seq"] for i in until] == [web["seq"]]


async def test_bad_firm_log_queries_are_refused(world: World, auditor: Account) -> None:
    bad_cursor = await world.client.get("/api/v1/audit", params={"cursor": "%%%"},
                                        headers=auditor.headers())
    assert (bad_cursor.status_code, bad_cursor.json()["code"]) == (
        400, "pagination.invalid_cursor")
    bad_range = await world.client.get(
        "/api/v1/audit", headers=auditor.headers(),
        params={"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"})
    assert (bad_range.status_code, bad_range.json()["code"]) == (422, "audit.invalid_range")


async def test_firm_chain_verifies(world: World, auditor: Account) -> None:
    await world.user()  # at least two sign-ins on the chain
    response = await world.client.get("/api/v1/audit/verify", headers=auditor.headers())
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["ok"] is True and report["problems"] == []
    assert report["entries_checked"] >= 2 and report["last_seq"] >= 2


async def test_refused_firm_log_read_is_audited_in_the_firm_chain(world: World,
                                                                  auditor: Account) -> None:
    shop_id, founder = await world.shop()
    assert (await world.client.get("/api/v1/audit", headers=founder.headers())).status_code == 403
    items = (await firm_log(world, auditor, actor_id=str(founder.id),
                            action="request.denied"))["items"]
    assert [(i["target"], i["details"]) for i in items] == [
        ("GET /api/v1/audit", {"permission": "audit:read", "reason": "permission_missing",
                               "role": None})]

"""A shop always keeps a founder or senior admin, even when two managers race (rule 2)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from api.db.shop_context import bind_shop
from api.domain.members import services
from api.domain.members.deps import StaffActor
from api.domain.members.schemas import MemberAdd
from api.errors import ApiError
from rbac.catalog import ShopRole
from tests.integration.members.helpers import member_row, quiet_staff
from tests.support.http import assert_error
from tests.support.mailbox import onboard_by_invitation
from tests.support.paths import members_path
from tests.support.world import SYSTEM, Account, World


async def _shop_run_by_two_senior_admins(world: World) -> tuple[uuid.UUID, Account, Account]:
    """A shop whose founder is gone, leaving exactly two staff managers."""
    shop_id, founder = await world.shop()
    first = await world.staff(shop_id, "senior_admin")
    second = await world.staff(shop_id, "senior_admin")
    response = await world.client.delete(members_path(shop_id, founder.id), headers=first.headers())
    assert response.status_code == 204, response.text
    return shop_id, first, second


async def _as_stale_caller(world: World, shop_id: uuid.UUID, caller: Account, work):  # type: ignore[no-untyped-def]
    """Run a service call as ``caller`` as if the guard had admitted them a moment ago."""
    actor = StaffActor(shop_id=shop_id, user_id=caller.id)
    async with world.app.state.sessionmaker() as session, session.begin():
        await bind_shop(session, shop_id)
        return await work(session, actor)


async def _active_managers(world: World, shop_id: uuid.UUID, *accounts: Account) -> list[uuid.UUID]:
    managers = []
    for account in accounts:
        row = await member_row(world, shop_id, account.id)
        if row and row["status"] == "active" and row["role"] in {"founder", "senior_admin"}:
            managers.append(account.id)
    return managers


async def test_a_manager_removed_meanwhile_is_a_stranger_and_the_last_manager_stays(
        world: World) -> None:
    shop_id, first, second = await _shop_run_by_two_senior_admins(world)
    assert (await world.client.delete(members_path(shop_id, second.id),
                                      headers=first.headers())).status_code == 204

    # ``second`` passed the guard before its removal committed; its request now arrives.
    with pytest.raises(ApiError) as refused:
        await _as_stale_caller(world, shop_id, second, lambda s, actor: services.remove_member(
            s, actor, first.id, SYSTEM))

    assert (refused.value.status, refused.value.code) == (404, "shop.not_found")
    assert await _active_managers(world, shop_id, first, second) == [first.id]


async def test_a_manager_demoted_meanwhile_cannot_demote_the_last_manager(world: World) -> None:
    shop_id, first, second = await _shop_run_by_two_senior_admins(world)
    demote = await world.client.patch(members_path(shop_id, second.id), headers=first.headers(),
                                      json={"role": "admin"})
    assert demote.status_code == 200, demote.text

    with pytest.raises(ApiError) as refused:
        await _as_stale_caller(world, shop_id, second, lambda s, actor: services.change_role(
            s, actor, first.id, ShopRole.AGENT, SYSTEM))

    assert (refused.value.status, refused.value.code) == (403, "permission.denied")
    assert await _active_managers(world, shop_id, first, second) == [first.id]


async def test_caller_removed_meanwhile_cannot_act_on_others(world: World) -> None:
    shop_id, founder = await world.shop()
    senior = await quiet_staff(world, shop_id, "senior_admin")
    agent = await quiet_staff(world, shop_id, "agent")
    assert (await world.client.delete(members_path(shop_id, senior.id),
                                      headers=founder.headers())).status_code == 204

    with pytest.raises(ApiError) as refused:
        await _as_stale_caller(world, shop_id, senior, lambda s, actor: services.remove_member(
            s, actor, agent.id, SYSTEM))

    assert (refused.value.status, refused.value.code) == (404, "shop.not_found")
    row = await member_row(world, shop_id, agent.id)
    assert row is not None and row["status"] == "active"


async def test_caller_demoted_meanwhile_cannot_add_staff(world: World) -> None:
    shop_id, founder = await world.shop()
    senior = await quiet_staff(world, shop_id, "senior_admin")
    newcomer = await world.user(login=False)
    assert (await world.client.patch(members_path(shop_id, senior.id), headers=founder.headers(),
                                     json={"role": "admin"})).status_code == 200
    with pytest.raises(ApiError) as refused:
        await _as_stale_caller(world, shop_id, senior, lambda s, actor: services.add_member(
            s, actor, MemberAdd(user_id=newcomer.id, role=ShopRole.AGENT), SYSTEM))

    assert (refused.value.status, refused.value.code) == (403, "permission.denied")
    assert refused.value.details == {"permission": "staff:add"}
    assert await member_row(world, shop_id, newcomer.id) is None


async def test_two_senior_admins_removing_each_other_at_once_leave_one(world: World) -> None:
    shop_id, first, second = await _shop_run_by_two_senior_admins(world)

    responses = await asyncio.gather(
        world.client.delete(members_path(shop_id, second.id), headers=first.headers()),
        world.client.delete(members_path(shop_id, first.id), headers=second.headers()),
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses[0] == 204, [r.text for r in responses]
    loser = next(r for r in responses if r.status_code != 204)
    # Whichever lost the lock is no longer a member: refused as a stranger, by its standing
    # read under the lock or by the guard (the invariant's 409 stays as the last line).
    assert (loser.status_code, loser.json()["code"]) in {
        (409, "member.last_staff_manager"), (404, "shop.not_found")}
    assert len(await _active_managers(world, shop_id, first, second)) == 1


async def test_two_senior_admins_demoting_each_other_at_once_leave_one(world: World) -> None:
    shop_id, first, second = await _shop_run_by_two_senior_admins(world)

    responses = await asyncio.gather(
        world.client.patch(members_path(shop_id, second.id), headers=first.headers(),
                           json={"role": "agent"}),
        world.client.patch(members_path(shop_id, first.id), headers=second.headers(),
                           json={"role": "agent"}),
    )

    assert sorted(r.status_code for r in responses)[0] == 200, [r.text for r in responses]
    loser = next(r for r in responses if r.status_code != 200)
    assert (loser.status_code, loser.json()["code"]) in {
        (409, "member.last_staff_manager"), (403, "permission.denied")}
    assert len(await _active_managers(world, shop_id, first, second)) == 1


async def test_a_senior_admin_may_step_down_once_another_manager_exists(world: World) -> None:
    # The seed's procedure: add the replacement first, and the replacement removes the old one.
    shop_id, old, _ = await _shop_run_by_two_senior_admins(world)
    replacement = await onboard_by_invitation(world, shop_id, old, "senior_admin")
    response = await world.client.delete(members_path(shop_id, old.id),
                                         headers=replacement.headers())
    assert response.status_code == 204, response.text
    assert_error(await world.client.get(members_path(shop_id), headers=old.headers()),
                 404, "shop.not_found")


async def test_the_last_staff_manager_cannot_leave_by_any_path(world: World) -> None:
    """The invariant itself, below the checks that normally keep a caller from reaching it."""
    shop_id, founder = await world.shop()

    async def leave(session, actor):  # type: ignore[no-untyped-def]
        member = await services._active_target(session, actor, founder.id)
        await services._keep_a_staff_manager(session, member)

    with pytest.raises(ApiError) as refused:
        await _as_stale_caller(world, shop_id, founder, leave)
    assert (refused.value.status, refused.value.code) == (409, "member.last_staff_manager")

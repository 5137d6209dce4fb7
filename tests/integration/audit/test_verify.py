"""GET /audit/verify: the hash chain, recomputed; tampering by the owner is found exactly."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from tests.integration.audit.chains import chain_of, verify
from tests.support.world import World


async def tamper(owner: asyncpg.Connection, shop_id: uuid.UUID, *statements: str) -> None:
    """Run ``statements`` as the database owner, inside the shop's RLS context."""
    async with owner.transaction():
        await owner.execute("SELECT set_config('app.shop_id', $1, true)", str(shop_id))
        for statement in statements:
            result = await owner.execute(statement, shop_id)
            assert not result.endswith(" 0"), (statement, result)


async def test_untouched_chain_verifies(world: World) -> None:
    shop_id, founder = await chain_of(world, 4)
    report = await verify(world, shop_id, founder)
    log = (await world.client.get(f"/api/v1/shops/{shop_id}/audit",
                                  headers=founder.headers())).json()["items"]
    assert report == {"ok": True, "entries_checked": 4, "last_seq": 4,
                      "last_hash": log[0]["hash"], "problems": []}


async def test_edited_entry_is_a_hash_mismatch_at_its_seq(world: World, owner) -> None:  # type: ignore[no-untyped-def]
    shop_id, founder = await chain_of(world, 5)
    await tamper(owner, shop_id, "UPDATE audit_log SET details = '{\"name\": \"forged\"}' "
                                 "WHERE shop_id = $1 AND seq = 3")
    report = await verify(world, shop_id, founder)
    assert report["ok"] is False
    assert report["entries_checked"] == 5
    assert report["problems"] == [{"seq": 3, "problem": "hash_mismatch", "missing": None}]


async def test_edit_with_a_recomputed_hash_breaks_the_next_link(world: World, owner) -> None:  # type: ignore[no-untyped-def]
    shop_id, founder = await chain_of(world, 4)
    await tamper(owner, shop_id,
                 "UPDATE audit_log SET actor_id = NULL WHERE shop_id = $1 AND seq = 2",
                 "UPDATE audit_log SET hash = audit_entry_digest(prev_hash, shop_id, seq, id, "
                 "occurred_at, actor_id, client, ip, request_id, action, outcome, target, "
                 "details) WHERE shop_id = $1 AND seq = 2")
    report = await verify(world, shop_id, founder)
    assert report["problems"] == [{"seq": 3, "problem": "broken_link", "missing": None}]


async def test_deleted_middle_entry_is_a_gap_at_its_seq(world: World, owner) -> None:  # type: ignore[no-untyped-def]
    shop_id, founder = await chain_of(world, 5)
    await tamper(owner, shop_id, "DELETE FROM audit_log WHERE shop_id = $1 AND seq = 3")
    report = await verify(world, shop_id, founder)
    assert report["ok"] is False
    assert report["entries_checked"] == 4
    assert report["last_seq"] == 5
    assert report["problems"] == [
        {"seq": 3, "problem": "gap", "missing": 1},
        {"seq": 4, "problem": "broken_link", "missing": None},
    ]


async def test_deleted_first_entry_is_found(world: World, owner) -> None:  # type: ignore[no-untyped-def]
    shop_id, founder = await chain_of(world, 3)
    await tamper(owner, shop_id, "DELETE FROM audit_log WHERE shop_id = $1 AND seq = 1")
    problems = (await verify(world, shop_id, founder))["problems"]
    assert problems == [{"seq": 1, "problem": "gap", "missing": 1},
                        {"seq": 2, "problem": "broken_link", "missing": None}]


async def test_deleted_and_renumbered_entry_is_still_found(world: World, owner) -> None:  # type: ignore[no-untyped-def]
    shop_id, founder = await chain_of(world, 4)
    await tamper(owner, shop_id,
                 "DELETE FROM audit_log WHERE shop_id = $1 AND seq = 2",
                 "UPDATE audit_log SET seq = 2 WHERE shop_id = $1 AND seq = 3",
                 "UPDATE audit_log SET seq = 3 WHERE shop_id = $1 AND seq = 4")
    problems = (await verify(world, shop_id, founder))["problems"]
    assert {"seq": 2, "problem": "broken_link", "missing": None} in problems
    assert {(p["seq"], p["problem"]) for p in problems} >= {(2, "hash_mismatch"),
                                                           (3, "hash_mismatch")}


async def test_reordered_entries_are_found(world: World, owner) -> None:  # type: ignore[no-untyped-def]
    shop_id, founder = await chain_of(world, 5)
    await tamper(owner, shop_id,
                 "UPDATE audit_log SET seq = -1 WHERE shop_id = $1 AND seq = 2",
                 "UPDATE audit_log SET seq = 2 WHERE shop_id = $1 AND seq = 3",
                 "UPDATE audit_log SET seq = 3 WHERE shop_id = $1 AND seq = -1")
    report = await verify(world, shop_id, founder)
    found = {(p["seq"], p["problem"]) for p in report["problems"]}
    assert found == {(2, "hash_mismatch"), (2, "broken_link"), (3, "hash_mismatch"),
                     (3, "broken_link"), (4, "broken_link")}


async def test_tampering_in_one_shop_leaves_another_verified(world: World, owner) -> None:  # type: ignore[no-untyped-def]
    shop_a, founder_a = await chain_of(world, 3)
    shop_b, founder_b = await chain_of(world, 3)
    await tamper(owner, shop_a, "DELETE FROM audit_log WHERE shop_id = $1 AND seq = 2")
    assert (await verify(world, shop_a, founder_a))["ok"] is False
    assert (await verify(world, shop_b, founder_b))["ok"] is True




@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET details = '{}' WHERE shop_id = $1",
    "DELETE FROM audit_log WHERE shop_id = $1",
    "UPDATE audit_log SET hash = prev_hash WHERE shop_id = $1",
])
async def test_api_role_cannot_change_or_remove_entries(world: World, app_conn,  # type: ignore[no-untyped-def]
                                                       statement: str) -> None:
    shop_id, founder = await chain_of(world, 2)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with app_conn.transaction():
            await app_conn.execute("SELECT set_config('app.shop_id', $1, true)", str(shop_id))
            await app_conn.execute(statement, shop_id)
    assert (await verify(world, shop_id, founder))["ok"] is True

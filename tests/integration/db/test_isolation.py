"""Isolation at the database: the API's role, raw SQL, no application code in between."""

from __future__ import annotations

import asyncpg
import pytest

from tests.support.database import TestDatabase
from tests.support.world import World


async def _two_shops(world: World):  # type: ignore[no-untyped-def]
    shop_a, founder_a = await world.shop()
    shop_b, founder_b = await world.shop()
    return shop_a, founder_a, shop_b, founder_b


async def test_shop_context_sees_only_its_own_rows(world: World, app_conn) -> None:  # type: ignore[no-untyped-def]
    shop_a, founder_a, shop_b, _ = await _two_shops(world)
    async with app_conn.transaction():
        await app_conn.execute("SELECT set_config('app.shop_id', $1, true)", str(shop_a))
        members = await app_conn.fetch("SELECT shop_id, user_id FROM shop_members")
        audit = await app_conn.fetch("SELECT DISTINCT shop_id FROM audit_log")
        asked_for_b = await app_conn.fetch(
            "SELECT * FROM shop_members WHERE shop_id = $1", shop_b)
    assert {r["shop_id"] for r in members} == {shop_a}
    assert founder_a.id in {r["user_id"] for r in members}
    assert {r["shop_id"] for r in audit} == {shop_a}
    assert asked_for_b == []


async def test_no_shop_context_sees_nothing(world: World, app_conn) -> None:  # type: ignore[no-untyped-def]
    await _two_shops(world)
    assert await app_conn.fetch("SELECT * FROM shop_members") == []
    assert await app_conn.fetch("SELECT * FROM audit_log") == []
    async with app_conn.transaction():
        await app_conn.execute("SELECT set_config('app.shop_id', '', true)")
        assert await app_conn.fetch("SELECT * FROM shop_members") == []


async def test_shop_context_does_not_outlive_its_transaction(world: World, app_conn) -> None:  # type: ignore[no-untyped-def]
    shop_a, *_ = await _two_shops(world)
    async with app_conn.transaction():
        await app_conn.execute("SELECT set_config('app.shop_id', $1, true)", str(shop_a))
        assert await app_conn.fetch("SELECT 1 FROM shop_members") != []
    # Same pooled connection, next transaction: the setting is gone, so are the rows.
    assert await app_conn.fetch("SELECT 1 FROM shop_members") == []


async def test_cannot_write_into_another_shop(world: World, app_conn) -> None:  # type: ignore[no-untyped-def]
    shop_a, _, shop_b, founder_b = await _two_shops(world)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with app_conn.transaction():
            await app_conn.execute("SELECT set_config('app.shop_id', $1, true)", str(shop_a))
            await app_conn.execute(
                "INSERT INTO shop_members (shop_id, user_id, role) VALUES ($1, $2, 'admin')",
                shop_b, founder_b.id)
    async with app_conn.transaction():
        await app_conn.execute("SELECT set_config('app.shop_id', $1, true)", str(shop_a))
        updated = await app_conn.execute(
            "UPDATE shop_members SET role = 'agent' WHERE shop_id = $1", shop_b)
    assert updated == "UPDATE 0"


async def test_api_role_cannot_bypass_or_disable_rls(database: TestDatabase, app_conn) -> None:  # type: ignore[no-untyped-def]
    role = await app_conn.fetchrow(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
    assert role["rolsuper"] is False and role["rolbypassrls"] is False
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await app_conn.execute("ALTER TABLE shop_members DISABLE ROW LEVEL SECURITY")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await app_conn.execute("SET row_security = off; SELECT * FROM shop_members")


async def test_every_shop_owned_table_has_forced_rls(database: TestDatabase) -> None:
    conn = await asyncpg.connect(database.owner_dsn)
    try:
        rows = await conn.fetch("""
            SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'shop_id'
             WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> 'authz_changes'
        """)
    finally:
        await conn.close()
    assert rows, "expected shop-owned tables"
    for row in rows:
        assert row["relrowsecurity"] and row["relforcerowsecurity"], row["relname"]


async def test_audit_log_is_append_only_for_the_api_role(world: World, app_conn) -> None:  # type: ignore[no-untyped-def]
    shop_a, *_ = await _two_shops(world)
    async with app_conn.transaction():
        await app_conn.execute("SELECT set_config('app.shop_id', $1, true)", str(shop_a))
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app_conn.execute("UPDATE audit_log SET action = 'x'")
    async with app_conn.transaction():
        await app_conn.execute("SELECT set_config('app.shop_id', $1, true)", str(shop_a))
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app_conn.execute("DELETE FROM audit_log")

"""What the API's role may write, column by column, and what it may not create at all."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from tests.support.database import TestDatabase
from tests.support.world import World


def _email() -> str:
    return f"grants-{uuid.uuid4().hex[:10]}@example.com"


async def test_api_role_can_insert_an_ordinary_user(app_conn) -> None:  # type: ignore[no-untyped-def]
    user_id = uuid.uuid4()
    await app_conn.execute(
        "INSERT INTO users (id, email, phone, display_name, password_hash, is_active) "
        "VALUES ($1, $2, NULL, 'Someone', NULL, true)", user_id, _email())
    assert await app_conn.fetchval(
        "SELECT platform_role FROM users WHERE id = $1", user_id) is None


@pytest.mark.parametrize("role", ["platform_admin", "platform_auditor"])
async def test_api_role_cannot_insert_a_user_with_a_firm_role(app_conn, role: str) -> None:  # type: ignore[no-untyped-def]
    email = _email()
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await app_conn.execute("INSERT INTO users (id, email, platform_role) VALUES ($1, $2, $3)",
                               uuid.uuid4(), email, role)
    assert await app_conn.fetchval("SELECT count(*) FROM users WHERE email = $1", email) == 0


async def test_api_role_cannot_insert_platform_role_even_as_null(app_conn) -> None:  # type: ignore[no-untyped-def]
    # The privilege is on the column, whatever the value: the ORM must leave it out.
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await app_conn.execute("INSERT INTO users (id, email, platform_role) VALUES ($1, $2, NULL)",
                               uuid.uuid4(), _email())


@pytest.mark.parametrize("assignment", [
    "platform_role = 'platform_admin'",
    "platform_role = NULL",
    "is_active = true",
    "email = 'taken-over@example.com'",
])
async def test_api_role_cannot_update_identity_columns(world: World, app_conn,  # type: ignore[no-untyped-def]
                                                       assignment: str) -> None:
    account = await world.user(login=False)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await app_conn.execute(f"UPDATE users SET {assignment} WHERE id = $1", account.id)
    row = await app_conn.fetchrow("SELECT email, platform_role FROM users WHERE id = $1",
                                  account.id)
    assert (row["email"], row["platform_role"]) == (account.email, None)


async def test_api_role_can_update_what_its_services_write(world: World, app_conn) -> None:  # type: ignore[no-untyped-def]
    account = await world.user(login=False)
    result = await app_conn.execute(
        "UPDATE users SET display_name = 'New', phone = NULL, password_hash = NULL, "
        "sessions_valid_after = now(), updated_at = now() WHERE id = $1", account.id)
    assert result == "UPDATE 1"


async def test_api_role_cannot_create_temporary_tables(app_conn) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await app_conn.execute("CREATE TEMP TABLE audit_log (shop_id uuid, seq bigint, hash bytea)")


async def test_api_role_cannot_create_tables_in_public(app_conn) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await app_conn.execute("CREATE TABLE public.shadow (id int)")


async def test_provisioning_twice_changes_nothing(database: TestDatabase) -> None:
    from api.db.migrate import ensure_roles
    from tests.support.database import APP_ROLE

    conn = await asyncpg.connect(database.owner_dsn)
    try:
        await ensure_roles(conn, APP_ROLE, None)
        await ensure_roles(conn, APP_ROLE, None)
        can_temp = await conn.fetchval(
            "SELECT has_database_privilege($1, current_database(), 'TEMPORARY')", APP_ROLE)
        can_create = await conn.fetchval(
            "SELECT has_schema_privilege($1, 'public', 'CREATE')", APP_ROLE)
    finally:
        await conn.close()
    assert (can_temp, can_create) == (False, False)

"""Nothing a writer controls steers the chain: not a shadowing table, not its own id or time."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from tests.integration.audit.chains import chain_of, verify
from tests.support.world import World

_APPEND = ("INSERT INTO {table} (shop_id, seq, id, occurred_at, action, outcome, prev_hash, hash) "
           "VALUES ($1, $2, $3, $4, 'test.append', 'success', $5, $6) "
           "RETURNING seq, id, occurred_at, prev_hash")
_FORGED_HASH = b"\xee" * 32






async def _append(conn: asyncpg.Connection, shop_id: uuid.UUID, *, table: str = "audit_log",
                  seq: int = 0, entry_id: uuid.UUID | None = None,
                  occurred_at: datetime | None = None) -> asyncpg.Record:
    """Append one entry inside the shop's context, supplying every field the trigger owns."""
    async with conn.transaction():
        await conn.execute("SELECT set_config('app.shop_id', $1, true)", str(shop_id))
        return await conn.fetchrow(
            _APPEND.format(table=table), shop_id, seq, entry_id or uuid.uuid4(),
            occurred_at or datetime(2001, 1, 1, tzinfo=UTC), _FORGED_HASH, _FORGED_HASH)


async def test_api_role_cannot_shadow_the_log_with_a_temporary_table(
        world: World, app_conn: asyncpg.Connection) -> None:
    shop_id, founder = await chain_of(world, 2)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await app_conn.execute("CREATE TEMP TABLE audit_log (LIKE public.audit_log INCLUDING DEFAULTS)")
    appended = await _append(app_conn, shop_id)
    assert appended["seq"] == 3
    assert (await verify(world, shop_id, founder))["ok"] is True


async def test_a_temporary_audit_log_does_not_steer_seq_or_prev_hash(
        world: World, owner: asyncpg.Connection) -> None:
    # The owner may create temporary tables: it stands for any session that could.
    shop_id, founder = await chain_of(world, 2)
    last_hash = await owner.fetchval(
        "SELECT hash FROM public.audit_log WHERE shop_id = $1 AND seq = 2", shop_id)
    await owner.execute("CREATE TEMP TABLE audit_log (LIKE public.audit_log INCLUDING DEFAULTS)")
    try:
        await owner.execute(
            "INSERT INTO pg_temp.audit_log (shop_id, seq, id, occurred_at, action, outcome, "
            "prev_hash, hash) VALUES ($1, 1000, gen_random_uuid(), now(), 'forged', 'success', "
            "$2, $2)", shop_id, _FORGED_HASH)
        appended = await _append(owner, shop_id, table="public.audit_log")
    finally:
        await owner.execute("DROP TABLE pg_temp.audit_log")
    assert (appended["seq"], bytes(appended["prev_hash"])) == (3, bytes(last_hash))
    assert (await verify(world, shop_id, founder))["ok"] is True


async def test_supplied_id_time_and_seq_are_replaced_by_the_trigger(
        world: World, app_conn: asyncpg.Connection) -> None:
    shop_id, founder = await chain_of(world, 2)
    supplied = uuid.uuid4()
    before = datetime.now(UTC) - timedelta(minutes=1)
    appended = await _append(app_conn, shop_id, seq=99, entry_id=supplied,
                             occurred_at=datetime(2001, 1, 1, tzinfo=UTC))
    assert appended["id"] != supplied
    assert appended["occurred_at"] > before
    assert appended["seq"] == 3
    assert bytes(appended["prev_hash"]) != _FORGED_HASH
    assert (await verify(world, shop_id, founder))["ok"] is True


async def test_api_role_cannot_append_to_another_shops_chain(
        world: World, app_conn: asyncpg.Connection) -> None:
    shop_a, _ = await world.shop()
    shop_b, founder_b = await chain_of(world, 2)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with app_conn.transaction():
            await app_conn.execute("SELECT set_config('app.shop_id', $1, true)", str(shop_a))
            await app_conn.execute(_APPEND.format(table="audit_log"), shop_b, 0, uuid.uuid4(),
                                   datetime.now(UTC), b"", b"")
    report = await verify(world, shop_b, founder_b)
    assert (report["ok"], report["last_seq"]) == (True, 2)

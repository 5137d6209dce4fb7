"""The runtime's recovery paths: a lost notification, a pruned journal, a policy change."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from api.db.shop_context import bind_shop
from rbac.policy_store import record_change
from rbac.runtime import AuthzRuntime
from tests.support.database import TestDatabase
from tests.support.world import World


async def _suspend(world: World, shop_id: uuid.UUID) -> None:
    async with world.app.state.sessionmaker() as session, session.begin():
        await bind_shop(session, shop_id)
        await session.execute(text("UPDATE shops SET status = 'suspended' WHERE id = :s"),
                              {"s": shop_id})
        await record_change(session, "shop", shop_id=shop_id)


async def test_a_process_that_hears_no_notification_catches_up_by_polling(
        world: World, database: TestDatabase) -> None:
    shop_id, founder = await world.shop()
    engine = create_async_engine(database.app_url)
    deaf = AuthzRuntime(engine, listen_dsn=None, poll_seconds=0.1)
    await deaf.start()
    try:
        assert deaf.policy.decide("shop:settings", str(founder.id), str(shop_id), "web").allowed
        await _suspend(world, shop_id)
        for _ in range(50):
            if not deaf.policy.decide("shop:settings", str(founder.id), str(shop_id), "web").allowed:
                break
            await asyncio.sleep(0.05)
        decision = deaf.policy.decide("shop:settings", str(founder.id), str(shop_id), "web")
        assert decision.reason.value == "shop_suspended"
    finally:
        await deaf.stop()
        await engine.dispose()


async def test_a_pruned_journal_forces_a_full_rebuild(world: World, database: TestDatabase) -> None:
    engine = create_async_engine(database.app_url)
    runtime = AuthzRuntime(engine, listen_dsn=None, poll_seconds=0)
    await runtime.start()
    try:
        shop_id, founder = await world.shop()
        # Forget this runtime's place: pretend it is far behind a journal that was pruned.
        runtime.version = -10
        rebuilds = runtime.stats.rebuilds
        await runtime.catch_up()
        assert runtime.stats.rebuilds == rebuilds + 1
        assert runtime.policy.decide("shop:settings", str(founder.id), str(shop_id), "web").allowed
    finally:
        await runtime.stop()
        await engine.dispose()


async def test_a_policy_change_rebuilds_every_process(world: World, database: TestDatabase) -> None:
    runtime = world.runtime
    rebuilds = runtime.stats.rebuilds
    conn = await asyncpg.connect(database.owner_dsn)
    try:
        async with conn.transaction():
            version = await conn.fetchval(
                "UPDATE authz_state SET version = version + 1 WHERE id = 1 RETURNING version")
            await conn.execute("INSERT INTO authz_changes (version, kind) VALUES ($1, 'policy')",
                               version)
    finally:
        await conn.close()
    await runtime.catch_up()
    assert runtime.stats.rebuilds == rebuilds + 1
    assert runtime.version >= version


async def test_a_rolled_back_change_changes_no_decision(world: World) -> None:
    shop_id, founder = await world.shop()
    before = world.runtime.version
    async with world.app.state.sessionmaker() as session:
        async with session.begin():
            await bind_shop(session, shop_id)
            await session.execute(text("UPDATE shops SET status = 'suspended' WHERE id = :s"),
                                  {"s": shop_id})
            await record_change(session, "shop", shop_id=shop_id)
            await session.rollback()
    await world.runtime.catch_up()
    assert world.runtime.version == before
    assert world.runtime.policy.decide("shop:settings", str(founder.id), str(shop_id), "web").allowed


async def test_old_journal_rows_are_pruned_and_a_process_behind_them_rebuilds(
        world: World, database: TestDatabase) -> None:
    from rbac.policy_store import prune_journal

    shop_id, founder = await world.shop()
    await _suspend(world, shop_id)
    async with world.app.state.engine.connect() as conn, conn.begin():
        pruned = await prune_journal(conn, keep_seconds=0)
        newest = (await conn.execute(text("SELECT max(version) FROM authz_changes"))).scalar_one()
        remaining = (await conn.execute(text("SELECT count(*) FROM authz_changes"))).scalar_one()
    assert pruned > 0 and remaining == 1 and newest is not None
    engine = create_async_engine(database.app_url)
    behind = AuthzRuntime(engine, listen_dsn=None, poll_seconds=0)
    try:
        await behind.start()
        behind.version = 0  # as if it had missed everything that was pruned
        rebuilds = behind.stats.rebuilds
        await behind.catch_up()
        assert behind.stats.rebuilds == rebuilds + 1
        assert behind.policy.decide("shop:settings", str(founder.id), str(shop_id),
                                    "web").reason.value == "shop_suspended"
    finally:
        await behind.stop()
        await engine.dispose()

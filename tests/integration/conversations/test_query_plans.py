"""The queue, the lists and a conversation's thread walk indexes, not tables.

A shop is seeded with 2,000 conversations and 200,000 messages (as the owner, in bulk),
analysed, and the very statements the API runs are EXPLAINed as the API role under the
shop's binding. Each must be an index scan on the index named here, with no sequential
scan of conversations or messages.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy import text

from api.db.shop_context import bind_shop
from api.domain.conversations.queries import ListFilters, list_sql, messages_sql, queue_sql
from tests.support.database import TestDatabase
from tests.support.world import World

CONVERSATIONS, MESSAGES_EACH = 2_000, 100


async def _seed(owner_dsn: str, shop_id: uuid.UUID, assignee: uuid.UUID) -> uuid.UUID:
    conn = await asyncpg.connect(owner_dsn)
    try:
        await conn.execute("""
            INSERT INTO customers (shop_id, id)
            SELECT $1, gen_random_uuid() FROM generate_series(1, $2);
            INSERT INTO conversations (shop_id, id, customer_id, channel, status, assignee_id,
                                       created_at, cycle_started_at, updated_at)
            SELECT $1, gen_random_uuid(), c.id, (ARRAY['web','mobile','wechat','live'])[1 + n % 4],
                   CASE WHEN n % 3 = 0 THEN 'resolved' ELSE 'open' END,
                   CASE WHEN n % 2 = 0 THEN $3::uuid END,
                   now() - make_interval(mins => n::int), now() - make_interval(mins => n::int), now()
              FROM (SELECT id, row_number() OVER () AS n FROM customers WHERE shop_id = $1) c;
        """.replace("$1", f"'{shop_id}'").replace("$2", str(CONVERSATIONS))
            .replace("$3", f"'{assignee}'"))
        await conn.execute("""
            INSERT INTO messages (shop_id, id, conversation_id, seq, cycle, channel, author_kind,
                                  body)
            SELECT c.shop_id, gen_random_uuid(), c.id, s, 1, c.channel, 'customer', 'hello'
              FROM conversations c, generate_series(1, $2) s WHERE c.shop_id = $1::uuid
        """, shop_id, MESSAGES_EACH)
        await conn.execute("ANALYZE customers; ANALYZE conversations; ANALYZE messages")
        return await conn.fetchval(
            "SELECT id FROM conversations WHERE shop_id = $1 ORDER BY created_at LIMIT 1", shop_id)
    finally:
        await conn.close()


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    found = [plan]
    for child in plan.get("Plans", []):
        found += _nodes(child)
    return found


async def _plan(world: World, shop_id: uuid.UUID, statement: Any, params: Any
                ) -> list[dict[str, Any]]:
    """EXPLAIN as the API role under the shop's binding: SQLAlchemy text with named
    parameters, or a hot read's positional SQL (a string, ``params`` a tuple) on asyncpg."""
    if isinstance(statement, str):
        async with world.app.state.reader_pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT set_config('app.shop_id', $1, true)", str(shop_id))
            raw = await conn.fetchval("EXPLAIN (FORMAT JSON) " + statement, *params)
    else:
        async with world.app.state.sessionmaker() as session, session.begin():
            await bind_shop(session, shop_id)
            raw = (await session.execute(text("EXPLAIN (FORMAT JSON) " + statement.text),
                                         params)).scalar_one()
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    return _nodes(plan)


def _assert_index(nodes: list[dict[str, Any]], index: str) -> None:
    scans = {(n["Node Type"], n.get("Relation Name"), n.get("Index Name")) for n in nodes}
    assert not [s for s in scans if s[0] == "Seq Scan" and s[1] in ("conversations", "messages")], scans
    assert any(n.get("Index Name") == index for n in nodes), scans


async def test_workspace_reads_use_their_indexes(world: World, database: TestDatabase) -> None:
    shop_id, founder = await world.shop()
    first = await _seed(database.owner_dsn, shop_id, founder.id)
    base = {"shop_id": shop_id, "limit": 51}
    cursor = {"after_at": datetime(2020, 1, 1, tzinfo=UTC), "after_id": uuid.UUID(int=0)}
    after = (cursor["after_at"], cursor["after_id"])
    _assert_index(await _plan(world, shop_id, queue_sql(False, False), (shop_id, 51)),
                  "ix_conversations_waiting")
    _assert_index(await _plan(world, shop_id, queue_sql(True, True),
                              (shop_id, 51, "web", *after)), "ix_conversations_waiting")
    _assert_index(await _plan(world, shop_id, messages_sql(False), (shop_id, first, 51)),
                  "uq_messages_conversation_seq")
    _assert_index(await _plan(world, shop_id, messages_sql(True), (shop_id, first, 51, 50)),
                  "uq_messages_conversation_seq")
    cases = [
        (ListFilters(), "ix_conversations_created"),
        (ListFilters(assignee_id=founder.id), "ix_conversations_assignee_created"),
        (ListFilters(status="open"), "ix_conversations_status_created"),
    ]
    for filters, index in cases:
        params = {**base, **{n: getattr(filters, n) for n in ListFilters.__slots__}}
        _assert_index(await _plan(world, shop_id, list_sql(filters, False), params), index)
        _assert_index(await _plan(world, shop_id, list_sql(filters, True),
                                  {**params, "after_at": datetime.now(UTC),
                                   "after_id": uuid.UUID(int=0)}), index)

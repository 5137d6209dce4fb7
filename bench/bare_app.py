"""The baseline for ``bench.throughput``: Litestar + asyncpg and nothing else.

One endpoint per hot read, running exactly ShopDesk's SQL (imported from the services, so
the two cannot drift) and its round trips: ``BEGIN READ ONLY`` with the shop binding in one
round trip, the statements, ``COMMIT``. No authentication, no guard, no ORM, no
middleware. It still honours the tenancy boundary the way ShopDesk does, so the comparison
measures the framework around the queries, not cheaper queries: it connects as the API role
(``shopdesk_app``, no RLS bypass) and scopes each transaction with
``set_config('app.shop_id', ..., true)``.

Run: ``BENCH_APP_DSN=postgresql://shopdesk_app@... uvicorn bench.bare_app:create_app --factory``
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

import asyncpg
from litestar import Litestar, get
from litestar.datastructures import State

from api.db.reader import BEGIN_BOUND_SQL, decode_json_columns
from api.domain.conversations.queries import messages_sql, queue_sql
from api.domain.members.services import list_members_sql as members_sql
from api.domain.sla.live import SECONDS_TO_BREACH_SQL

__all__ = ["create_app"]


@asynccontextmanager
async def _bound(state: State, shop_id: UUID) -> AsyncGenerator[asyncpg.Connection, None]:
    async with state.pool.acquire() as conn:
        await conn.execute(BEGIN_BOUND_SQL.format(shop_id=shop_id))
        try:
            yield conn
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")


@get("/shops/{shop_id:uuid}/members")
async def list_members(shop_id: UUID, state: State) -> dict[str, Any]:
    async with _bound(state, shop_id) as conn:
        rows = await conn.fetch(members_sql(False, False), shop_id, 51)
    return {"items": [dict(r) for r in rows[:50]], "next_cursor": None}


@get("/shops/{shop_id:uuid}/queue")
async def list_queue(shop_id: UUID, state: State) -> dict[str, Any]:
    async with _bound(state, shop_id) as conn:
        rows = await conn.fetch(queue_sql(False, False), shop_id, 51)
        waiting = [r["id"] for r in rows[:50] if r["waiting_since"] is not None]
        left = {r[0]: r[1] for r in await conn.fetch(SECONDS_TO_BREACH_SQL, shop_id, waiting)}
    return {"items": [{**r, "seconds_to_breach": left.get(r["id"])} for r in rows[:50]],
            "next_cursor": None}


@get("/shops/{shop_id:uuid}/conversations/{conversation_id:uuid}/messages")
async def list_messages(shop_id: UUID, conversation_id: UUID, state: State) -> dict[str, Any]:
    async with _bound(state, shop_id) as conn:
        rows = await conn.fetch(messages_sql(False), shop_id, conversation_id, 51)
    return {"items": [{k: v for k, v in r.items() if not k.startswith("conversation_")
                       or k == "conversation_id"} for r in rows[:50]], "next_cursor": None}


def create_app() -> Litestar:
    dsn = os.environ["BENCH_APP_DSN"]

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        # Same pool ceiling and JSON decoding as ShopDesk's reader pool.
        app.state.pool = await asyncpg.create_pool(dsn, min_size=2, max_size=10,
                                                   init=decode_json_columns)
        try:
            yield
        finally:
            await app.state.pool.close()

    return Litestar(route_handlers=[list_members, list_queue, list_messages],
                    lifespan=[lifespan], debug=False)

"""The baseline for ``bench.throughput``: Litestar + asyncpg and nothing else.

One endpoint, the same rows as ShopDesk's member list: no authentication, no guard, no ORM,
no middleware. It still honours the tenancy boundary the way ShopDesk does, so the
comparison measures the framework around the query, not a cheaper query: it connects as
the API role (``shopdesk_app``, no RLS bypass) and scopes each transaction with
``set_config('app.shop_id', ..., true)`` before the SELECT.

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

__all__ = ["MEMBERS_SQL", "create_app"]

# The same columns, order and limit as ShopDesk's GET /shops/{shop_id}/members first page.
MEMBERS_SQL = os.environ.get("BENCH_MEMBERS_SQL") or (
    "SELECT m.user_id, u.email, u.display_name, m.role, m.status, m.added_by, "
    "m.created_at, m.removed_at "
    "FROM shop_members m JOIN users u ON u.id = m.user_id "
    "WHERE m.shop_id = $1 AND m.status = 'active' "
    "ORDER BY m.created_at, m.user_id LIMIT 51"
)
_BIND = "SELECT set_config('app.shop_id', $1, true)"


@get("/shops/{shop_id:uuid}/members")
async def list_members(shop_id: UUID, state: State) -> dict[str, Any]:
    pool: asyncpg.Pool = state.pool
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(_BIND, str(shop_id))
        rows = await conn.fetch(MEMBERS_SQL, shop_id)
    return {"items": [dict(r) for r in rows[:50]], "next_cursor": None}


def create_app() -> Litestar:
    dsn = os.environ["BENCH_APP_DSN"]

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        # Same pool ceiling as ShopDesk's default engine (pool_size 10 + overflow 10).
        app.state.pool = await asyncpg.create_pool(dsn, min_size=10, max_size=20)
        try:
            yield
        finally:
            await app.state.pool.close()

    return Litestar(route_handlers=[list_members], lifespan=[lifespan], debug=False)

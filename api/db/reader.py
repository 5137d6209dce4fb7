"""Hot reads on a plain asyncpg connection, under the same shop boundary as every request.

The busiest reads (the member list, the waiting queue, a conversation's messages) run one
SELECT. Through an ``AsyncSession`` that single statement costs more CPU in SQLAlchemy's
session life cycle (checkout, begin, ORM execution path, commit, close: greenlet switches
at every step) than in PostgreSQL and serialisation together; the benchmark in ``bench/``
measured it. So those routes take ``shop_reader``: a connection from a small asyncpg pool
of the same API role (no RLS bypass), inside a transaction that is bound to the guard's
shop with the same transaction-local ``set_config('app.shop_id', ..., true)`` as
``shop_session``, and committed by the framework when the handler returns. Writes take
``shop_session``, except the one hot write: it takes ``shop_writer`` (``api.db.writer``) from the same pool,
and the rate limiter makes its one autocommit call on it.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from uuid import UUID

import asyncpg
import msgspec
from litestar.datastructures import State
from litestar.di import NamedDependency

from api.errors import database_unavailable
from api.guard import ShopScope
from api.settings import DatabaseSettings

__all__ = ["BEGIN_BOUND_SQL", "acquire", "create_reader_pool", "decode_json_columns",
           "provide_shop_reader"]

# BEGIN and the shop binding travel in one round trip (the simple-query protocol runs both);
# the shop id is a UUID object the guard produced, so its text form is safe to inline.
BEGIN_BOUND_SQL = "BEGIN READ ONLY; SELECT set_config('app.shop_id', '{shop_id}', true)"


async def decode_json_columns(conn: asyncpg.Connection) -> None:
    """The codecs SQLAlchemy's asyncpg dialect sets, so ``api.db.raw.Sql`` runs the same here.

    jsonb columns arrive as Python values; a json(b) parameter is JSON text (what the
    services already pass, ``CAST(:x AS jsonb)``); inet comes and goes as text.
    """
    for name in ("json", "jsonb"):
        await conn.set_type_codec(name, schema="pg_catalog", format="text",
                                  encoder=str, decoder=msgspec.json.decode)
    for name in ("inet", "cidr"):
        await conn.set_type_codec(name, schema="pg_catalog", format="text",
                                  encoder=str, decoder=str)


async def create_reader_pool(dsn: str, settings: DatabaseSettings) -> asyncpg.Pool:
    # Connections open lazily (min_size=0): start-up must not fail because the database is
    # briefly away, and a quiet process holds none of them.
    return await asyncpg.create_pool(
        dsn, min_size=0, max_size=max(2, settings.pool_size),
        timeout=settings.connect_timeout_seconds,
        max_inactive_connection_lifetime=300,
        server_settings={"application_name": "shopdesk-api-reader"}, init=decode_json_columns,
    )


_UNAVAILABLE = (OSError, TimeoutError, asyncpg.PostgresConnectionError,
                asyncpg.CannotConnectNowError)


async def acquire(state: State) -> asyncpg.Connection:
    """A connection of the asyncpg pool (``state.reader_pool``), or 503 ``database.unavailable``
    when none comes within the pool timeout or the server cannot be reached."""
    pool: asyncpg.Pool = state.reader_pool
    try:
        return await pool.acquire(timeout=state.settings.database.pool_timeout_seconds)
    except _UNAVAILABLE as exc:
        raise database_unavailable() from exc


async def provide_shop_reader(state: State, shop_scope: NamedDependency[ShopScope]
                              ) -> AsyncGenerator[asyncpg.Connection, None]:
    pool: asyncpg.Pool = state.reader_pool
    conn = await acquire(state)
    shop_id: UUID = shop_scope.shop_id
    clean = False
    try:
        await conn.execute(BEGIN_BOUND_SQL.format(shop_id=UUID(str(shop_id))))
        try:
            yield conn
        except BaseException:
            await conn.execute("ROLLBACK")
            clean = True
            raise
        await conn.execute("COMMIT")
        clean = True
    finally:
        if clean:
            await pool.release(conn)
        else:
            # The transaction could not be closed (the server went away mid-request): never
            # hand this connection to another request.
            conn.terminate()
            await pool.release(conn)

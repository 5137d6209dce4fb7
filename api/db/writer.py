"""The hot write's unit of work: one transaction on a plain asyncpg connection.

An inbound customer message is the busiest write there is, and a dozen short statements in
it are cheap; what costs is the ``AsyncSession`` around them: creating it, beginning, the
binding through the ORM execution path, committing and closing it took a tenth of the
route's CPU in the ingestion benchmark. ``shop_writer`` gives a ``RawUnit`` instead: a
connection from the asyncpg pool (the API role, no RLS bypass) in a transaction that is
bound to the guard's shop in the same round trip as its ``BEGIN``, with the same
transaction-local ``set_config('app.shop_id', ..., true)`` as ``shop_session``. The
framework commits it when the handler returns (rolls it back when it raised), then the
same transaction hooks run (``api.db.hooks``) with the unit's ``info``.

Only code that runs ``api.db.raw.Sql`` statements can take a ``RawUnit``; everything else
keeps ``shop_session``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from uuid import UUID

import asyncpg
from litestar.connection import Request
from litestar.datastructures import State
from litestar.di import NamedDependency

from api.db.hooks import run_commit_hooks, run_rollback_hooks
from api.db.raw import RawUnit, translated
from api.db.reader import acquire
from api.guard import ShopScope

__all__ = ["BEGIN_WRITE_SQL", "provide_shop_writer"]

# The shop id is a UUID object the guard produced, so its text form is safe to inline.
BEGIN_WRITE_SQL = "BEGIN; SELECT set_config('app.shop_id', '{shop_id}', true)"


async def provide_shop_writer(state: State, request: Request,
                              shop_scope: NamedDependency[ShopScope]
                              ) -> AsyncGenerator[RawUnit, None]:
    pool: asyncpg.Pool = state.reader_pool
    conn = await acquire(state)
    shop_id: UUID = shop_scope.shop_id
    unit = RawUnit(conn)
    failure: BaseException | None = None
    clean = committed = False
    try:
        await conn.execute(BEGIN_WRITE_SQL.format(shop_id=UUID(str(shop_id))))
        try:
            yield unit
            try:
                await conn.execute("COMMIT")
            except asyncpg.PostgresError as error:  # a deferred check, a serialization failure
                raise translated("COMMIT", error) from error
            committed = True
        except BaseException as exc:
            failure = exc
            if conn.is_in_transaction():
                await conn.execute("ROLLBACK")
            raise
        finally:
            clean = not conn.is_closed() and not conn.is_in_transaction()
    finally:
        if not clean:
            # The transaction could not be closed (the server went away mid-request): never
            # hand this connection to another request.
            conn.terminate()
        await pool.release(conn)
        # After the release, as after ``shop_session``'s close: a hook that writes takes a
        # connection of its own.
        if committed:
            await run_commit_hooks(request, unit.info, shop_id)
        elif failure is not None:
            await run_rollback_hooks(request, failure, shop_id)

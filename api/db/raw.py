"""Statements on the write paths, run by asyncpg on the request's own connection.

The busiest write (an inbound customer message) runs a dozen short statements in one
transaction, and through ``AsyncSession.execute`` each costs about three times the CPU of
the same statement on asyncpg (greenlet switch, ORM execution context, result wrapping; the
ingestion benchmark in ``bench/`` measured it). ``Sql`` keeps SQLAlchemy's way of writing a
statement (``:name`` parameters) and its unit of work (the session's transaction, bound to
the shop by ``shop_session``, committed by the framework), and only the execution moves:
the statement is compiled once to asyncpg's ``$n`` form and runs on the asyncpg connection
under the session's transaction. So it sees the same RLS binding, rolls back with the
request, and raises the same ``sqlalchemy.exc`` errors the error handlers already map.

    _FIND = Sql("SELECT id FROM customers WHERE shop_id = :shop_id AND id = :id")
    row = await _FIND.first(session, shop_id=shop_id, id=customer_id)   # row.id

Pending ORM changes are flushed first, so a raw statement never reads around them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import asyncpg
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

__all__ = ["RawUnit", "Row", "Sql", "connection_of", "sql_of", "translated"]

# ``:name``, but not the second colon of a ``::type`` cast, nor a time inside a literal.
_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_INFO_KEY = "db.raw_connection"
_START = text("SELECT 1")


class Row(asyncpg.Record):
    """An asyncpg record that also reads as ``row.column``, like a SQLAlchemy row."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def _asdict(self) -> dict[str, Any]:
        return dict(self.items())


class RawUnit:
    """A unit of work on a plain asyncpg connection, where a session costs too much.

    It stands where an ``AsyncSession`` would for code that only runs ``Sql`` statements:
    ``conn`` is in a transaction bound to the shop (``api.db.writer``), and ``info`` is the
    transaction's notebook, like ``AsyncSession.info``: caches and ``after_commit`` hooks.
    """

    __slots__ = ("conn", "info")

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.info: dict[str, Any] = {}


# What ``Sql`` runs on: a request's session or unit of work, or an engine connection.
Executor = AsyncSession | AsyncConnection | RawUnit


async def connection_of(db: Executor) -> asyncpg.Connection:
    """The asyncpg connection under ``db``'s current transaction (begun if need be)."""
    if type(db) is RawUnit:
        return db.conn
    if not isinstance(db, AsyncSession):
        return await _driver_connection(db)
    if db.new or db.deleted or db.dirty:
        await db.flush()  # a raw statement must not read around pending ORM changes
    cached = db.info.get(_INFO_KEY)
    if cached is not None and cached[0] is db.get_transaction():
        return cached[1]
    conn = await _driver_connection(db)
    # Keyed on the transaction: after a commit the next one may hold another connection.
    db.info[_INFO_KEY] = (db.get_transaction(), conn)
    return conn


async def _driver_connection(db: Executor) -> asyncpg.Connection:
    sa_conn = await db.connection() if isinstance(db, AsyncSession) else db
    conn: asyncpg.Connection = (await sa_conn.get_raw_connection()).driver_connection
    options = sa_conn.sync_connection.get_execution_options() if sa_conn.sync_connection else {}
    autocommit = options.get("isolation_level") == "AUTOCOMMIT"
    if not conn.is_in_transaction() and not autocommit:
        # SQLAlchemy begins on its first statement: a raw one must not run outside it.
        await sa_conn.execute(_START)
    return conn


class Sql:
    """One statement with ``:name`` parameters, compiled once to asyncpg's positional form."""

    __slots__ = ("names", "sql", "text")

    def __init__(self, sql: str) -> None:
        names: list[str] = []

        def number(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in names:
                names.append(name)
            return f"${names.index(name) + 1}"

        self.text = sql
        self.sql = _PARAM.sub(number, sql)
        self.names = tuple(names)

    def __repr__(self) -> str:
        return f"Sql({self.text!r})"

    def _args(self, params: Mapping[str, Any] | None, extra: dict[str, Any]) -> list[Any]:
        values = {**params, **extra} if params is not None else extra
        try:
            return [values[name] for name in self.names]
        except KeyError as missing:
            raise TypeError(f"{self!r} needs the parameter {missing}") from None

    async def all(self, db: Executor, params: Mapping[str, Any] | None = None,
                  **extra: Any) -> list[Row]:
        conn = await connection_of(db)
        try:
            return await conn.fetch(self.sql, *self._args(params, extra), record_class=Row)
        except asyncpg.PostgresError as error:
            raise _translated(self, error) from error

    async def first(self, db: Executor, params: Mapping[str, Any] | None = None,
                    **extra: Any) -> Row | None:
        conn = await connection_of(db)
        try:
            return await conn.fetchrow(self.sql, *self._args(params, extra), record_class=Row)
        except asyncpg.PostgresError as error:
            raise _translated(self, error) from error

    async def one(self, db: Executor, params: Mapping[str, Any] | None = None,
                  **extra: Any) -> Row:
        row = await self.first(db, params, **extra)
        if row is None:
            raise sa_exc.NoResultFound("No row was found when one was required")
        return row

    async def scalar(self, db: Executor, params: Mapping[str, Any] | None = None,
                     **extra: Any) -> Any:
        row = await self.first(db, params, **extra)
        return None if row is None else row[0]

    async def run(self, db: Executor, params: Mapping[str, Any] | None = None,
                  **extra: Any) -> str:
        """Execute for its effect; the command tag (``UPDATE 1``)."""
        conn = await connection_of(db)
        try:
            return await conn.execute(self.sql, *self._args(params, extra))
        except asyncpg.PostgresError as error:
            raise _translated(self, error) from error


_compiled: dict[str, Sql] = {}


def sql_of(sql: str) -> Sql:
    """``Sql(sql)``, compiled once per distinct text (for statements built at call time)."""
    found = _compiled.get(sql)
    if found is None:
        if len(_compiled) >= 2048:  # texts are the code's own; a bound keeps a bug from growing it
            _compiled.clear()
        found = _compiled[sql] = Sql(sql)
    return found


# What SQLAlchemy's asyncpg adapter raises for the same server error, so the handlers that
# map constraints to codes (``api.errors``) and callers that catch ``IntegrityError`` work
# the same on both paths. The driver's error stays reachable as ``exc.orig.__cause__``.
_INTEGRITY = asyncpg.IntegrityConstraintViolationError


class _DriverError(Exception):
    """Stands where SQLAlchemy puts the adapter's DBAPI error (``exc.orig``)."""

    def __init__(self, error: asyncpg.PostgresError) -> None:
        super().__init__(f"<class '{type(error).__module__}.{type(error).__name__}'>: {error}")
        self.__cause__ = error
        self.sqlstate = getattr(error, "sqlstate", None)
        self.pgcode = self.sqlstate


def translated(statement: str, error: asyncpg.PostgresError) -> sa_exc.DBAPIError:
    """``error`` as SQLAlchemy's asyncpg dialect would have raised it."""
    kind = sa_exc.IntegrityError if isinstance(error, _INTEGRITY) else sa_exc.DBAPIError
    return kind(statement, None, _DriverError(error), hide_parameters=True)


def _translated(statement: Sql, error: asyncpg.PostgresError) -> sa_exc.DBAPIError:
    return translated(statement.text, error)

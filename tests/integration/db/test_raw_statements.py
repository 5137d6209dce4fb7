"""``api.db.raw``: statements on asyncpg under the session's transaction, nothing lost on the way.

The write paths moved from ``session.execute(text(...))`` to ``Sql`` for speed; these tests
pin what must not change with it: the same transaction (rollback undoes it), the same shop
binding (RLS), the same errors (``IntegrityError`` with the constraint), pending ORM
changes seen, and a fresh connection after a commit.
"""

from __future__ import annotations

import uuid

import pytest
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError, NoResultFound

from api.db.raw import Row, Sql, sql_of
from api.db.shop_context import bind_shop
from api.domain.auth.models import LoginAttempt
from tests.support.world import World

_COUNT_CUSTOMERS = Sql("SELECT count(*) FROM customers WHERE shop_id = :shop_id")
_ADD_CUSTOMER = Sql("INSERT INTO customers (shop_id, id, display_name) "
                    "VALUES (:shop_id, :id, :name) RETURNING id, display_name")
_BOUND = Sql("SELECT NULLIF(current_setting('app.shop_id', true), '') AS shop")


# -- compiling: pure --------------------------------------------------------------------------

def test_named_parameters_become_positional_once_per_name() -> None:
    statement = Sql("SELECT :a, :b, :a WHERE x = :b_2")
    assert statement.sql == "SELECT $1, $2, $1 WHERE x = $3"
    assert statement.names == ("a", "b", "b_2")


def test_casts_and_times_in_literals_are_not_parameters() -> None:
    statement = Sql("SELECT CAST(:data AS jsonb), :n::int, '10:30'::time, x::text FROM t")
    assert statement.sql == "SELECT CAST($1 AS jsonb), $2::int, '10:30'::time, x::text FROM t"
    assert statement.names == ("data", "n")


def test_a_missing_parameter_is_named() -> None:
    with pytest.raises(TypeError, match="shop_id"):
        Sql("SELECT :shop_id, :id")._args({"id": 1}, {})


def test_sql_of_compiles_a_text_once() -> None:
    assert sql_of("SELECT :x") is sql_of("SELECT :x")


# -- running: on the real engine ----------------------------------------------------------------

async def test_runs_in_the_sessions_transaction_and_binding(app: Litestar, world: World) -> None:
    shop_id, _ = await world.shop()
    other, _ = await world.shop()
    async with app.state.sessionmaker() as session:
        await bind_shop(session, shop_id)
        assert await _BOUND.scalar(session) == str(shop_id)
        row = await _ADD_CUSTOMER.one(session, shop_id=shop_id, id=uuid.uuid4(), name="买家")
        assert isinstance(row, Row) and row.display_name == "买家"
        assert row._asdict() == {"id": row.id, "display_name": "买家"}
        with pytest.raises(AttributeError):
            _ = row.missing
        # SQLAlchemy on the same session sees the raw insert: one transaction.
        seen = (await session.execute(text("SELECT count(*) FROM customers WHERE id = :id"),
                                      {"id": row.id})).scalar_one()
        assert seen == 1
        # RLS still holds: another shop's rows are invisible under this binding.
        assert await _COUNT_CUSTOMERS.scalar(session, shop_id=other) == 0
        await session.rollback()
    async with app.state.sessionmaker() as session:
        await bind_shop(session, shop_id)
        assert await _COUNT_CUSTOMERS.scalar(session, shop_id=shop_id) == 0  # rolled back


async def test_a_write_into_another_shop_is_refused(app: Litestar, world: World) -> None:
    shop_id, _ = await world.shop()
    other, _ = await world.shop()
    async with app.state.sessionmaker() as session:
        await bind_shop(session, shop_id)
        with pytest.raises(DBAPIError) as refused:
            await _ADD_CUSTOMER.run(session, shop_id=other, id=uuid.uuid4(), name="x")
        assert getattr(refused.value.orig.__cause__, "sqlstate", None) == "42501"
        await session.rollback()


async def test_a_violated_constraint_is_sqlalchemys_integrity_error(app: Litestar,
                                                                     world: World) -> None:
    shop_id, _ = await world.shop()
    customer = uuid.uuid4()
    async with app.state.sessionmaker() as session:
        await bind_shop(session, shop_id)
        await _ADD_CUSTOMER.run(session, shop_id=shop_id, id=customer, name="a")
        with pytest.raises(IntegrityError) as duplicate:
            await _ADD_CUSTOMER.run(session, shop_id=shop_id, id=customer, name="b")
        # Where api.errors looks for the constraint to map it to a code.
        assert duplicate.value.orig.__cause__.constraint_name == "pk_customers"
        assert str(customer) not in str(duplicate.value)  # parameters stay out of messages
        await session.rollback()


async def test_one_wants_a_row(app: Litestar, world: World) -> None:
    shop_id, _ = await world.shop()
    async with app.state.sessionmaker() as session:
        await bind_shop(session, shop_id)
        with pytest.raises(NoResultFound):
            await Sql("SELECT 1 FROM customers WHERE shop_id = :s AND false").one(session, s=shop_id)
        assert await Sql("SELECT 1 WHERE false").first(session) is None
        assert await Sql("SELECT 1 WHERE false").all(session) == []
        await session.rollback()


async def test_pending_orm_changes_are_flushed_first(app: Litestar) -> None:
    email = f"raw-{uuid.uuid4().hex}@example.com"
    count = Sql("SELECT count(*) FROM login_attempts WHERE email = :email")
    async with app.state.sessionmaker() as session:
        await session.execute(text("SELECT 1"))
        session.add(LoginAttempt(email=email, ip="203.0.113.9", succeeded=False))
        assert await count.scalar(session, email=email) == 1
        await session.rollback()


async def test_after_a_commit_the_next_statement_runs_in_a_new_transaction(
        app: Litestar, world: World) -> None:
    shop_id, _ = await world.shop()
    async with app.state.sessionmaker() as session:
        await bind_shop(session, shop_id)
        await _ADD_CUSTOMER.run(session, shop_id=shop_id, id=uuid.uuid4(), name="c")
        await session.commit()
        # A new transaction, begun for the statement: the binding ended with the last one
        # (an unbound transaction sees no shop rows), the committed row is there once bound.
        assert await _BOUND.scalar(session) is None
        assert await _COUNT_CUSTOMERS.scalar(session, shop_id=shop_id) == 0
        await bind_shop(session, shop_id)
        assert await _COUNT_CUSTOMERS.scalar(session, shop_id=shop_id) == 1
        await session.rollback()


async def test_an_autocommit_connection_runs_without_a_transaction(app: Litestar) -> None:
    async with app.state.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        assert await Sql("SELECT :n::int + 1").scalar(conn, n=1) == 2
        raw = (await conn.get_raw_connection()).driver_connection
        assert not raw.is_in_transaction()

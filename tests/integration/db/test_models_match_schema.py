"""The ORM models say what the migrations built: same columns, types, nullability and keys.

Only tables the ORM maps are compared (many tables are reached through Core SQL only), but
for those, both directions: a column the model lacks is as wrong as one the table lacks.
A model that drifts from its migration fails here, not at the first query in production.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from api.db.models import metadata
from api.db.urls import to_asyncpg_url
from tests.support.database import TestDatabase

_DIALECT = postgresql.dialect()


def _describe_orm() -> dict[str, dict[str, Any]]:
    return {
        name: {
            "columns": {c.name: (c.type.compile(dialect=_DIALECT), c.nullable)
                        for c in table.columns},
            "primary_key": [c.name for c in table.primary_key.columns],
        }
        for name, table in metadata.tables.items()
    }


def _describe_database(connection: Any, tables: list[str]) -> dict[str, dict[str, Any]]:
    inspector = inspect(connection)
    present = set(inspector.get_table_names())
    described: dict[str, dict[str, Any]] = {}
    for name in tables:
        if name not in present:
            continue
        described[name] = {
            "columns": {c["name"]: (c["type"].compile(dialect=_DIALECT), c["nullable"])
                        for c in inspector.get_columns(name)},
            "primary_key": inspector.get_pk_constraint(name)["constrained_columns"],
        }
    return described


def differences(orm: dict[str, dict[str, Any]], live: dict[str, dict[str, Any]]) -> list[str]:
    problems = [f"{table}: mapped, but no migration creates it" for table in sorted(orm)
                if table not in live]
    for table, model in sorted(orm.items()):
        actual = live.get(table)
        if actual is None:
            continue
        if model["primary_key"] != actual["primary_key"]:
            problems.append(f"{table}: primary key {model['primary_key']} in the model, "
                            f"{actual['primary_key']} in the database")
        for column in sorted(set(model["columns"]) | set(actual["columns"])):
            mine, theirs = model["columns"].get(column), actual["columns"].get(column)
            if mine != theirs:
                problems.append(f"{table}.{column}: model (type, nullable) = {mine}, "
                                f"database = {theirs}")
    return problems


async def test_every_mapped_table_matches_the_migrated_schema(database: TestDatabase) -> None:
    orm = _describe_orm()
    engine = create_async_engine(to_asyncpg_url(database.owner_url), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            live = await connection.run_sync(_describe_database, sorted(orm))
    finally:
        await engine.dispose()
    problems = differences(orm, live)
    assert problems == [], "\n".join(problems)


def test_the_comparison_reports_every_kind_of_drift() -> None:
    """Guard the guard: type, nullability, key, a missing column, a missing table."""
    model = {"t": {"columns": {"a": ("UUID", False), "b": ("TEXT", True), "c": ("BIGINT", False)},
                   "primary_key": ["a"]},
             "gone": {"columns": {}, "primary_key": []}}
    live = {"t": {"columns": {"a": ("UUID", False), "b": ("VARCHAR(3)", False),
                              "d": ("TEXT", True)},
                  "primary_key": ["a", "b"]}}
    assert differences(model, live) == [
        "gone: mapped, but no migration creates it",
        "t: primary key ['a'] in the model, ['a', 'b'] in the database",
        "t.b: model (type, nullable) = ('TEXT', True), database = ('VARCHAR(3)', False)",
        "t.c: model (type, nullable) = ('BIGINT', False), database = None",
        "t.d: model (type, nullable) = None, database = ('TEXT', True)",
    ]

"""Raw database connections for tests that check what PostgreSQL itself allows."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.support.database import TestDatabase


@pytest.fixture
async def app_conn(database: TestDatabase) -> AsyncIterator[asyncpg.Connection]:
    """A plain connection as the API's role: no application code in between."""
    conn = await asyncpg.connect(database.app_dsn)
    yield conn
    await conn.close()


@pytest.fixture
async def owner(database: TestDatabase) -> AsyncIterator[asyncpg.Connection]:
    """A connection as the schema owner: what a DBA (or an attacker with its rights) can do."""
    conn = await asyncpg.connect(database.owner_dsn)
    yield conn
    await conn.close()

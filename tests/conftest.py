"""Suite-wide fixtures: one database (real migrations), one app, one client."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from api.app import create_app
from tests.support.apps import http_client, running
from tests.support.database import (
    TestDatabase,
    create_test_database,
    drop_test_database,
    postgres_server,
)
from tests.support.settings import TEST_SIGNING_KEYS, make_settings
from tests.support.world import World

# Re-exported for modules written before tests.support.settings; import from there instead.
__all__ = ["TEST_SIGNING_KEYS", "make_settings"]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[tuple[str, str]]:
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="session")
async def database(postgres_url: tuple[str, str]) -> AsyncIterator[TestDatabase]:
    url, source = postgres_url
    db = await create_test_database(url, source)
    try:
        yield db
    finally:
        await drop_test_database(db)


@pytest.fixture(scope="session")
def settings(database: TestDatabase):  # type: ignore[no-untyped-def]
    return make_settings(database, Path(tempfile.mkdtemp(prefix="shopdesk-test-data-")))


@pytest.fixture(scope="session")
async def app(settings, database: TestDatabase) -> AsyncIterator[Litestar]:  # type: ignore[no-untyped-def]
    async with running(create_app(settings, database_url=database.app_url)) as application:
        yield application


@pytest.fixture(scope="session")
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app) as http:
        yield http


@pytest.fixture(scope="session")
def world(app: Litestar, client: httpx.AsyncClient) -> World:
    return World(app, client)

"""Suite-wide fixtures: one database (real migrations), one app, one client."""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from api.app import create_app
from api.settings import load_settings
from tests.support.apps import http_client, running
from tests.support.database import (
    TestDatabase,
    create_test_database,
    drop_test_database,
    postgres_server,
)
from tests.support.world import World

TEST_SIGNING_KEYS = "test-1:" + "k" * 48 + ",test-0:" + "o" * 48


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


def make_settings(db: TestDatabase, data_dir: Path, **auth_overrides: object):  # type: ignore[no-untyped-def]
    base = load_settings()
    auth_overrides = {"password_hashing": "fast-insecure", **auth_overrides}
    auth = dataclasses.replace(base.auth, signing_keys=TEST_SIGNING_KEYS,
                               login_max_failures_per_ip=1000, **auth_overrides)
    database = dataclasses.replace(base.database, url=db.owner_url, app_url=db.app_url)
    return dataclasses.replace(base, environment="test", data_dir=data_dir, auth=auth,
                               database=database, log_level="WARNING", authz_poll_seconds=0.5)


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

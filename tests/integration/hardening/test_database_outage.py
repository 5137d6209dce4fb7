"""The database goes away under load and comes back: prompt 503s meanwhile, readiness turns
false, and the server recovers by itself (authorization state included), with no restart and
no half-written row. Runs on an embedded PostgreSQL of its own, stopped and restarted with
``pg_ctl``."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from api.app import create_app
from api.db.embedded import ensure_database
from api.db.migrate import migrate
from api.db.urls import app_url_from_owner, to_libpq_dsn
from tests.support.apps import http_client, running
from tests.support.database import APP_ROLE, TestDatabase
from tests.support.settings import make_settings
from tests.support.world import PASSWORD, World

pytestmark = pytest.mark.slow
ANSWER_WITHIN = 4.0  # seconds: a refusal, not a hang (the connect timeout is 2 s)


@dataclasses.dataclass
class Embedded:
    server: Any
    owner_url: str

    def stop(self) -> None:
        from pgserver._commands import pg_ctl

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata,
               user=self.server.system_user)

    def start(self) -> None:
        self.server.ensure_postgres_running()


@pytest.fixture
async def embedded(tmp_path: Path) -> AsyncIterator[Embedded]:
    import pgserver

    server = pgserver.get_server(tmp_path / "pgdata", cleanup_mode="stop")
    owner_url = server.get_uri("shopdesk_outage")
    await ensure_database(owner_url)
    await migrate(owner_url, APP_ROLE, None)
    try:
        yield Embedded(server, owner_url)
    finally:
        server.cleanup()


async def _load(http: httpx.AsyncClient, email: str, stop: asyncio.Event,
                seen: list[tuple[str, int, str, float]]) -> None:
    """Sign in and read, over and over, noting every answer and how long it took."""
    while not stop.is_set():
        for kind in ("login", "me"):
            started = time.monotonic()
            if kind == "login":
                response = await http.post("/api/v1/auth/login", json={
                    "email": email, "password": PASSWORD})
                if response.status_code == 200:
                    http.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
            else:
                response = await http.get("/api/v1/me/")
            code = response.json().get("code", "") if response.status_code >= 400 else ""
            seen.append((kind, response.status_code, code, time.monotonic() - started))
        await asyncio.sleep(0.02)


async def test_the_database_goes_away_and_comes_back(embedded: Embedded, tmp_path: Path) -> None:
    app_url = app_url_from_owner(embedded.owner_url, APP_ROLE, None)
    base = make_settings(TestDatabase(embedded.owner_url, app_url.render_as_string(
        hide_password=False), "pgserver"), tmp_path / "data")
    settings = dataclasses.replace(base, database=dataclasses.replace(
        base.database, connect_timeout_seconds=2.0, pool_timeout_seconds=2.0))
    app = create_app(settings, database_url=app_url)
    async with running(app), http_client(app) as client:
        world = World(app, client)
        account = await world.user(login=False)
        seen: list[tuple[str, int, str, float]] = []
        stop = asyncio.Event()
        load = asyncio.create_task(_load(client, account.email, stop, seen))
        await asyncio.sleep(1.0)
        assert any(status == 200 for _, status, _, _ in seen), seen

        await asyncio.to_thread(embedded.stop)
        down_from = len(seen)
        await asyncio.sleep(2.5)
        ready = await client.get("/health/ready")
        assert ready.status_code == 503, ready.text
        during = seen[down_from + 2:]  # the first ones may have been in flight
        assert during, "no request was answered while the database was down"
        assert {(status, code) for _, status, code, _ in during} == {
            (503, "database.unavailable")}, during
        assert max(took for *_, took in during) < ANSWER_WITHIN, during

        await asyncio.to_thread(embedded.start)
        deadline = time.monotonic() + 20
        while (await client.get("/health/ready")).status_code != 200:
            assert time.monotonic() < deadline, "not ready again after the restart"
            await asyncio.sleep(0.2)
        back_from = len(seen)
        await asyncio.sleep(1.5)
        stop.set()
        await load
        assert all(status == 200 for _, status, _, _ in seen[back_from + 2:]), seen[back_from:]
        assert not [entry for entry in seen if entry[1] >= 500 and entry[1] != 503], seen

        # Authorization state follows changes again: one journalled elsewhere arrives.
        owner = await asyncpg.connect(to_libpq_dsn(embedded.owner_url))
        try:
            version = await owner.fetchval(
                "SELECT authz_record_change('user', NULL, $1)", account.id)
            deadline = time.monotonic() + 10
            while app.state.authz.version < version:
                assert time.monotonic() < deadline, "the policy runtime did not reconnect"
                await asyncio.sleep(0.1)
            # No half-written sign-in: exactly one refresh token per sign-in answered 200
            # (none from a transaction cut short, none lost from one that answered).
            tokens = await owner.fetchval(
                "SELECT count(*) FROM refresh_tokens WHERE user_id = $1", account.id)
        finally:
            await owner.close()
        logins = sum(1 for kind, status, _, _ in seen if kind == "login" and status == 200)
        assert tokens == logins

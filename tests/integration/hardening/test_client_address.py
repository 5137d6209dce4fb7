"""X-Forwarded-For is trusted from configured proxies only (none by default).

A caller on the host used to rotate the header and escape the per-IP login limit, writing
a fake address into the audit log on the way.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import tempfile
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from api import cli
from api.app import create_app
from api.db.urls import to_asyncpg_url
from tests.support.apps import running
from tests.support.database import TestDatabase
from tests.support.settings import make_settings

LIMIT = 3


def _settings(database: TestDatabase, trusted: str = ""):  # type: ignore[no-untyped-def]
    base = make_settings(database, Path(tempfile.mkdtemp(prefix="shopdesk-xff-")))
    return dataclasses.replace(
        base, auth=dataclasses.replace(base.auth, login_max_failures_per_ip=LIMIT),
        server=dataclasses.replace(base.server, forwarded_allow_ips=trusted))


def _peer() -> str:
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


async def _attempts(app, peer: str, count: int) -> list[httpx.Response]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))
    responses = []
    async with httpx.AsyncClient(transport=transport, base_url="http://shopdesk.test") as http:
        for _ in range(count):
            forged = f"203.0.113.{random.randint(1, 254)}"
            responses.append(await http.post(
                "/api/v1/auth/login", headers={"X-Forwarded-For": forged},
                json={"email": f"nobody-{uuid.uuid4().hex[:8]}@example.com", "password": "wrong-guess"}))
    return responses


async def _audited_ips(app, emails_like: str) -> set[str]:  # type: ignore[no-untyped-def]
    async with app.state.engine.connect() as conn:
        rows = await conn.execute(text("SELECT DISTINCT ip FROM login_attempts WHERE ip LIKE :p"),
                                  {"p": emails_like})
        return {r.ip for r in rows}


async def test_a_rotated_header_does_not_escape_the_per_ip_limit(database: TestDatabase) -> None:
    app = create_app(_settings(database), database_url=database.app_url,
                     start_policy_listener=False)
    peer = _peer()
    async with running(app):
        responses = await _attempts(app, peer, LIMIT + 2)
        assert [r.status_code for r in responses[:LIMIT]] == [401] * LIMIT
        assert {r.status_code for r in responses[LIMIT:]} == {429}
        assert responses[-1].json()["code"] == "auth.rate_limited"
        # Counted (and audited) under the real peer, never under the forged addresses.
        assert await _audited_ips(app, "203.0.113.%") == set()
        assert await _audited_ips(app, peer) == {peer}


async def test_a_configured_proxy_is_believed(database: TestDatabase) -> None:
    peer = _peer()
    app = create_app(_settings(database, trusted=peer), database_url=database.app_url,
                     start_policy_listener=False)
    async with running(app):
        responses = await _attempts(app, peer, LIMIT + 2)
    # Each attempt came (through the trusted proxy) from its own client address.
    assert {r.status_code for r in responses} == {401}


def test_serve_tells_uvicorn_to_rewrite_no_address(monkeypatch: pytest.MonkeyPatch,
                                                   database: TestDatabase) -> None:
    import uvicorn

    seen: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: seen.update(kwargs))
    monkeypatch.setattr(cli, "prepare_database", lambda settings, run_migrations: cli.Database(
        database.owner_url, to_asyncpg_url(database.app_url), False))
    monkeypatch.setattr(cli.signal, "signal", lambda *args: None)
    args = argparse.Namespace(host=None, port=None, no_migrate=True)
    cli.cmd_serve(args, _settings(database))
    assert seen["proxy_headers"] is False
    assert seen["forwarded_allow_ips"] == ""

"""The audit log cannot be flooded, and keeps refused tokens and refused sign-ins.

Identical refusals within a window become one entry now and one counted entry when the
window closes; summing ``details.count`` (1 where absent) gives every refusal, and the
chain still verifies.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from api.app import create_app
from api.db.shop_context import FIRM_SCOPE, bind_shop
from api.domain.audit.verify import verify_firm_chain
from tests.support.apps import running
from tests.support.database import TestDatabase
from tests.support.settings import make_settings
from tests.support.world import World

WINDOW = 1.5
LOGIN_LIMIT = 3


@dataclasses.dataclass
class Fast:
    app: Any
    ip: str

    def client(self) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=(self.ip, 41000))
        return httpx.AsyncClient(transport=transport, base_url="http://shopdesk.test")

    async def firm_entries(self, **where: str) -> list[dict[str, Any]]:
        await asyncio.sleep(WINDOW + 0.2)
        await self.app.state.denial_folds.flush()
        clauses = " AND ".join(f"{k} = :{k}" for k in where)
        async with self.app.state.sessionmaker() as session, session.begin():
            await bind_shop(session, FIRM_SCOPE)
            rows = await session.execute(text(
                f"SELECT action, target, details, ip, actor_id FROM audit_log "
                f"WHERE shop_id = :firm AND action = 'request.denied' AND {clauses} "
                f"ORDER BY seq"), {"firm": FIRM_SCOPE, **where})
            return [dict(r._mapping) for r in rows]


def _count(entries: list[dict[str, Any]]) -> int:
    return sum(int(e["details"].get("count", 1)) for e in entries)


@pytest.fixture(scope="module")
async def fast_app(database: TestDatabase) -> AsyncIterator[Any]:
    """An app folding over one second, allowing 3 failed sign-ins per address."""
    base = make_settings(database, Path(tempfile.mkdtemp(prefix="shopdesk-fold-")))
    settings = dataclasses.replace(base, audit_fold_seconds=WINDOW, auth=dataclasses.replace(
        base.auth, login_max_failures_per_ip=LOGIN_LIMIT))
    app = create_app(settings, database_url=database.app_url, start_policy_listener=False)
    async with running(app):
        yield app


@pytest.fixture
def fast(fast_app: Any) -> Fast:
    """That app, seen from a fresh client address (so the counts are this test's own)."""
    ip = f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
    return Fast(fast_app, ip)


async def test_a_flood_of_identical_refusals_is_two_entries_per_window(fast: Fast,
                                                                      world: World) -> None:
    outsider = await world.user(prefix="flooder")
    started = time.monotonic()
    async with fast.client() as http:
        for _ in range(40):  # a different (unknown) shop each time: the same refusal
            response = await http.get(f"/api/v1/shops/{uuid.uuid4()}/audit/",
                                      headers=outsider.headers())
            assert response.status_code == 404
    windows = int((time.monotonic() - started) / WINDOW) + 1
    entries = await fast.firm_entries(actor_id=str(outsider.id))
    assert _count(entries) == 40
    assert len(entries) <= 2 * windows < 40, (len(entries), windows)
    # Each window: its first refusal as it happened, then one entry counting the rest.
    assert "count" not in entries[0]["details"]
    folded = [e for e in entries if e["details"].get("folded")]
    assert folded and all(e["details"]["count"] >= 1 for e in folded)
    assert folded[0]["details"]["reason"] == "unknown_shop"
    async with fast.app.state.sessionmaker() as session, session.begin():
        assert (await verify_firm_chain(session)).ok


async def test_concurrent_refusals_lose_no_count(fast: Fast, world: World) -> None:
    outsider = await world.user(prefix="racer")
    async with fast.client() as http:
        responses = await asyncio.gather(*(
            http.get(f"/api/v1/shops/{uuid.uuid4()}/audit/", headers=outsider.headers())
            for _ in range(20)))
    assert {r.status_code for r in responses} == {404}
    assert _count(await fast.firm_entries(actor_id=str(outsider.id))) == 20


async def test_refused_tokens_are_recorded_and_folded(fast: Fast) -> None:
    async with fast.client() as http:
        for i in range(12):
            response = await http.get("/api/v1/me/", headers={
                "Authorization": f"Bearer eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ.forged{i}"})
            assert response.status_code == 401
        # Only refused credentials: no token at all is not recorded.
        assert (await http.get("/api/v1/me/")).status_code == 401
    entries = await fast.firm_entries(ip=fast.ip)
    assert _count(entries) == 12
    assert {e["details"]["status"] for e in entries} == {401}
    assert entries[0]["details"]["code"] == "auth.token_unknown_key"
    assert len(entries) < 12


async def test_refused_sign_ins_are_recorded_and_folded(fast: Fast) -> None:
    async with fast.client() as http:
        codes = []
        for _ in range(LOGIN_LIMIT + 6):
            response = await http.post("/api/v1/auth/login", json={
                "email": f"x-{uuid.uuid4().hex[:8]}@example.com", "password": "wrong-guess"})
            codes.append(response.status_code)
    assert codes == [401] * LOGIN_LIMIT + [429] * 6
    entries = await fast.firm_entries(ip=fast.ip)
    assert _count(entries) == 6
    assert {(e["details"]["status"], e["details"]["code"]) for e in entries} == {
        (429, "auth.rate_limited")}

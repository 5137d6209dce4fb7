"""Several API processes against one database: a change made through one is enforced by
the other within a second, carried by LISTEN/NOTIFY (polling is slowed to a minute here so
that only the notification can explain a fast convergence)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest

from rbac.catalog import FirmRole
from tests.support.database import TestDatabase
from tests.support.servers import free_port, wait_until_ready
from tests.support.settings import TEST_SIGNING_KEYS
from tests.support.world import PASSWORD, Account, World

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def servers(database: TestDatabase, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    env = {
        **os.environ,
        "DATABASE_URL": database.owner_url,
        "DATABASE_APP_URL": database.app_url,
        "SHOPDESK_JWT_KEYS": TEST_SIGNING_KEYS,
        "SHOPDESK_AUTHZ_POLL_SECONDS": "60",
        "SHOPDESK_LOG_LEVEL": "WARNING",
    }
    processes, urls = [], []
    for _ in range(2):
        port = free_port()
        env["SHOPDESK_DATA_DIR"] = str(tmp_path_factory.mktemp("server"))
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--no-migrate", "--port", str(port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url, process in zip(urls, processes, strict=True):
            wait_until_ready(url, process, timeout=30)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


async def _login(http: httpx.AsyncClient, account: Account, client: str = "web") -> dict[str, str]:
    response = await http.post("/api/v1/auth/login", json={
        "email": account.email, "password": PASSWORD, "client": client})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
async def clients(servers: list[str]) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async with httpx.AsyncClient(base_url=servers[0]) as a, httpx.AsyncClient(base_url=servers[1]) as b:
        yield a, b


async def _seconds_until_refused(http: httpx.AsyncClient, method: str, path: str,
                                 headers: dict[str, str], status: int, code: str) -> float:
    """Seconds until ``http`` answers ``method path`` with ``status`` and error ``code``."""

    async def refused() -> bool:
        r = await http.request(method, path, headers=headers)
        return r.status_code == status and r.json()["code"] == code

    return await _until(refused)


async def _until(check: Callable[[], object], timeout: float = 3.0) -> float:
    """Seconds until ``await check()`` is true (fails after ``timeout``)."""
    started = time.monotonic()
    while not await check():  # type: ignore[misc]
        assert time.monotonic() - started < timeout, "the other process never converged"
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def test_suspension_through_one_process_is_enforced_by_the_other(world: World, clients) -> None:  # type: ignore[no-untyped-def]
    a, b = clients
    admin = await world.user(platform_role=FirmRole.PLATFORM_ADMIN, login=False)
    shop_id, founder = await world.shop()
    founder_on_b = await _login(b, founder)
    assert (await b.get(f"/api/v1/shops/{shop_id}", headers=founder_on_b)).status_code == 200

    response = await a.post(f"/api/v1/shops/{shop_id}/suspend", json={"reason": "unpaid"},
                            headers=await _login(a, admin))
    assert response.status_code == 200, response.text

    assert await _seconds_until_refused(b, "GET", f"/api/v1/shops/{shop_id}", founder_on_b,
                                        403, "shop.suspended") < 1.0


async def test_logout_everywhere_through_one_process_cuts_tokens_on_the_other(world: World, clients) -> None:  # type: ignore[no-untyped-def]
    a, b = clients
    _, founder = await world.shop()
    token_on_b = await _login(b, founder)
    assert (await b.get("/api/v1/me", headers=token_on_b)).status_code == 200
    assert (await a.post("/api/v1/auth/logout-all", headers=await _login(a, founder))).status_code == 204

    assert await _seconds_until_refused(b, "GET", "/api/v1/me", token_on_b,
                                        401, "auth.session_revoked") < 1.0


async def test_member_removed_through_one_process_is_refused_by_the_other(world: World, clients) -> None:  # type: ignore[no-untyped-def]
    a, b = clients
    shop_id, founder = await world.shop()
    agent = await world.staff(shop_id, "agent")
    agent_on_b = await _login(b, agent)
    assert (await b.get(f"/api/v1/shops/{shop_id}/authz/matrix", headers=agent_on_b)).status_code == 403

    removed = await a.delete(f"/api/v1/shops/{shop_id}/members/{agent.id}",
                             headers=await _login(a, founder))
    assert removed.status_code == 204, removed.text

    assert await _seconds_until_refused(b, "GET", f"/api/v1/shops/{shop_id}/authz/matrix",
                                        agent_on_b, 404, "shop.not_found") < 1.0


async def test_role_change_through_one_process_is_enforced_by_the_other(world: World, clients) -> None:  # type: ignore[no-untyped-def]
    a, b = clients
    shop_id, founder = await world.shop()
    admin = await world.staff(shop_id, "admin")
    admin_on_b = await _login(b, admin)
    members_url = f"/api/v1/shops/{shop_id}/members"
    assert (await b.get(members_url, headers=admin_on_b)).status_code == 200

    changed = await a.patch(f"{members_url}/{admin.id}", json={"role": "agent"},
                            headers=await _login(a, founder))
    assert changed.status_code == 200, changed.text

    async def refused_on_b() -> bool:
        r = await b.get(members_url, headers=admin_on_b)
        return r.status_code == 403 and r.json()["details"]["permission"] == "staff:read"

    assert await _until(refused_on_b) < 1.0

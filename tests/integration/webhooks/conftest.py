"""Webhook tests reach a receiver on 127.0.0.1, with clocks short enough to watch retries.

The environment is set when this file is imported, before the suite's settings are read:
the suite's app then allows private receivers but runs no dispatcher of its own, so each
test decides which dispatchers run (the ``dispatcher`` fixture, or real server processes).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy import text

from api.db.shop_context import bind_shop
from api.db.urls import to_libpq_dsn
from api.domain.events.outbox import emit
from api.domain.webhooks.dispatcher import Dispatcher
from tests.support.world import Account, World

TEST_ENV = {
    "SHOPDESK_WEBHOOKS_ALLOW_PRIVATE": "1",
    "SHOPDESK_WEBHOOKS_DISPATCHER": "0",
    "SHOPDESK_WEBHOOKS_POLL_SECONDS": "0.2",
    "SHOPDESK_WEBHOOKS_RETRY_BASE_SECONDS": "0.2",
    "SHOPDESK_WEBHOOKS_RETRY_MAX_SECONDS": "1",
    "SHOPDESK_WEBHOOKS_TIMEOUT_SECONDS": "1",
}
for _name, _value in TEST_ENV.items():
    os.environ.setdefault(_name, _value)


@pytest.fixture
async def dispatcher(app: Litestar) -> AsyncIterator[Dispatcher]:
    """A dispatcher in this process, like the one each server runs in its lifespan."""
    running = Dispatcher(app.state.sessionmaker, to_libpq_dsn(app.state.engine.url),
                         app.state.settings.webhooks)
    await running.start()
    yield running
    await running.stop()


async def emit_events(world: World, shop_id: uuid.UUID, events: list[tuple[str, dict[str, Any]]]
                      ) -> list[uuid.UUID]:
    """Commit events through the real outbox (one transaction, as a change would)."""

    async def work(session):  # type: ignore[no-untyped-def]
        await bind_shop(session, shop_id)
        return [(await emit(session, shop_id, t, d)).id for t, d in events]

    return await world._commit(work)


async def register(world: World, shop_id: uuid.UUID, founder: Account, url: str,
                   event_types: list[str] | None = None) -> dict[str, Any]:
    response = await world.client.post(
        f"/api/v1/shops/{shop_id}/webhooks/endpoints",
        json={"url": url, "event_types": event_types or ["*"], "description": "test"},
        headers=founder.headers())
    assert response.status_code == 201, response.text
    return response.json()


async def deliveries(world: World, shop_id: uuid.UUID, founder: Account,
                     endpoint_id: str) -> list[dict[str, Any]]:
    response = await world.client.get(
        f"/api/v1/shops/{shop_id}/webhooks/endpoints/{endpoint_id}/deliveries?limit=200",
        headers=founder.headers())
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def owner_scalar(world: World, sql: str, **params: Any) -> Any:
    """A value read as the owner (RLS forced still applies; bind a shop when needed)."""

    async def work(session):  # type: ignore[no-untyped-def]
        return (await session.execute(text(sql), params)).scalar()

    return await world._commit(work)


async def wait_log(world: World, shop_id: uuid.UUID, founder: Account, endpoint_id: str,
                   predicate: Any, timeout: float = 15.0) -> list[dict[str, Any]]:
    """The delivery log once ``predicate(log)`` holds (the receiver answers before the log)."""
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while True:
        log = await deliveries(world, shop_id, founder, endpoint_id)
        if predicate(log):
            return log
        assert time.monotonic() < deadline, f"delivery log never matched: {log}"
        await asyncio.sleep(0.1)

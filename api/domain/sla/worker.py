"""The breach worker: inside every server process, it records breaches by the clock.

Each pass asks ``sla_due_clocks`` (a narrow SECURITY DEFINER function: RLS is forced and the
API role cannot bypass it) which running clocks, in any shop, have passed their warning
threshold or deadline, then handles them shop by shop in a transaction bound to that shop,
locking the clock rows with ``FOR UPDATE SKIP LOCKED``: several processes share the work and
never handle one clock twice at once, and the ledger's unique index keeps each breach once
even against a reply recording it at the same moment. Nothing is kept in memory between
passes, so a restarted process simply finds what came due while it was down.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager, suppress
from typing import Any

import structlog
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.shop_context import bind_shop
from api.domain.sla.breaches import record_due

__all__ = ["BreachWorker", "breach_worker_lifespan", "run_once"]

logger = structlog.get_logger(__name__)
_BATCH = 500
_DEPTH_EVERY = 5  # passes between queue-depth refreshes for /metrics
_AFTER_COMMIT = "hooks.after_commit"


async def _process_shop(sessionmaker: async_sessionmaker[AsyncSession], shop_id: uuid.UUID,
                        clock_ids: list[uuid.UUID]) -> int:
    recorded = 0
    async with sessionmaker() as session:
        async with session.begin():
            await bind_shop(session, shop_id)
            # The conversation's row is locked too, and first in every change (a message,
            # a status change): holding the clock and then waiting on that row (escalation
            # reassigns) would deadlock with them. A held conversation waits for a later pass.
            rows = (await session.execute(text(
                "SELECT c.*, y.assignee_id AS cycle_assignee FROM sla_clocks c "
                "JOIN sla_cycles y ON y.shop_id = c.shop_id "
                "AND y.conversation_id = c.conversation_id AND y.cycle = c.cycle "
                "JOIN conversations v ON v.shop_id = c.shop_id AND v.id = c.conversation_id "
                "WHERE c.shop_id = :shop_id AND c.id = ANY(:ids) AND c.state = 'running' "
                "ORDER BY c.id FOR UPDATE OF v, c SKIP LOCKED"),
                {"shop_id": shop_id, "ids": clock_ids})).all()
            now = (await session.execute(text("SELECT clock_timestamp()"))).scalar_one()
            for clock in rows:
                if await record_due(session, clock, now, clock.cycle_assignee, escalate=True):
                    recorded += 1
        hooks = session.info.pop(_AFTER_COMMIT, [])
    for hook in hooks:
        with suppress(Exception):
            await hook()
    return recorded


async def run_once(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """One pass over every due clock; how many clocks got a warning or breach recorded."""
    async with sessionmaker() as session, session.begin():
        due = (await session.execute(text("SELECT shop_id, clock_id FROM sla_due_clocks(:n)"),
                                     {"n": _BATCH})).all()
    by_shop: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for shop_id, clock_id in due:
        by_shop[shop_id].append(clock_id)
    recorded = 0
    for shop_id, ids in by_shop.items():
        recorded += await _process_shop(sessionmaker, shop_id, ids)
    return recorded


async def refresh_queue_depth(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    from api.metrics import set_queue_depths

    async with sessionmaker() as session, session.begin():
        rows = (await session.execute(text("SELECT * FROM sla_queue_depths()"))).all()
    set_queue_depths([(str(r.shop_id), r.channel, int(r.waiting)) for r in rows])


class BreachWorker:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], interval: float) -> None:
        self.sessionmaker = sessionmaker
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="sla-breach-worker")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        passes = 0
        while True:
            try:
                # A full batch means more is due: go again at once instead of sleeping.
                while await run_once(self.sessionmaker) >= _BATCH:
                    pass
                if passes % _DEPTH_EVERY == 0:
                    await refresh_queue_depth(self.sessionmaker)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("sla breach worker pass failed")
            passes += 1
            await asyncio.sleep(self.interval)


@asynccontextmanager
async def breach_worker_lifespan(app: Litestar) -> AsyncGenerator[None, None]:
    """Run the worker for the life of the server (after the database lifespan set up)."""
    interval: Any = app.state.settings.sla_worker_seconds
    worker = None
    if interval and interval > 0:
        worker = BreachWorker(app.state.sessionmaker, float(interval))
        worker.start()
    try:
        yield
    finally:
        if worker is not None:
            await worker.stop()

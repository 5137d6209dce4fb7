"""Periodic maintenance inside the server, coordinated through PostgreSQL.

Every process runs the loop; each pass first takes a transaction-level advisory lock named
for the job (``pg_try_advisory_xact_lock``), so with several processes one does the work and
the others skip that pass. State lives in the tables the job touches, so a restart simply
resumes: nothing is kept in memory between passes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["PeriodicJob", "run_once_across_processes"]

logger = structlog.get_logger(__name__)
_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(hashtextextended(:name, 0))")


async def run_once_across_processes(engine: AsyncEngine, name: str,
                                    work: Callable[[], Awaitable[object]]) -> bool:
    """Run ``work`` unless another process holds the job's lock right now."""
    async with engine.begin() as conn:
        if not (await conn.execute(_TRY_LOCK, {"name": f"shopdesk:{name}"})).scalar():
            return False
        # The lock lives as long as this transaction: ``work`` runs while it is held.
        await work()
    return True


class PeriodicJob:
    """``work`` every ``seconds``, started and stopped with the application."""

    def __init__(self, engine: AsyncEngine, name: str, seconds: float,
                 work: Callable[[], Awaitable[object]]) -> None:
        self._engine, self.name, self._seconds, self._work = engine, name, seconds, work
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._seconds > 0:
            self._task = asyncio.create_task(self._forever(), name=f"periodic-{self.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _forever(self) -> None:
        while True:
            try:
                await run_once_across_processes(self._engine, self.name, self._work)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("periodic job failed; retrying next pass", job=self.name,
                               exc_info=True)
            await asyncio.sleep(self._seconds)

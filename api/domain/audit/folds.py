"""Folding repeated identical refusals, so that nobody can flood an audit chain.

The chain is append-only and hash-linked: entries are never updated. So a refusal is
*counted* in ``audit_denial_folds`` (one row per shop chain and fold key: the caller, the
route template, the reason) and the chain receives:
- the first refusal of a window at once, as an ordinary entry (one refusal);
- the refusals that followed within the window as one entry with ``details.count = N`` and
  ``details.folded = true``, once the window has closed (by the next identical refusal, or by
  the flusher every process runs for the shops where it counted some).
Summing ``details.count`` (1 where absent) over ``request.denied`` entries gives every
refusal; the chain
stays verifiable as before. The count row is locked while it changes, so concurrent
refusals in several processes neither lose a count nor write a window twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.shop_context import bind_shop
from api.domain.audit.context import AuditContext
from api.domain.audit.services import record

__all__ = ["FoldFlusher", "record_folded"]

logger = structlog.get_logger(__name__)

_LOCK = text(
    "SELECT window_started_at, last_at, pending, sample, "
    "window_started_at > now() - make_interval(secs => :window) AS open "
    "FROM audit_denial_folds WHERE shop_id = :shop_id AND fold_key = :key FOR UPDATE")
_START = text(
    "INSERT INTO audit_denial_folds (shop_id, fold_key, window_started_at, last_at, pending, "
    "sample) VALUES (:shop_id, :key, now(), now(), 0, CAST(:sample AS jsonb)) "
    "ON CONFLICT (shop_id, fold_key) DO NOTHING RETURNING 1")
_COUNT = text(
    "UPDATE audit_denial_folds SET pending = pending + 1, last_at = now() "
    "WHERE shop_id = :shop_id AND fold_key = :key")
_RESTART = text(
    "UPDATE audit_denial_folds SET window_started_at = now(), last_at = now(), pending = 0, "
    "sample = CAST(:sample AS jsonb) WHERE shop_id = :shop_id AND fold_key = :key")
_CLOSED = text(
    "SELECT fold_key, window_started_at, last_at, pending, sample FROM audit_denial_folds "
    "WHERE shop_id = :shop_id AND pending > 0 "
    "AND window_started_at <= now() - make_interval(secs => :window) "
    "ORDER BY fold_key FOR UPDATE SKIP LOCKED")
_EMPTY = text(
    "UPDATE audit_denial_folds SET pending = 0 WHERE shop_id = :shop_id AND fold_key = :key")


def _sample(ctx: AuditContext, action: str, target: str | None,
            details: dict[str, Any]) -> str:
    return json.dumps({"actor_id": ctx.actor_id, "client": ctx.client, "ip": ctx.ip,
                       "action": action, "target": target, "details": details},
                      sort_keys=True, default=str)


async def _write_folded(session: AsyncSession, shop_id: uuid.UUID, sample: Any,
                        count: int, first_at: datetime, last_at: datetime) -> None:
    if isinstance(sample, str):
        sample = json.loads(sample)
    ctx = AuditContext(sample.get("actor_id"), sample.get("client"), sample.get("ip"), None)
    await record(session, ctx, shop_id=shop_id, action=sample["action"], outcome="denied",
                 target=sample.get("target"),
                 details={**(sample.get("details") or {}), "count": count, "folded": True,
                          "first_at": first_at.isoformat(), "last_at": last_at.isoformat()})


async def record_folded(session: AsyncSession, ctx: AuditContext, *, shop_id: uuid.UUID,
                        key: str, window_seconds: float, action: str, target: str | None,
                        details: dict[str, Any]) -> bool:
    """Record one refusal in ``shop_id``'s chain, folded by ``key``; ``True`` if it was
    counted into an open window rather than written. The session must be bound to the shop."""
    params = {"shop_id": shop_id, "key": key, "window": window_seconds}
    sample = _sample(ctx, action, target, details)
    row = (await session.execute(_LOCK, params)).first()
    if row is None and (await session.execute(_START, {**params, "sample": sample})).first():
        await record(session, ctx, shop_id=shop_id, action=action, outcome="denied",
                     target=target, details=details)
        return False
    if row is None:  # another transaction started this window a moment ago
        row = (await session.execute(_LOCK, params)).first()
        assert row is not None
    if row.open:
        await session.execute(_COUNT, params)
        return True
    if row.pending:
        await _write_folded(session, shop_id, row.sample, row.pending, row.window_started_at,
                            row.last_at)
    await session.execute(_RESTART, {**params, "sample": sample})
    await record(session, ctx, shop_id=shop_id, action=action, outcome="denied", target=target,
                 details=details)
    return False


async def flush_closed(session: AsyncSession, shop_id: uuid.UUID, window_seconds: float) -> int:
    """Write the counted refusals of ``shop_id``'s closed windows; how many entries."""
    rows = (await session.execute(_CLOSED, {"shop_id": shop_id, "window": window_seconds})).all()
    for row in rows:
        await _write_folded(session, shop_id, row.sample, row.pending, row.window_started_at,
                            row.last_at)
        await session.execute(_EMPTY, {"shop_id": shop_id, "key": row.fold_key})
    return len(rows)


class FoldFlusher:
    """Writes closed windows' counts for the shops where this process counted refusals.

    A count left behind by a process that stopped is written by the next identical refusal
    in that shop, or by any process that counts one there later.
    """

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], window_seconds: float):
        self._sessionmaker = sessionmaker
        self.window_seconds = window_seconds
        self._dirty: set[uuid.UUID] = set()
        self._task: asyncio.Task[None] | None = None

    def counted(self, shop_id: uuid.UUID) -> None:
        self._dirty.add(shop_id)

    async def flush(self) -> int:
        written = 0
        for shop_id in sorted(self._dirty):
            async with self._sessionmaker() as session, session.begin():
                await bind_shop(session, shop_id)
                written += await flush_closed(session, shop_id, self.window_seconds)
                left = (await session.execute(text(
                    "SELECT count(*) FROM audit_denial_folds WHERE shop_id = :s AND pending > 0"),
                    {"s": shop_id})).scalar_one()
            if not left:
                self._dirty.discard(shop_id)
        return written

    def start(self) -> None:
        self._task = asyncio.create_task(self._forever(), name="audit-fold-flusher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        with contextlib.suppress(Exception):
            await self.flush()  # counts of windows closed by now; the rest stay counted

    async def _forever(self) -> None:
        while True:
            await asyncio.sleep(max(0.5, self.window_seconds / 4))
            try:
                await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("could not flush folded refusals", exc_info=True)

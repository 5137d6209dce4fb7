"""The webhook dispatcher: one per server process, started in the app's lifespan.

It wakes on the event log's NOTIFY (``shopdesk_events``, payload ``<shop_id>:<seq>``) for
the shop named, and sweeps every ``poll_seconds`` for what a notification cannot announce:
retries coming due, expired leases, lost notifications. The sweep finds cross-shop work
through two SECURITY DEFINER functions that return only ``(shop_id, id)`` pairs; every
step then runs in a transaction bound to its shop. Several processes can run it at once:
row locks with SKIP LOCKED decide who fans out and who makes each attempt.

HTTP runs in tasks of its own, bounded by ``concurrency``, never on the request path: a
slow or dead receiver costs the API nothing but a dispatcher slot.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.shop_context import bind_shop
from api.domain.events.outbox import EVENTS_CHANNEL
from api.domain.webhooks.fanout import Claimed, Outcome, claim, fan_out, finish
from api.domain.webhooks.sender import new_client, send
from api.settings import WebhookSettings

__all__ = ["Dispatcher", "webhooks_lifespan"]

logger = structlog.get_logger(__name__)
_PRUNE_EVERY = 600.0
_ASYNC_COMMIT = text("SET LOCAL synchronous_commit = off")


class Dispatcher:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], dsn: str | None,
                 settings: WebhookSettings) -> None:
        self._sessions = sessionmaker
        self._dsn = dsn
        self._settings = settings
        # Longer than any attempt can take (name lookup, then the HTTP timeout), with margin.
        self._lease = 2 * settings.timeout_seconds + 5.0
        self._hints: set[uuid.UUID] = set()  # shops to claim for
        # Shops last seen with no active endpoint, until when their NOTIFYs are ignored: an
        # idle dispatcher costs nothing per event. The sweep still finds any fan-out due
        # (an endpoint created meanwhile, here or in another process) within poll_seconds.
        self._idle: dict[uuid.UUID, float] = {}
        self._fresh: set[uuid.UUID] = set()  # shops with new events: fan out, then claim
        self._wake = asyncio.Event()
        self._inflight: set[asyncio.Task[None]] = set()
        self._results: dict[uuid.UUID, list[tuple[Claimed, Outcome]]] = {}
        self._finished = asyncio.Event()
        self._recorder: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._client = new_client(settings.timeout_seconds)
        self._last_prune = 0.0

    async def start(self) -> None:
        await self._listen()
        self._task = asyncio.create_task(self._run(), name="webhook-dispatcher")
        self._recorder = asyncio.create_task(self._record(), name="webhook-recorder")

    async def stop(self) -> None:
        """Stop at once: an attempt cut short is retried after its lease (at-least-once)."""
        tasks = [t for t in (self._task, self._recorder, *self._inflight) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._flush(), 5)  # what finished before the stop
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
        await self._client.aclose()

    def poke(self, shop_id: uuid.UUID, *, new_events: bool = False) -> None:
        """Look at ``shop_id`` soon: claim what is due (and fan out, if it has new events)."""
        (self._fresh if new_events else self._hints).add(shop_id)
        self._wake.set()

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        with contextlib.suppress(ValueError):
            shop_id = uuid.UUID(payload.partition(":")[0])
            until = self._idle.get(shop_id)
            if until is not None:
                if time.monotonic() < until:
                    return
                del self._idle[shop_id]
            self.poke(shop_id, new_events=True)

    async def _listen(self) -> None:
        if self._dsn is None or (self._listener is not None and not self._listener.is_closed()):
            return
        try:
            self._listener = await asyncpg.connect(self._dsn, server_settings={
                "application_name": "shopdesk-webhooks"})
            await self._listener.add_listener(EVENTS_CHANNEL, self._notified)
        except (OSError, asyncpg.PostgresError):
            logger.warning("webhook dispatcher cannot LISTEN; polling only", exc_info=True)
            self._listener = None

    async def _run(self) -> None:
        next_sweep = 0.0
        while True:
            try:
                now = time.monotonic()
                fresh, self._fresh = self._fresh, set()
                shops, self._hints = self._hints | fresh, set()
                if now >= next_sweep:
                    swept = await self._sweep()
                    for shop_id in swept:  # work is due there: listen to it again
                        self._idle.pop(shop_id, None)
                    fresh |= swept
                    shops |= swept
                    next_sweep = now + self._settings.poll_seconds
                for shop_id in shops:
                    await self._work(shop_id, fan_out_first=shop_id in fresh)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("webhook dispatcher pass failed")
            self._wake.clear()
            if self._hints or self._fresh:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(),
                                       max(0.0, next_sweep - time.monotonic()))

    @contextlib.asynccontextmanager
    async def _shop(self, shop_id: uuid.UUID) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session, session.begin():
            await bind_shop(session, shop_id)
            # The dispatcher's own bookkeeping need not wait for the disk: if a crash loses
            # its last commits, deliveries are created or sent again (at-least-once), and
            # the events themselves were committed durably by the changes that made them.
            await session.execute(_ASYNC_COMMIT)
            yield session

    async def _sweep(self) -> set[uuid.UUID]:
        await self._listen()
        async with self._sessions() as session, session.begin():
            rows = (await session.execute(text(
                "SELECT shop_id FROM webhook_fanout_due() UNION "
                "SELECT shop_id FROM webhook_deliveries_due(:n)"), {"n": 500})).all()
            if time.monotonic() - self._last_prune > _PRUNE_EVERY:
                self._last_prune = time.monotonic()
                await session.execute(text("SELECT idempotency_prune(5000)"))
        return {row.shop_id for row in rows}

    async def _work(self, shop_id: uuid.UUID, *, fan_out_first: bool) -> None:
        """One transaction: fan out new events (a batch), then claim what is due."""
        free = self._settings.concurrency - len(self._inflight)
        async with self._shop(shop_id) as session:
            more, endpoints = False, None
            if fan_out_first:
                _, more, endpoints = await fan_out(session, shop_id)
            # Without an active endpoint nothing can be claimed (claims join active ones).
            claimed = (await claim(session, shop_id, free, self._lease)
                       if free > 0 and endpoints != 0 else [])
        if endpoints == 0 and shop_id not in self._hints:
            self._idle[shop_id] = time.monotonic() + self._settings.poll_seconds
        if more:
            self.poke(shop_id, new_events=True)
        for item in claimed:
            task = asyncio.create_task(self._deliver(item))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    async def _deliver(self, claimed: Claimed) -> None:
        outcome = await send(self._client, claimed, allow_private=self._settings.allow_private,
                             timeout_seconds=self._settings.timeout_seconds)
        self._results.setdefault(claimed.shop_id, []).append((claimed, outcome))
        self._finished.set()

    async def _record(self) -> None:
        """Write finished attempts, one transaction per shop for all that finished meanwhile."""
        while True:
            await self._finished.wait()
            self._finished.clear()
            await self._flush()

    async def _flush(self) -> None:
        results, self._results = self._results, {}
        for shop_id, batch in results.items():
            try:
                async with self._shop(shop_id) as session:
                    await finish(session, shop_id, batch, self._settings)
            except Exception:
                # Unrecorded attempts are made again when their lease runs out.
                logger.exception("recording webhook attempts failed", shop_id=str(shop_id))
            # The next delivery of an ordered chain, or one held back by capacity, may be due.
            self.poke(shop_id)


@contextlib.asynccontextmanager
async def webhooks_lifespan(app: Any) -> AsyncIterator[None]:
    """Run a dispatcher for as long as the app runs (``Litestar(lifespan=[...])``)."""
    from api.db.urls import to_libpq_dsn

    settings: WebhookSettings = app.state.settings.webhooks
    if not settings.dispatcher_enabled:
        yield
        return
    dsn = to_libpq_dsn(app.state.engine.url)
    dispatcher = Dispatcher(app.state.sessionmaker, dsn, settings)
    await dispatcher.start()
    app.state.webhook_dispatcher = dispatcher
    try:
        yield
    finally:
        await dispatcher.stop()

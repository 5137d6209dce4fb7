"""Keeps every process's policy current: start-up load, journal replay, LISTEN/NOTIFY, polling.

Correctness rests on the journal (``authz_changes``), not on notifications:
- each committed change has a version, assigned under a row lock, so versions commit in
  order and without gaps;
- a process applies journal rows past the last version it applied, re-reading the changed
  shop or user from the database (so applying twice, or late, converges);
- NOTIFY only says "there is something new"; a lost one is caught by the poll;
- a rolled-back transaction leaves no journal row and sends no notification, so it changes
  no decision anywhere.
The request that made a change replays the journal itself before its response is sent, so
the very next request, in this process, already sees it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from rbac import policy_store as store
from rbac.engine import PolicyEngine, Snapshot

__all__ = ["AuthzRuntime", "RuntimeStats"]

logger = logging.getLogger(__name__)
# Past this many pending changes a process rebuilds (off the loop) instead of replaying.
_MAX_REPLAY = 500
_JOURNAL_KEEP_SECONDS = 24 * 3600
_PRUNE_EVERY_SECONDS = 600


@dataclass(slots=True)
class RuntimeStats:
    rebuilds: int = 0
    last_rebuild_seconds: float = 0.0
    changes_applied: int = 0
    notifications: int = 0


class AuthzRuntime:
    """The process-wide policy engine and the machinery that keeps it current."""

    def __init__(self, engine: AsyncEngine, listen_dsn: str | None, poll_seconds: float = 2.0):
        self._engine = engine
        self._listen_dsn = listen_dsn
        self._poll_seconds = poll_seconds
        self._lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._listener: asyncpg.Connection | None = None
        self._wake = asyncio.Event()
        self.policy: PolicyEngine | None = None
        self.version = 0
        self.stats = RuntimeStats()
        # Called with a shop id for every applied change to that shop, and with None after a
        # rebuild: caches derived from the policy (integration keys) drop what may be stale.
        self.shop_listeners: list[Callable[[str | None], None]] = []

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        await self.rebuild()
        if self._listen_dsn:
            self._tasks.append(asyncio.create_task(self._listen_forever(), name="authz-listen"))
            self._tasks.append(asyncio.create_task(self._apply_forever(), name="authz-apply"))
        if self._poll_seconds > 0:
            self._tasks.append(asyncio.create_task(self._poll_forever(), name="authz-poll"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None

    # -- loading ---------------------------------------------------------------------------

    async def load_snapshot(self) -> Snapshot:
        """Read the whole policy in one REPEATABLE READ transaction, in batches."""
        async with self._engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                version = await store.fetch_version(conn)
                lines = await store.fetch_policy_lines(conn)
                shops = [s async for batch in store.iter_shops(conn) for s in batch]
                users = [u async for batch in store.iter_users(conn) for u in batch]
                groupings = [g async for batch in store.iter_groupings(conn) for g in batch]
        return Snapshot(version, lines, groupings, shops, users)

    async def rebuild(self) -> None:
        """Build a fresh engine off the event loop, swap it in, then replay what came after."""
        async with self._lock:
            started = time.perf_counter()
            # The rebuild allocates the whole policy anew; a full collection in the middle
            # would walk all of it with the GIL held. Collections resume once it is frozen,
            # and skip it from then on.
            gc_was_enabled = gc.isenabled()
            gc.disable()
            try:
                snapshot = await self.load_snapshot()
                engine = await asyncio.to_thread(PolicyEngine.build, snapshot)
                version = snapshot.version
                await asyncio.to_thread(snapshot.release)
                del snapshot
                old = self._swap(engine)
                if old is not None:
                    await asyncio.to_thread(old.dismantle)
                    del old
                # Garbage that requests left while collection was paused is young: collect
                # it (cheaply) so that freezing keeps only what is alive.
                gc.collect(1)
                gc.freeze()
            finally:
                if gc_was_enabled:
                    gc.enable()
            self.version = version
            self._tell_listeners(None)
            self.stats.rebuilds += 1
            self.stats.last_rebuild_seconds = time.perf_counter() - started
        await self.catch_up()

    def _swap(self, engine: PolicyEngine) -> PolicyEngine | None:
        """Install a new engine and return the old one.

        A policy for 10k shops is hundreds of thousands of objects; every full collection
        would walk them all while holding the GIL (hundreds of ms of event-loop stall).
        ``rebuild`` therefore freezes what is alive after the swap (collections skip frozen
        objects), and frees the old engine by reference counting once ``dismantle`` has
        broken its cycles, so nothing frozen is leaked.
        """
        old, self.policy = self.policy, engine
        return old

    async def catch_up(self) -> None:
        """Apply every journalled change past ``self.version``."""
        needs_rebuild = False
        async with self._lock:
            async with self._engine.connect() as conn:
                entries = await store.fetch_changes_since(conn, self.version, _MAX_REPLAY + 1)
                if entries and entries[0].version != self.version + 1:
                    needs_rebuild = True  # the journal was pruned past us
                elif len(entries) > _MAX_REPLAY:
                    needs_rebuild = True  # far behind: one rebuild beats a long replay
                else:
                    for entry in entries:
                        if entry.kind == "policy":
                            needs_rebuild = True
                            break
                        await self._apply(conn, entry)
                        self.version = entry.version
                        self.stats.changes_applied += 1
        if needs_rebuild:
            await self.rebuild()

    async def _apply(self, conn, entry: store.JournalEntry) -> None:  # type: ignore[no-untyped-def]
        assert self.policy is not None
        if entry.kind == "shop" and entry.shop_id:
            state, members = await store.fetch_shop(conn, entry.shop_id)
            if state is not None:
                self.policy.set_shop(state, members)
            self._tell_listeners(entry.shop_id)
        elif entry.kind == "user" and entry.user_id:
            user = await store.fetch_user(conn, entry.user_id)
            if user is not None:
                self.policy.set_user(user)

    def _tell_listeners(self, shop_id: str | None) -> None:
        for listener in self.shop_listeners:
            try:
                listener(shop_id)
            except Exception:
                logger.exception("a policy listener failed")

    # -- background ------------------------------------------------------------------------

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        # Runs inside asyncpg's protocol callback: only note that there is work. A burst of
        # notifications becomes one catch-up, done by the long-lived apply task.
        self.stats.notifications += 1
        try:
            version = int(json.loads(payload)["version"])
        except (ValueError, KeyError, TypeError):
            version = self.version + 1
        if version > self.version:
            self._wake.set()

    async def _apply_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self.apply_committed()

    async def apply_committed(self) -> None:
        """Catch up, logging instead of raising: callers have already committed their change,
        and a failed replay is retried by the next notification or poll."""
        try:
            await self.catch_up()
        except Exception:
            logger.exception("authz catch-up failed")

    async def _listen_forever(self) -> None:
        assert self._listen_dsn is not None
        while True:
            try:
                self._listener = await asyncpg.connect(self._listen_dsn)
                await self._listener.add_listener(store.CHANNEL, self._on_notify)
                # Anything committed while we were not listening is in the journal.
                self._wake.set()
                while not self._listener.is_closed():
                    await asyncio.sleep(1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("authz listener lost its connection; reconnecting", exc_info=True)
            finally:
                if self._listener is not None:
                    with contextlib.suppress(Exception):
                        await self._listener.close()
                    self._listener = None
            await asyncio.sleep(1.0)

    async def _poll_forever(self) -> None:
        next_prune = time.monotonic()
        while True:
            await asyncio.sleep(self._poll_seconds)
            try:
                async with self._engine.connect() as conn:
                    latest = await store.fetch_version(conn)
                if time.monotonic() >= next_prune:
                    # Every running process applied these long ago; one that did not finds
                    # the gap and rebuilds. Several processes pruning at once is harmless.
                    async with self._engine.begin() as conn:
                        await store.prune_journal(conn, _JOURNAL_KEEP_SECONDS)
                    next_prune = time.monotonic() + _PRUNE_EVERY_SECONDS
                if latest > self.version:
                    await self.catch_up()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("authz poll failed", exc_info=True)

"""Fan-out of the shop event log to this process's live readers.

One asyncpg connection per process LISTENs on ``shopdesk_events`` (payload
``"<shop_id>:<seq>"``). A notification only wakes: the ``events`` table is the truth. For
each shop with readers here, a ``ShopFeed`` keeps the recent rows in memory, refreshed by
*one* query per wake however many readers the shop has, and readers take their rows from
it; a reader too far behind (a resume from an old ``Last-Event-ID``) reads the table
itself. Neither holds a database connection while idle.

Why the buffer never skips: within a shop ``seq`` is handed out under the counter's row lock
and a rolled-back transaction returns its number, so the committed events are exactly
1..N with no holes, and ``seq > tail`` read after a notification is complete up to what it
returns. The feed's ``tail`` starts at the committed counter value, read when it is created.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from bisect import bisect_right
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.db.shop_context import bind_shop
from api.db.urls import to_libpq_dsn
from api.domain.events.outbox import EVENTS_CHANNEL

__all__ = ["BATCH", "EventHub", "EventRow", "ShopFeed", "event_stream_lifespan", "fetch_events"]

logger = logging.getLogger(__name__)
BATCH = 500  # rows per read
_BUFFER = 2000  # rows a feed keeps for readers slightly behind

_COLUMNS = "seq, id, type, permission, subject_user_id, data::text AS data, occurred_at"
_SELECT = text(f"SELECT {_COLUMNS} FROM events WHERE shop_id = :shop_id AND seq > :after "
               "ORDER BY seq LIMIT :limit")
_SELECT_PERMISSION = text(
    f"SELECT {_COLUMNS} FROM events WHERE shop_id = :shop_id AND seq > :after "
    "AND permission = :permission ORDER BY seq LIMIT :limit")
_TAIL = text("SELECT coalesce(max(last_seq), 0) FROM shop_event_counters WHERE shop_id = :shop_id")


@dataclass(frozen=True, slots=True)
class EventRow:
    seq: int
    id: uuid.UUID
    type: str
    permission: str
    subject_user_id: uuid.UUID | None
    data: str  # the JSON text as stored (jsonb renders on one line)
    occurred_at: datetime
    # Encoded once per row, however many readers send it.
    encoded: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "encoded", self.frame())

    def payload(self) -> str:
        return (f'{{"seq":{self.seq},"id":"{self.id}","type":{json.dumps(self.type)},'
                f'"occurred_at":"{self.occurred_at.isoformat()}","data":{self.data}}}')

    def frame(self) -> bytes:
        """One SSE message; its ``id`` is the seq a reconnect resumes after."""
        event = "" if "\n" in self.type or "\r" in self.type else f"event: {self.type}\n"
        return f"id: {self.seq}\n{event}data: {self.payload()}\n\n".encode()


async def fetch_events(engine: AsyncEngine, shop_id: uuid.UUID, after: int,
                       limit: int = BATCH, *, permission: str | None = None) -> list[EventRow]:
    """Committed events of ``shop_id`` after ``after``, on a connection held for this read only."""
    params: dict[str, object] = {"shop_id": shop_id, "after": after, "limit": limit}
    sql = _SELECT
    if permission is not None:
        sql, params["permission"] = _SELECT_PERMISSION, permission
    async with engine.connect() as conn, conn.begin():
        await bind_shop(conn, shop_id)
        rows = (await conn.execute(sql, params)).all()
    return [EventRow(*row) for row in rows]


async def committed_tail(engine: AsyncEngine, shop_id: uuid.UUID) -> int:
    async with engine.connect() as conn, conn.begin():
        await bind_shop(conn, shop_id)
        return int((await conn.execute(_TAIL, {"shop_id": shop_id})).scalar_one())


class ShopFeed:
    """One shop's recent events and the readers waiting for more, in this process."""

    def __init__(self, hub: EventHub, shop_id: uuid.UUID) -> None:
        self.hub = hub
        self.shop_id = shop_id
        self.readers: set[asyncio.Event] = set()
        self.rows: list[EventRow] = []  # contiguous seqs, ending at tail
        self.seqs: list[int] = []
        self.tail: int | None = None  # None until the committed tail is known
        self._pending = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name=f"event-feed-{shop_id}")

    def rows_after(self, last: int) -> list[EventRow] | None:
        """Rows after ``last`` from memory, or ``None``: read the table instead."""
        if self.tail is None:
            return None
        if last >= self.tail:
            return []
        if self.seqs and self.seqs[0] <= last + 1:
            return self.rows[bisect_right(self.seqs, last):]
        return None

    def wake(self) -> None:
        self._pending.set()

    def wake_readers(self) -> None:
        for reader in self.readers:
            reader.set()

    async def _run(self) -> None:
        while True:
            try:
                if self.tail is None:
                    self.tail = await committed_tail(self.hub.engine, self.shop_id)
                await self._pending.wait()
                self._pending.clear()
                while True:  # single flight: wakes during a read make one more read
                    rows = await fetch_events(self.hub.engine, self.shop_id, self.tail)
                    self._append(rows)
                    self.wake_readers()
                    if len(rows) < BATCH:
                        break
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("event feed refresh failed", exc_info=True)
                self.wake_readers()  # readers fall back to the table
                await asyncio.sleep(1.0)
                self._pending.set()

    def _append(self, rows: list[EventRow]) -> None:
        if not rows:
            return
        self.rows.extend(rows)
        self.seqs.extend(row.seq for row in rows)
        self.tail = rows[-1].seq
        if len(self.rows) > _BUFFER:
            del self.rows[:-_BUFFER]
            del self.seqs[:-_BUFFER]

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task


class EventHub:
    """The process's LISTEN connection and its per-shop feeds."""

    heartbeat_seconds = 15.0  # SSE comment when nothing else was written for this long
    recheck_seconds = 2.0  # how often an idle stream re-checks its reader's authorization

    def __init__(self, engine: AsyncEngine, listen_dsn: str | None) -> None:
        self.engine = engine
        self._dsn = listen_dsn
        self.feeds: dict[uuid.UUID, ShopFeed] = {}
        self._task: asyncio.Task[None] | None = None
        self.notifications = 0

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen_forever(), name="events-listen")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        for feed in list(self.feeds.values()):
            feed.wake_readers()
            await feed.close()
        self.feeds.clear()

    def subscribe(self, shop_id: uuid.UUID) -> tuple[ShopFeed, asyncio.Event]:
        feed = self.feeds.get(shop_id)
        if feed is None:
            feed = self.feeds[shop_id] = ShopFeed(self, shop_id)
        reader = asyncio.Event()
        feed.readers.add(reader)
        return feed, reader

    def known_tail(self, shop_id: uuid.UUID) -> int | None:
        """A committed seq of ``shop_id`` no older than its feed's last refresh, if it has one."""
        feed = self.feeds.get(shop_id)
        return feed.tail if feed is not None else None

    def unsubscribe(self, shop_id: uuid.UUID, reader: asyncio.Event) -> None:
        feed = self.feeds.get(shop_id)
        if feed is None:
            return
        feed.readers.discard(reader)
        if not feed.readers:
            del self.feeds[shop_id]
            feed._task.cancel()

    def policy_changed(self, shop_id: str | None) -> None:
        """A shop's members or roles changed (None: everything may have): re-check now."""
        if shop_id is None:
            targets = list(self.feeds.values())
        else:
            try:
                feed = self.feeds.get(uuid.UUID(shop_id))
            except ValueError:
                return
            targets = [feed] if feed else []
        for feed in targets:
            feed.wake_readers()

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        self.notifications += 1
        shop, _, _ = payload.partition(":")
        try:
            feed = self.feeds.get(uuid.UUID(shop))
        except ValueError:
            return
        if feed is not None:
            feed.wake()

    def _wake_all(self) -> None:
        for feed in self.feeds.values():
            feed.wake()

    async def _listen_forever(self) -> None:
        while True:
            conn: asyncpg.Connection | None = None
            try:
                if self._dsn is None:
                    raise RuntimeError("no LISTEN connection configured")
                conn = await asyncpg.connect(self._dsn)
                await conn.add_listener(EVENTS_CHANNEL, self._on_notify)
                self._wake_all()  # whatever committed while we were not listening
                while not conn.is_closed():
                    await asyncio.sleep(1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("event listener down; polling until it is back", exc_info=True)
            finally:
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close()
            self._wake_all()
            await asyncio.sleep(1.0)


@asynccontextmanager
async def event_stream_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Start the process's event hub once the engine and the policy runtime exist."""
    engine: AsyncEngine = app.state.engine
    hub = EventHub(engine, to_libpq_dsn(engine.url))
    app.state.event_hub = hub
    app.state.authz.shop_listeners.append(hub.policy_changed)
    await hub.start()
    try:
        yield
    finally:
        await hub.stop()

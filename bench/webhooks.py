"""Webhook throughput and latency: events committed through the outbox to a local receiver.

One scratch database (``bench._db``), one shop with one endpoint (``*``) pointing at a raw
asyncio HTTP receiver on 127.0.0.1 in this process, and one ``shopdesk serve`` process
(its dispatcher started by the lifespan, as in production) doing the fan-out and delivery.
Events are committed by this process through ``api.domain.events.outbox.emit`` as the API
role, one event per transaction (as a change makes them), and timed from ``COMMIT``
returning to the receiver reading the request (same clock, same process).

  1. burst: ``--events`` events committed as fast as ``--producers`` connections can;
     events/s = distinct events delivered / (last arrival - first commit);
  2. paced: ``--rate`` events/s for ``--seconds``; p50 / p99 / max commit-to-delivery.

Also measured: the rate-limit counter (one ``rate_limit_hit`` call on an autocommit
connection, what every integration-key request pays) against ``SELECT 1``.

Run: ``python -m bench.webhooks [--events 5000] [--rate 200] [--seconds 10]
[--database-url URL]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import asyncpg
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from api.db.shop_context import bind_shop
from api.db.urls import to_asyncpg_url
from api.domain.events.outbox import emit
from bench._db import scratch_database
from tests.integration.webhooks.receiver import Receiver
from tests.support.servers import free_port, wait_until_ready


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _seed(owner_dsn: str, receiver_url: str) -> uuid.UUID:
    shop_id = uuid.uuid4()
    conn = await asyncpg.connect(owner_dsn)
    try:
        await conn.execute("INSERT INTO shops (id, slug, name, timezone) "
                           "VALUES ($1, $2, 'Bench', 'Asia/Shanghai')", shop_id,
                           f"bench-{shop_id.hex[:10]}")
        async with conn.transaction():
            await conn.execute("SELECT set_config('app.shop_id', $1, true)", str(shop_id))
            await conn.execute(
                "INSERT INTO webhook_endpoints (shop_id, id, url, event_types, secret, fanout_seq)"
                " VALUES ($1, $2, $3, ARRAY['*'], $4, 0)", shop_id, uuid.uuid4(), receiver_url,
                secrets.token_bytes(32))
    finally:
        await conn.close()
    return shop_id


def _serve(db, data_dir: str) -> subprocess.Popen:  # type: ignore[no-untyped-def, type-arg]
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db.owner_url, "DATABASE_APP_URL": db.app_url,
           "SHOPDESK_JWT_KEYS": f"bench:{secrets.token_urlsafe(48)}",
           "SHOPDESK_LOG_LEVEL": "WARNING", "SHOPDESK_DATA_DIR": data_dir,
           "SHOPDESK_WEBHOOKS_ALLOW_PRIVATE": "1",
           "SHOPDESK_WEBHOOKS_DISPATCHER": os.environ.get("SHOPDESK_WEBHOOKS_DISPATCHER", "1")}
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--no-migrate", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, text=True,
        # A file, not a pipe: nobody reads it while the server runs, and a full pipe blocks.
        stderr=open(os.path.join(data_dir, "stderr.log"), "w"))
    wait_until_ready(f"http://127.0.0.1:{port}", process, timeout=90)
    return process


class Producer:
    def __init__(self, app_url: str, shop_id: uuid.UUID) -> None:
        self.engine = create_async_engine(to_asyncpg_url(app_url), pool_size=16)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.shop_id = shop_id
        self.committed: dict[str, float] = {}

    async def one(self, n: int) -> None:
        async with self.sessions() as session, session.begin():
            await bind_shop(session, self.shop_id)
            event = await emit(session, self.shop_id, "bench.ping", {"n": n})
        self.committed[str(event.id)] = time.time()


async def _until_delivered(receiver: Receiver, expected: set[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not expected <= {r.headers["webhook-id"] for r in receiver.received}:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {len(receiver.received)} of {len(expected)} arrived")
        await asyncio.sleep(0.05)


def _arrivals(receiver: Receiver) -> dict[str, float]:
    first: dict[str, float] = {}
    for item in receiver.received:
        first.setdefault(item.headers["webhook-id"], item.at)
    return first


async def _burst(producer: Producer, receiver: Receiver, events: int, producers: int) -> None:
    receiver.received.clear()
    producer.committed.clear()
    queue = iter(range(events))
    start = time.time()

    async def worker() -> None:
        for n in queue:
            await producer.one(n)

    await asyncio.gather(*[worker() for _ in range(producers)])
    committed_in = time.time() - start
    await _until_delivered(receiver, set(producer.committed), timeout=600)
    arrivals = _arrivals(receiver)
    span = max(arrivals.values()) - min(producer.committed.values())
    latencies = [arrivals[i] - t for i, t in producer.committed.items()]
    print(f"burst: {events} events committed in {committed_in:.2f} s "
          f"({events / committed_in:.0f}/s by {producers} producers); all delivered in "
          f"{span:.2f} s -> {events / span:.0f} events/s end to end; "
          f"commit->delivery p50 {_pct(latencies, .5) * 1000:.0f} ms, "
          f"p99 {_pct(latencies, .99) * 1000:.0f} ms (queueing included); "
          f"duplicates {len(receiver.received) - len(arrivals)}")


async def _paced(producer: Producer, receiver: Receiver, rate: float, seconds: float) -> None:
    receiver.received.clear()
    producer.committed.clear()
    total = int(rate * seconds)
    start = time.monotonic()
    tasks = []
    for n in range(total):
        delay = start + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(producer.one(n)))
    await asyncio.gather(*tasks)
    await _until_delivered(receiver, set(producer.committed), timeout=120)
    arrivals = _arrivals(receiver)
    latencies = [(arrivals[i] - t) * 1000 for i, t in producer.committed.items()]
    print(f"paced: {total} events at {rate:.0f}/s for {seconds:.0f} s; commit->delivery "
          f"p50 {statistics.median(latencies):.1f} ms, p99 {_pct(latencies, .99):.1f} ms, "
          f"max {max(latencies):.1f} ms")


async def _rate_limit_cost(app_url: str, shop_id: uuid.UUID, n: int = 2000) -> None:
    conn = await asyncpg.connect(app_url)
    try:
        async def timed(sql: str, *args: object) -> list[float]:
            out = []
            for _ in range(n):
                t = time.perf_counter()
                await conn.fetch(sql, *args)
                out.append((time.perf_counter() - t) * 1000)
            return out

        base = await timed("SELECT 1")
        hit = await timed("SELECT bucket, hits, max_hits, reset_seconds "
                          "FROM rate_limit_hit($1, $2, 60, 1000000, 1000000)",
                          shop_id, uuid.uuid4())
    finally:
        await conn.close()
    print(f"rate limit: one counter round trip p50 {statistics.median(hit):.3f} ms, "
          f"p99 {_pct(hit, .99):.3f} ms (SELECT 1: p50 {statistics.median(base):.3f} ms, "
          f"p99 {_pct(base, .99):.3f} ms) -> adds ~{statistics.median(hit) - statistics.median(base):.3f} ms "
          "per integration-key request")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--producers", type=int, default=8)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    async with scratch_database(args.database_url, "webhooks") as db, Receiver() as receiver:
        print(f"database: {db.source}; receiver {receiver.url}")
        shop_id = await _seed(db.owner_url, receiver.url)
        server = await asyncio.to_thread(_serve, db, tempfile.mkdtemp(prefix="shopdesk-bench-"))
        producer = Producer(db.app_url, shop_id)
        try:
            await producer.one(-1)  # warm-up: connections, the dispatcher's first pass
            await asyncio.sleep(1)
            await _burst(producer, receiver, args.events, args.producers)
            await _paced(producer, receiver, args.rate, args.seconds)
            await _rate_limit_cost(db.app_url, shop_id)
        finally:
            server.terminate()
            server.wait(timeout=20)
            await producer.engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())

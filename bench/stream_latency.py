"""p99 time from an event's commit to a connected reader receiving it, 200 streams open.

One scratch database (``bench._db``), seeded like ``bench.throughput`` (a shop and its
founder). ``shopdesk serve`` runs in its own process (production settings, one uvicorn
worker). This process opens ``--streams`` SSE connections to
``GET /api/v1/shops/{shop}/events/stream`` as the founder, then commits events into the
shop's log in a loop, the way the outbox does (counter row, insert, NOTIFY, as the API's
role under RLS), at ``--rate`` events/s for ``--duration`` seconds. For each event and each
stream it records the time from ``COMMIT`` returning to the frame arriving (same clock, same
process), then prints p50/p90/p99/max, and counts events lost or delivered twice.

The reader side runs in one Python process on a shared machine, so the figures include its
own scheduling delay: they are an upper bound on what the server adds.

Run: ``python -m bench.stream_latency [--streams 200] [--rate 20] [--duration 10]
[--database-url URL]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

from bench._db import scratch_database
from bench.throughput import (
    FOUNDER_EMAIL,
    FOUNDER_PASSWORD,
    _cpu_seconds,
    _free_port,
    _server,
    _shopdesk_env,
    _wait_ready,
    seed,
)

__all__ = ["main"]

_NEXT_SEQ = ("INSERT INTO shop_event_counters AS c (shop_id, last_seq) VALUES ($1, 1) "
             "ON CONFLICT (shop_id) DO UPDATE SET last_seq = c.last_seq + 1 RETURNING c.last_seq")
_INSERT = ("INSERT INTO events (shop_id, seq, id, type, permission, data) "
           "VALUES ($1, $2, $3, 'message.created', 'cs:workspace', $4::jsonb)")


_ID = re.compile(rb"(?:^|\n)id: (\d+)\n")


async def _reader(port: int, path: str, token: str, arrivals: dict[int, list[float]],
                  ready: asyncio.Event, counter: list[int], total: int) -> None:
    """A deliberately thin SSE client (raw socket, one regex), so that 200 of them in one
    process measure the server rather than the client library."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}"
                     "\r\nAccept: text/event-stream\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        if b" 200 " not in head.split(b"\r\n", 1)[0]:
            raise RuntimeError(head.decode(errors="replace") + (await reader.read(500)).decode())
        buffer = b""
        while b": connected" not in buffer:  # subscribed from here on
            buffer += await reader.read(65536)
        counter[0] += 1
        if counter[0] == total:
            ready.set()
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                return
            now = time.perf_counter()
            buffer += chunk
            end = 0
            for match in _ID.finditer(buffer):
                arrivals.setdefault(int(match.group(1)), []).append(now)
                end = match.end()
            buffer = buffer[end:][-200:]
    finally:
        writer.close()


async def _emit(app_dsn: str, shop_id: uuid.UUID, rate: float, duration: float
                ) -> dict[int, float]:
    committed: dict[int, float] = {}
    conn = await asyncpg.connect(app_dsn)
    try:
        interval = 1.0 / rate
        deadline = time.perf_counter() + duration
        next_at = time.perf_counter()
        while time.perf_counter() < deadline:
            async with conn.transaction():
                await conn.execute("SELECT set_config('app.shop_id', $1, true)", str(shop_id))
                seq = await conn.fetchval(_NEXT_SEQ, shop_id)
                await conn.execute(_INSERT, shop_id, seq, uuid.uuid4(), json.dumps({"n": seq}))
                await conn.execute("SELECT pg_notify('shopdesk_events', $1)", f"{shop_id}:{seq}")
            committed[seq] = time.perf_counter()
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    finally:
        await conn.close()
    return committed


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000)[int(q * 10) - 1] if len(values) > 1 else values[0]


async def _run(args: argparse.Namespace, work: Path) -> int:
    async with scratch_database(args.database_url, "stream") as db:
        seeded = await seed(db.owner_url, 2)
        env = _shopdesk_env(db, work, args)
        port = _free_port()
        shopdesk = str(Path(sys.executable).parent / "shopdesk")
        with _server([shopdesk, "serve", "--host", "127.0.0.1", "--port", str(port),
                      "--no-migrate"], env, work / "shopdesk.log") as proc:
            base = f"http://127.0.0.1:{port}"
            _wait_ready(proc, f"{base}/health/ready", work / "shopdesk.log")
            login = httpx.post(f"{base}/api/v1/auth/login", json={
                "email": FOUNDER_EMAIL, "password": FOUNDER_PASSWORD, "client": "web"})
            login.raise_for_status()
            token = login.json()["access_token"]
            path = f"/api/v1/shops/{seeded.shop_id}/events/stream"
            arrivals: dict[int, list[float]] = {}
            ready, counter = asyncio.Event(), [0]
            readers = [asyncio.create_task(_reader(port, path, token, arrivals, ready, counter,
                                                   args.streams))
                       for _ in range(args.streams)]
            opened = time.perf_counter()
            await asyncio.wait_for(ready.wait(), 120)
            print(f"streams: {args.streams} connected in {time.perf_counter() - opened:.1f} s")
            cpu_before = _cpu_seconds(proc.pid)
            committed = await _emit(db.app_url, seeded.shop_id, args.rate, args.duration)
            await asyncio.sleep(2.0)  # let the last events arrive
            server_cpu = _cpu_seconds(proc.pid) - cpu_before
            for task in readers:
                task.cancel()
            for task in readers:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
    latencies = [max(0.0, t - committed[seq]) * 1000
                 for seq, times in arrivals.items() if seq in committed for t in times]
    expected = len(committed) * args.streams
    duplicates = sum(max(0, len(t) - args.streams) for t in arrivals.values())
    lost = expected - (len(latencies) - duplicates)
    print(f"database: {db.source}")
    print(f"events: {len(committed)} committed at {args.rate:g}/s over {args.duration:g} s, "
          f"{args.streams} streams -> {expected} deliveries expected, {len(latencies)} received "
          f"(lost {lost}, duplicated {duplicates}); {os.cpu_count()} CPUs shared by server, "
          "PostgreSQL, emitter and readers")
    print(f"server CPU: {server_cpu:.2f} s over {args.duration + 2:g} s "
          f"({server_cpu / (args.duration + 2):.0%} of one core)")
    if latencies:
        print(f"commit -> reader latency ms: p50 {_pct(latencies, 50):.1f}  "
              f"p90 {_pct(latencies, 90):.1f}  p99 {_pct(latencies, 99):.1f}  "
              f"max {max(latencies):.1f}")
    return 0 if lost == 0 and duplicates == 0 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stream_latency", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                        help="a server to create a scratch database on (default: embedded)")
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0, help="events committed per second")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of emitting")
    parser.add_argument("--log-level", default="WARNING", help="ShopDesk's SHOPDESK_LOG_LEVEL")
    args = parser.parse_args(argv)
    if not (1 <= args.streams <= 1000 and 0 < args.rate <= 500 and 0 < args.duration <= 60):
        parser.error("keep runs bounded: 1..1000 streams, rate ≤ 500/s, duration ≤ 60 s")
    work = Path(tempfile.mkdtemp(prefix="shopdesk-bench-stream-"))
    return asyncio.run(_run(args, work))


if __name__ == "__main__":
    raise SystemExit(main())

"""Inbound ingestion: messages/s through ``POST /messages/inbound`` against a bare baseline.

One scratch database (``bench._db``), one shop with its founder (``bench.throughput.seed``).
Two servers, each its own uvicorn process with one worker on 127.0.0.1:

  (a) ``bench.ingest:create_bare_app``: Litestar + asyncpg as the API role doing the same
      writes per message in one transaction: shop binding, duplicate check, identity upsert,
      the conversation's row lock (or its creation), the message INSERT, the conversation's
      counters, one event in the shop's log (+ NOTIFY) and one audit entry;
  (b) ``shopdesk serve`` (production settings), an integration key with
      ``messages:ingest``, and ``--rules`` keyword auto-reply rules active (none matches the
      bench text, so every message runs the rule lookup and stores one message).

A closed-loop load generator in a separate process posts unique messages (unique
``channel_message_id``) from ``--customers`` customers; each connection writes to its own
customers, so conversations do not queue on one row lock, while all share the one shop's
event and audit chains (as a busy shop does). After each run the stored message count is
checked against the 200 answers. Prints messages/s, p50, p99 and the ratio b/a.

Run: ``python -m bench.ingest [--duration 10] [--concurrency 16] [--database-url URL]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from litestar import Litestar, get, post
from litestar.datastructures import State

from bench._db import BenchDatabase, scratch_database
from bench.loadgen import percentile
from bench.throughput import (
    FOUNDER_EMAIL,
    FOUNDER_PASSWORD,
    Seeded,
    _cpu_seconds,
    _free_port,
    _server,
    _shopdesk_env,
    _wait_ready,
    seed,
)

__all__ = ["create_bare_app", "main"]

ROOT = Path(__file__).resolve().parents[1]
TEXT = "请问这件衬衫有M码吗? do you ship to Hangzhou?"

# -- (a) the baseline ------------------------------------------------------------------------

_SQL = {
    "bind": "SELECT set_config('app.shop_id', $1, true)",
    "done": "SELECT id FROM messages WHERE shop_id = $1 AND channel = $2 AND channel_message_id = $3",
    "find": "SELECT customer_id FROM customer_identities WHERE shop_id = $1 AND channel = $2 "
            "AND external_id = $3",
    "create": "WITH i AS (INSERT INTO customer_identities (shop_id, channel, external_id, "
              "customer_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING customer_id), "
              "c AS (INSERT INTO customers (shop_id, id) SELECT $1, customer_id FROM i RETURNING id) "
              "SELECT id FROM c",
    "latest": "SELECT id, last_message_seq, cycle FROM conversations WHERE shop_id = $1 "
              "AND customer_id = $2 AND channel = $3 ORDER BY created_at DESC, id DESC LIMIT 1 "
              "FOR UPDATE",
    "open": "INSERT INTO conversations (shop_id, id, customer_id, channel) VALUES ($1, $2, $3, $4) "
            "RETURNING id, last_message_seq, cycle",
    "message": "INSERT INTO messages (shop_id, id, conversation_id, seq, cycle, channel, "
               "author_kind, body, attachments, channel_message_id, created_at) VALUES "
               "($1, $2, $3, $4, $5, $6, 'customer', $7, '[]', $8, clock_timestamp()) "
               "ON CONFLICT (shop_id, channel, channel_message_id) WHERE channel_message_id "
               "IS NOT NULL DO NOTHING RETURNING created_at",
    "after": "UPDATE conversations SET last_message_seq = $3, last_customer_message_at = $4, "
             "waiting_since = coalesce(waiting_since, $4), updated_at = $4 "
             "WHERE shop_id = $1 AND id = $2",
    "seq": "INSERT INTO shop_event_counters AS c (shop_id, last_seq) VALUES ($1, 1) ON CONFLICT "
           "(shop_id) DO UPDATE SET last_seq = c.last_seq + 1 RETURNING c.last_seq",
    "event": "INSERT INTO events (shop_id, seq, id, type, permission, data) VALUES "
             "($1, $2, $3, 'message.created', 'cs:workspace', $4::jsonb)",
    "notify": "SELECT pg_notify('shopdesk_events', $1)",
    "audit": "INSERT INTO audit_log (shop_id, seq, actor_id, client, action, outcome, target, "
             "details, prev_hash, hash) VALUES ($1, 0, $2, 'integration_key', 'message.inbound', "
             "'success', $3, $4::jsonb, '', '')",
}


@post("/shops/{shop_id:uuid}/messages/inbound", status_code=200)
async def bare_inbound(shop_id: uuid.UUID, data: dict[str, Any], state: State) -> dict[str, Any]:
    pool: asyncpg.Pool = state.pool
    channel, external, cmid = data["channel"], data["customer_external_id"], data["channel_message_id"]
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(_SQL["bind"], str(shop_id))
        if (done := await conn.fetchval(_SQL["done"], shop_id, channel, cmid)) is not None:
            return {"message_id": str(done)}
        customer = await conn.fetchval(_SQL["find"], shop_id, channel, external)
        if customer is None:
            customer = (await conn.fetchval(_SQL["create"], shop_id, channel, external, uuid.uuid4())
                        or await conn.fetchval(_SQL["find"], shop_id, channel, external))
        conv = await conn.fetchrow(_SQL["latest"], shop_id, customer, channel)
        if conv is None:
            conv = await conn.fetchrow(_SQL["open"], shop_id, uuid.uuid4(), customer, channel)
        message_id = uuid.uuid4()
        seq = conv["last_message_seq"] + 1
        at = await conn.fetchval(_SQL["message"], shop_id, message_id, conv["id"], seq,
                                 conv["cycle"], channel, data.get("text", ""), cmid)
        await conn.execute(_SQL["after"], shop_id, conv["id"], seq, at)
        event_seq = await conn.fetchval(_SQL["seq"], shop_id)
        await conn.execute(_SQL["event"], shop_id, event_seq, uuid.uuid4(), json.dumps(
            {"conversation_id": str(conv["id"]), "message_id": str(message_id), "seq": seq}))
        await conn.execute(_SQL["notify"], f"{shop_id}:{event_seq}")
        await conn.execute(_SQL["audit"], shop_id, state.key_id, str(message_id),
                           json.dumps({"conversation_id": str(conv["id"]), "channel": channel}))
    return {"message_id": str(message_id), "conversation_id": str(conv["id"]), "seq": seq}


@get("/ready")
async def ready() -> dict[str, bool]:
    return {"ready": True}


def create_bare_app() -> Litestar:
    dsn = os.environ["BENCH_APP_DSN"]

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        app.state.pool = await asyncpg.create_pool(dsn, min_size=10, max_size=20)
        app.state.key_id = uuid.uuid4()
        try:
            yield
        finally:
            await app.state.pool.close()

    return Litestar(route_handlers=[bare_inbound, ready], lifespan=[lifespan], debug=False)


# -- the load generator (its own process) ----------------------------------------------------

async def _worker(port: int, path: str, auth: str, worker: int, customers: int, run_id: str,
                  measure_from: float, stop_at: float, latencies: list[float],
                  statuses: Counter[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
    if auth:
        head += f"Authorization: {auth}\r\n"
    sent = 0
    try:
        while (started := time.perf_counter()) < stop_at:
            body = json.dumps({"channel": "web", "text": TEXT,
                               "customer_external_id": f"w{worker}-c{sent % customers}",
                               "channel_message_id": f"{run_id}-{worker}-{sent}"}).encode()
            sent += 1
            writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
            response = await reader.readuntil(b"\r\n\r\n")
            lower = response.lower()
            at = lower.find(b"\r\ncontent-length:")
            await reader.readexactly(int(lower[at + 17:lower.find(b"\r\n", at + 2)]))
            done = time.perf_counter()
            if started >= measure_from and done <= stop_at:
                latencies.append(done - started)
                statuses[int(response[9:12])] += 1
    finally:
        writer.close()


async def _generate(args: argparse.Namespace) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    now = time.perf_counter()
    measure_from, stop_at = now + args.warmup, now + args.warmup + args.duration
    per_worker = max(1, args.customers // args.concurrency)
    await asyncio.wait_for(asyncio.gather(*(
        _worker(args.port, args.path, args.auth, w, per_worker, args.run_id, measure_from,
                stop_at, latencies, statuses) for w in range(args.concurrency))),
        timeout=args.warmup + args.duration + 30)
    latencies.sort()
    # Only stored messages count: a refusal (429, 5xx) is no throughput.
    return {"rps": statuses.get(200, 0) / args.duration, "p50_ms": percentile(latencies, 50) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000,
            "statuses": {str(k): v for k, v in sorted(statuses.items())}}


def _load(port: int, path: str, auth: str, args: argparse.Namespace) -> dict[str, Any]:
    import subprocess

    cmd = [sys.executable, "-m", "bench.ingest", "--loadgen", "--port", str(port), "--path", path,
           "--auth", auth, "--run-id", uuid.uuid4().hex[:12], "--concurrency",
           str(args.concurrency), "--warmup", str(args.warmup), "--duration", str(args.duration),
           "--customers", str(args.customers)]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True,
                         timeout=args.warmup + args.duration + 60)
    return json.loads(out.stdout)


# -- the run -----------------------------------------------------------------------------------

async def _messages(db: BenchDatabase, shop_id: uuid.UUID) -> int:
    conn = await asyncpg.connect(db.owner_url)
    try:
        return int(await conn.fetchval(
            "SELECT count(*) FROM messages WHERE shop_id = $1 AND author_kind = 'customer'", shop_id))
    finally:
        await conn.close()


def _prepare_shopdesk(base: str, seeded: Seeded, rules: int) -> str:
    login = httpx.post(f"{base}/api/v1/auth/login", json={
        "email": FOUNDER_EMAIL, "password": FOUNDER_PASSWORD, "client": "web"})
    login.raise_for_status()
    staff = {"Authorization": f"Bearer {login.json()['access_token']}"}
    shop = f"{base}/api/v1/shops/{seeded.shop_id}"
    for i in range(rules):
        httpx.post(f"{shop}/auto-replies", headers=staff, json={
            "name": f"rule {i}", "match": "contains" if i % 2 else "exact",
            "keywords": [f"关键词{i}", f"keyword-{i}"],
            "content": {"kind": "text", "text": f"自动回复 {i}"}}).raise_for_status()
    key = httpx.post(f"{shop}/integration-keys", headers=staff,
                     json={"name": "bench", "scopes": ["messages:ingest"]})
    key.raise_for_status()
    return f"Bearer {key.json()['token']}"


def run(db: BenchDatabase, seeded: Seeded, args: argparse.Namespace, work: Path,
        loop: asyncio.AbstractEventLoop) -> int:
    path = f"/shops/{seeded.shop_id}/messages/inbound"
    targets: list[dict[str, Any]] = []
    with contextlib.ExitStack() as stack:
        port = _free_port()
        proc = stack.enter_context(_server(
            [sys.executable, "-m", "uvicorn", "bench.ingest:create_bare_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--no-access-log",
             "--log-level", "warning"], {"BENCH_APP_DSN": db.app_url}, work / "bare.log"))
        _wait_ready(proc, f"http://127.0.0.1:{port}/ready", work / "bare.log")
        targets.append({"label": "(a) bare Litestar + asyncpg", "port": port, "path": path,
                        "auth": "", "pid": proc.pid, "runs": []})
        sd_port = _free_port()
        shopdesk = str(Path(sys.executable).parent / "shopdesk")
        sd = stack.enter_context(_server(
            [shopdesk, "serve", "--host", "127.0.0.1", "--port", str(sd_port), "--no-migrate"],
            {**_shopdesk_env(db, work, args),
             # The per-key limit (600/min) would refuse most of the load: the limiter still
             # runs on every request (its cost is measured), it just refuses nothing.
             "SHOPDESK_RATE_LIMIT_PER_KEY": "1000000", "SHOPDESK_RATE_LIMIT_PER_SHOP": "1000000"},
            work / "shopdesk.log"))
        _wait_ready(sd, f"http://127.0.0.1:{sd_port}/health/ready", work / "shopdesk.log")
        auth = _prepare_shopdesk(f"http://127.0.0.1:{sd_port}", seeded, args.rules)
        targets.append({"label": f"(b) ShopDesk inbound, {args.rules} rules", "port": sd_port,
                        "path": f"/api/v1{path}", "auth": auth, "pid": sd.pid, "runs": []})
        for _ in range(args.rounds):
            for t in targets:
                before = loop.run_until_complete(_messages(db, seeded.shop_id))
                cpu = _cpu_seconds(t["pid"])
                result = _load(t["port"], t["path"], t["auth"], args)
                result["cpu_ms"] = ((_cpu_seconds(t["pid"]) - cpu) * 1000
                                    / max(1.0, result["rps"] * (args.duration + args.warmup)))
                stored = loop.run_until_complete(_messages(db, seeded.shop_id)) - before
                result["stored"], result["ok"] = stored, result["statuses"].get("200", 0)
                t["runs"].append(result)
                if set(result["statuses"]) - {"200"}:  # say why, from the server's own log
                    log = work / ("bare.log" if t is targets[0] else "shopdesk.log")
                    print(f"{t['label']}: {result['statuses']}; log tail:\n"
                          + log.read_text(errors="replace")[-1500:])
    _report(targets, args, db)
    return 0


def _report(targets: list[dict[str, Any]], args: argparse.Namespace, db: BenchDatabase) -> None:
    med = statistics.median
    print(f"database: {db.source}")
    print(f"load: {args.concurrency} keep-alive connections, {args.customers} customers, "
          f"{args.warmup:g} s warm-up + {args.duration:g} s measured, {args.rounds} round(s); "
          f"{os.cpu_count()} CPUs shared by servers, PostgreSQL and load generator")
    print(f"{'':36} {'msg/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms/msg':>10}  per round")
    for t in targets:
        runs = t["runs"]
        non_200 = sum(n for r in runs for s, n in r["statuses"].items() if s != "200")
        print(f"{t['label']:36} {med([r['rps'] for r in runs]):7.0f} "
              f"{med([r['p50_ms'] for r in runs]):7.1f} {med([r['p99_ms'] for r in runs]):7.1f} "
              f"{med([r['cpu_ms'] for r in runs]):10.2f}  "
              + " ".join(f"{r['rps']:.0f}" for r in runs)
              + (f"  non-200: {non_200}" if non_200 else ""))
        # Every measured 200 stored a message (warm-up ones too: stored ≥ measured).
        assert all(r["stored"] >= r["ok"] for r in runs), runs
    ratios = [b["rps"] / a["rps"] for a, b in zip(targets[0]["runs"], targets[1]["runs"],
                                                   strict=True) if a["rps"]]
    print(f"ratio (b)/(a) msg/s: {med(ratios):.2f}  (per round: "
          + ", ".join(f"{r:.2f}" for r in ratios) + ")")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--customers", type=int, default=400)
    parser.add_argument("--rules", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--log-level", default="WARNING")
    parser.add_argument("--loadgen", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--auth", default="", help=argparse.SUPPRESS)
    parser.add_argument("--run-id", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not (0 < args.duration <= 60 and 0 <= args.warmup <= 30 and 1 <= args.concurrency <= 128
            and 1 <= args.rounds <= 5 and 0 <= args.rules <= 200 and 1 <= args.customers <= 10**5):
        parser.error("keep runs bounded (duration ≤ 60 s, concurrency ≤ 128, rounds ≤ 5)")
    if args.loadgen:
        json.dump(asyncio.run(_generate(args)), sys.stdout)
        return 0
    work = Path(tempfile.mkdtemp(prefix="shopdesk-bench-ingest-"))
    loop = asyncio.new_event_loop()
    stack = contextlib.AsyncExitStack()
    try:
        db = loop.run_until_complete(stack.enter_async_context(
            scratch_database(args.database_url, "ingest")))
        seeded = loop.run_until_complete(seed(db.owner_url, 2))
        return run(db, seeded, args, work, loop)
    finally:
        loop.run_until_complete(stack.aclose())
        loop.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

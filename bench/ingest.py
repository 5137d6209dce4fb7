"""Inbound ingestion: messages/s through ``POST /messages/inbound`` against a bare baseline.

One scratch database (``bench._db``), one shop with its founder (``bench.throughput.seed``).
Two servers, each its own uvicorn process with one worker on 127.0.0.1:

  (a) ``bench.ingest:create_bare_app``: Litestar + asyncpg as the API role running the same
      SQL as (b), statement for statement and round trip for round trip (the texts come from
      the modules that run them): the rate-limit hit, then one transaction with the shop
      binding, the identity, the conversation's row lock, the message INSERT, the SLA cycle
      and clock locks, the conversation's counters, the auto-reply decision, the assignment
      mode, and the event with its audit entry and NOTIFY;
  (b) ``shopdesk serve`` (production settings), an integration key with
      ``messages:ingest``, and ``--rules`` keyword auto-reply rules active (none matches the
      bench text, so every message runs the rule lookup and stores one message).

Before anything is measured every customer's conversation is opened through (b), so both
measure the steady state, a message into an open conversation (an FRT clock running), on
the same rows. A closed-loop load generator in a separate process posts unique messages
(unique ``channel_message_id``) from ``--customers`` customers; each connection writes to its own
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

from api.db.raw import Sql
from api.db.reader import decode_json_columns
from api.db.writer import BEGIN_WRITE_SQL
from api.domain.audit.context import AuditContext
from api.domain.audit.services import entry_params
from api.domain.auto_replies import engine as auto_reply_engine
from api.domain.auto_replies.content import normalize
from api.domain.conversations import assignment, inbound, messages
from api.domain.customers import services as customers
from api.domain.events import outbox
from api.domain.rate_limits import guard as rate_limits
from api.domain.sla import clocks, subscriptions
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
# The same statements ShopDesk runs for a message into an open conversation, in the same
# order and round trips, on the same pool settings, taken from the modules that run them (so
# the two cannot drift): the rate-limit hit on an autocommit connection, then one
# transaction: BEGIN with the shop binding, the identity, the conversation's row lock, the
# message, the SLA cycle and clock locks, the conversation's counters, the auto-reply
# decision, the assignment mode, and the event with its audit entry (+ NOTIFY) in one
# statement; COMMIT. What it leaves out is everything that is not SQL: authentication, the
# permission guard, validation, signals, the unit of work.

_LOCK_CLOCKS = clocks.lock_clocks_sql(True, True)


def _args(statement: Sql, **params: Any) -> list[Any]:
    return [params[name] for name in statement.names]


async def _fetchrow(conn: asyncpg.Connection, statement: Sql, **params: Any) -> Any:
    return await conn.fetchrow(statement.sql, *_args(statement, **params))


@post("/shops/{shop_id:uuid}/messages/inbound", status_code=200)
async def bare_inbound(shop_id: uuid.UUID, data: dict[str, Any], state: State) -> dict[str, Any]:
    channel, external, cmid = data["channel"], data["customer_external_id"], data["channel_message_id"]
    body = data.get("text", "")
    async with state.pool.acquire() as conn:
        hits = await conn.fetch(rate_limits._HIT, shop_id, state.key_id, 60, 1_000_000, 1_000_000)
    if any(r["hits"] > r["max_hits"] for r in hits):
        raise RuntimeError("rate limited")
    async with state.pool.acquire() as conn:
        await conn.execute(BEGIN_WRITE_SQL.format(shop_id=shop_id))
        customer = await _fetchrow(conn, customers._FIND, shop_id=shop_id, channel=channel,
                                   external_id=external)
        conv = await _fetchrow(conn, inbound._LATEST, shop_id=shop_id, customer_id=customer["id"],
                               channel=channel)
        if conv is None or conv["status"] == "resolved":
            raise RuntimeError("the bench primes every conversation before it measures")
        message_id = uuid.uuid4()
        row = await _fetchrow(conn, messages._INSERT, shop_id=shop_id, id=message_id,
                              conversation_id=conv["id"], seq=conv["last_message_seq"] + 1,
                              cycle=conv["cycle"], channel=channel, author_kind="customer",
                              visibility="public", author_id=None, body=body,
                              attachments="[]", channel_message_id=cmid)
        await _fetchrow(conn, subscriptions._LOCK_CYCLE, shop_id=shop_id, cid=conv["id"],
                        cycle=conv["cycle"])
        await conn.fetch(_LOCK_CLOCKS.sql, *_args(
            _LOCK_CLOCKS, shop_id=shop_id, cid=conv["id"], states=["running", "paused"],
            cycle=conv["cycle"], metrics=["frt", "nrt"]))
        conv = await _fetchrow(conn, inbound._AFTER_CUSTOMER, shop_id=shop_id, id=conv["id"],
                               seq=row["seq"], at=row["created_at"])
        await _fetchrow(conn, auto_reply_engine._DECIDE, shop_id=shop_id, norm=normalize(body),
                        conversation_id=conv["id"], customer_id=customer["id"])
        await _fetchrow(conn, assignment._MODE, shop_id=shop_id)
        audit = entry_params(AuditContext(state.actor, "integration_key", "127.0.0.1", None),
                             shop_id=shop_id, action="message.inbound", target=str(message_id),
                             details={"conversation_id": str(conv["id"]), "channel": channel,
                                      "channel_message_id": cmid})
        event = {"conversation_id": str(conv["id"]), "message_id": str(message_id),
                 "seq": row["seq"], "author_kind": "customer", "visibility": "public",
                 "author_id": None, "channel": channel, "body": body, "attachments": [],
                 "created_at": row["created_at"].isoformat()}
        await _fetchrow(conn, outbox._EMIT_AUDITED, **audit, shop_id=shop_id, id=uuid.uuid4(),
                        type="message.created", permission="cs:workspace", subject=None,
                        data=json.dumps(event, separators=(",", ":")),
                        channel=outbox.EVENTS_CHANNEL, prefix=f"{shop_id}:")
        await conn.execute("COMMIT")
    return {"message_id": str(message_id), "conversation_id": str(conv["id"]),
            "customer_id": str(customer["id"]), "seq": row["seq"], "cycle": conv["cycle"],
            "created_at": row["created_at"].isoformat()}


@get("/ready")
async def ready() -> dict[str, bool]:
    return {"ready": True}


def create_bare_app() -> Litestar:
    dsn = os.environ["BENCH_APP_DSN"]

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        # ShopDesk's pool: the same codecs, the same reset on release.
        app.state.pool = await asyncpg.create_pool(dsn, min_size=10, max_size=20,
                                                   init=decode_json_columns)
        app.state.key_id = uuid.uuid4()
        app.state.actor = str(app.state.key_id)
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


async def _prime(url: str, auth: str, args: argparse.Namespace) -> None:
    """Open every customer's conversation through ShopDesk before anything is measured.

    Both targets then measure the same thing, a message into an open conversation, against
    the same rows: the conversation ShopDesk opened, its SLA cycle and its running clock.
    """
    per_worker = max(1, args.customers // args.concurrency)
    gate = asyncio.Semaphore(args.concurrency)
    async with httpx.AsyncClient(headers={"Authorization": auth}, timeout=30) as client:
        async def one(worker: int, customer: int) -> None:
            async with gate:
                answer = await client.post(url, json={
                    "channel": "web", "text": TEXT, "customer_external_id": f"w{worker}-c{customer}",
                    "channel_message_id": f"prime-{worker}-{customer}"})
                answer.raise_for_status()
        await asyncio.gather(*(one(w, c) for w in range(args.concurrency)
                               for c in range(per_worker)))


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
        loop.run_until_complete(_prime(f"http://127.0.0.1:{sd_port}/api/v1{path}", auth, args))
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
    parser.add_argument("--log-level", default="INFO", help="ShopDesk's SHOPDESK_LOG_LEVEL")
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

"""Requests/s and latency of ShopDesk's hot reads against a bare Litestar + asyncpg baseline.

The hot reads are what staff poll all day: the member list, the waiting queue and a
conversation's messages. One run, one scratch database (see ``bench._db``), seeded as the
owner with a shop of ``--members`` members, a second shop sharing some agents with it, a
founder with a known password, 60 waiting conversations and one conversation of 60
messages. Then, each in its own uvicorn process on 127.0.0.1 with one worker:

  (a) ``bench.bare_app``: the same SQL (imported from ShopDesk's services) and the same
      round trips through Litestar + asyncpg as the API role, one read-only transaction
      bound with ``set_config('app.shop_id')`` per request (RLS applies);
  (b) ``shopdesk serve`` (production settings: JSON logs, a configured signing key), the
      founder's bearer token: ``GET /api/v1/shops/{shop_id}/members``, ``.../conversations/
      queue`` and ``.../conversations/{id}/messages``.

Both get the same closed-loop load from ``bench.loadgen`` in a separate process: warm-up,
then a fixed measured window, the targets alternating round by round. Prints requests/s,
p50 and p99 for each and the ratio b/a per read.
``--profile`` adds a third, unmeasured pass with py-spy attached to (b) and prints where
its time goes.

Run: ``python -m bench.throughput [--duration 10] [--concurrency 32] [--database-url URL]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

from api.auth.passwords import hash_password
from bench._db import BenchDatabase, scratch_database
from bench.profile import summarise_raw_profile

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[1]
FOUNDER_EMAIL = "founder@bench.shopdesk.test"
FOUNDER_PASSWORD = "bench-founder-password"
TARGET_RATIO = 0.6


@dataclass(frozen=True, slots=True)
class Seeded:
    shop_id: uuid.UUID
    other_shop_id: uuid.UUID
    founder_id: uuid.UUID
    members: int
    thread_id: uuid.UUID  # the conversation whose messages are read


# -- seeding -------------------------------------------------------------------------------

def _roles(count: int) -> list[str]:
    """Roles for ``count`` non-founder members: a realistic mix, mostly agents."""
    mix = ["agent"] * 14 + ["admin"] * 3 + ["verifier"] * 2 + ["senior_admin"]
    return [mix[i % len(mix)] for i in range(count)]


async def seed(owner_dsn: str, members: int) -> Seeded:
    """Two shops and their staff, inserted as the owner, each shop in its own RLS scope."""
    shop_a, shop_b = uuid.uuid4(), uuid.uuid4()
    founder = uuid.uuid4()
    staff_a = [uuid.uuid4() for _ in range(members - 1)]
    founder_b = uuid.uuid4()
    staff_b = [uuid.uuid4() for _ in range(10)] + staff_a[:10]  # firm agents serve both
    start = datetime.now(UTC) - timedelta(days=30)
    users = [(founder, FOUNDER_EMAIL, "Bench Founder", hash_password(FOUNDER_PASSWORD))]
    users += [(u, f"staff-{i}@bench.shopdesk.test", f"Staff {i}", None)
              for i, u in enumerate([*staff_a, founder_b, *staff_b[:10]])]
    conn = await asyncpg.connect(owner_dsn)
    try:
        async with conn.transaction():
            await conn.executemany(
                "INSERT INTO users (id, email, display_name, password_hash) VALUES ($1, $2, $3, $4)",
                users)
            await conn.executemany(
                "INSERT INTO shops (id, slug, name, timezone) VALUES ($1, $2, $3, 'Asia/Shanghai')",
                [(shop_a, "bench-shop", "Bench Shop"), (shop_b, "bench-other", "Other Shop")])
            for shop, owner, staff in ((shop_a, founder, staff_a), (shop_b, founder_b, staff_b)):
                # FORCE ROW LEVEL SECURITY binds a non-superuser owner too: scope the writes.
                await conn.execute("SELECT set_config('app.shop_id', $1, true)", str(shop))
                rows = [(shop, owner, "founder", start)]
                rows += [(shop, user, role, start + timedelta(minutes=i + 1))
                         for i, (user, role) in enumerate(zip(staff, _roles(len(staff)), strict=True))]
                await conn.executemany(
                    "INSERT INTO shop_members (shop_id, user_id, role, created_at) "
                    "VALUES ($1, $2, $3, $4)", rows)
            thread = await _seed_conversations(conn, shop_a, founder)
    finally:
        await conn.close()
    return Seeded(shop_a, shop_b, founder, members, thread)


async def _seed_conversations(conn: asyncpg.Connection, shop_id: uuid.UUID,
                              founder: uuid.UUID) -> uuid.UUID:
    """60 waiting conversations (the queue) and one of 60 messages (the thread), bound."""
    await conn.execute("SELECT set_config('app.shop_id', $1, true)", str(shop_id))
    await conn.execute(
        "INSERT INTO customers (shop_id, id, display_name) "
        "SELECT $1, gen_random_uuid(), 'Buyer ' || n FROM generate_series(1, 61) n", shop_id)
    await conn.execute(
        "INSERT INTO conversations (shop_id, id, customer_id, channel, status, created_at, "
        "cycle_started_at, updated_at, last_message_seq, last_customer_message_at, "
        "waiting_since) "
        "SELECT $1, gen_random_uuid(), c.id, 'web', 'open', t, t, t, 1, t, t "
        "FROM (SELECT id, now() - make_interval(mins => row_number() OVER ()::int) AS t "
        "FROM customers WHERE shop_id = $1 LIMIT 60) c", shop_id)
    customer = await conn.fetchval(
        "SELECT id FROM customers WHERE shop_id = $1 AND id NOT IN "
        "(SELECT customer_id FROM conversations WHERE shop_id = $1)", shop_id)
    thread = uuid.uuid4()
    await conn.execute(
        "INSERT INTO conversations (shop_id, id, customer_id, channel, status, assignee_id, "
        "last_message_seq) VALUES ($1, $2, $3, 'web', 'open', $4, 60)",
        shop_id, thread, customer, founder)
    await conn.execute(
        "INSERT INTO messages (shop_id, id, conversation_id, seq, cycle, channel, author_kind, "
        "author_id, body, attachments, created_at) "
        "SELECT $1, gen_random_uuid(), $2, n, 1, 'web', "
        "CASE WHEN n % 2 = 0 THEN 'staff' ELSE 'customer' END, "
        "CASE WHEN n % 2 = 0 THEN $3::uuid END, 'Message number ' || n || ' about the order', "
        "CASE WHEN n % 10 = 0 THEN '[{\"url\": \"https://img.example/p.png\"}]'::jsonb "
        "ELSE '[]'::jsonb END, now() - make_interval(mins => 60 - n) "
        "FROM generate_series(1, 60) n", shop_id, thread, founder)
    await conn.execute("ANALYZE customers; ANALYZE conversations; ANALYZE messages")
    return thread


# -- processes -----------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _server(cmd: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server process, logging to a file; stop it (by its pid) afterwards."""
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, stdout=out,
                                stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def _wait_ready(proc: subprocess.Popen[bytes], url: str, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}; log:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"server not ready after {timeout}s; log:\n{log.read_text()[-3000:]}")


def _load(port: int, path: str, headers: list[str], args: argparse.Namespace) -> dict[str, object]:
    cmd = [sys.executable, "-m", "bench.loadgen", "--port", str(port), "--path", path,
           "--concurrency", str(args.concurrency), "--warmup", str(args.warmup),
           "--duration", str(args.duration)]
    for header in headers:
        cmd += ["--header", header]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True,
                         timeout=args.warmup + args.duration + 60)
    return json.loads(out.stdout)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _py_spy() -> str | None:
    return shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))


# -- the run ---------------------------------------------------------------------------------

def _ids(body: object) -> list[str]:
    items = body.get("items", []) if isinstance(body, dict) else []
    return [str(item.get("user_id") or item.get("id")) for item in items]


@dataclass(slots=True)
class Target:
    label: str
    port: int
    path: str
    headers: list[str]
    pid: int
    runs: list[dict[str, object]]


@dataclass(frozen=True, slots=True)
class Read:
    """One hot read: its name and its path on the bare app and on ShopDesk."""

    name: str
    bare_path: str
    shopdesk_path: str


def _reads(seeded: Seeded) -> list[Read]:
    shop, thread = seeded.shop_id, seeded.thread_id
    return [
        Read("members", f"/shops/{shop}/members", f"/api/v1/shops/{shop}/members"),
        Read("queue", f"/shops/{shop}/queue", f"/api/v1/shops/{shop}/conversations/queue"),
        Read("messages", f"/shops/{shop}/conversations/{thread}/messages",
             f"/api/v1/shops/{shop}/conversations/{thread}/messages"),
    ]


def _shopdesk_env(db: BenchDatabase, work: Path, args: argparse.Namespace) -> dict[str, str]:
    """ShopDesk as deployed: production settings, migrations already applied."""
    return {
        "DATABASE_URL": db.owner_url, "DATABASE_APP_URL": db.app_url,
        "SHOPDESK_ENV": "production", "SHOPDESK_DATA_DIR": str(work / "data"),
        "SHOPDESK_JWT_KEYS": f"bench:{secrets.token_urlsafe(48)}",
        "SHOPDESK_LOG_FORMAT": "json", "SHOPDESK_LOG_LEVEL": args.log_level,
    }


def _start_shopdesk(stack: contextlib.ExitStack, cmd: list[str], env: dict[str, str],
                    log: Path) -> tuple[int, int, str]:
    """(port, pid, the founder's token) of a running ``shopdesk serve``."""
    port = _free_port()
    proc = stack.enter_context(_server(
        [*cmd, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-migrate"], env, log))
    base = f"http://127.0.0.1:{port}"
    _wait_ready(proc, f"{base}/health/ready", log)
    login = httpx.post(f"{base}/api/v1/auth/login", json={
        "email": FOUNDER_EMAIL, "password": FOUNDER_PASSWORD, "client": "web"})
    login.raise_for_status()
    return port, proc.pid, login.json()["access_token"]


def _same_rows(read: Read, bare_port: int, port: int, token: str) -> int:
    """Both targets answer this read with the same rows in the same order: their count."""
    bare = httpx.get(f"http://127.0.0.1:{bare_port}{read.bare_path}")
    ours = httpx.get(f"http://127.0.0.1:{port}{read.shopdesk_path}",
                     headers={"Authorization": f"Bearer {token}"})
    for response in (bare, ours):
        if response.status_code != 200:
            raise SystemExit(f"{read.name}: {response.url} answered {response.status_code}: "
                             f"{response.text[:500]}")
    if _ids(bare.json()) != _ids(ours.json()) or not _ids(ours.json()):
        raise SystemExit(f"{read.name}: ShopDesk and the baseline return different rows")
    return len(_ids(ours.json()))


def run(db: BenchDatabase, seeded: Seeded, args: argparse.Namespace, work: Path) -> int:
    reads = [r for r in _reads(seeded) if args.reads == "all" or r.name in args.reads.split(",")]
    with contextlib.ExitStack() as stack:
        # Both servers start first and idle while the other is measured; the rounds
        # alternate so that background load on a shared machine hits every target alike.
        bare_port = _free_port()
        bare_cmd = [sys.executable, "-m", "uvicorn", "bench.bare_app:create_app", "--factory",
                    "--host", "127.0.0.1", "--port", str(bare_port), "--workers", "1",
                    "--no-access-log", "--log-level", "warning"]
        bare = stack.enter_context(_server(bare_cmd, {"BENCH_APP_DSN": db.app_url},
                                           work / "bare.log"))
        _wait_ready(bare, f"http://127.0.0.1:{bare_port}{reads[0].bare_path}", work / "bare.log")
        shopdesk = [str(Path(sys.executable).parent / "shopdesk")]
        port, pid, token = _start_shopdesk(stack, shopdesk, _shopdesk_env(db, work, args),
                                           work / "shopdesk.log")
        pairs: list[tuple[Read, Target, Target]] = []
        for read in reads:
            rows = _same_rows(read, bare_port, port, token)
            print(f"{read.name}: both targets return the same {rows} rows in the same order")
            pairs.append((read,
                          Target("(a) bare Litestar + asyncpg", bare_port, read.bare_path, [],
                                 bare.pid, []),
                          Target("(b) ShopDesk", port, read.shopdesk_path,
                                 [f"Authorization: Bearer {token}"], pid, [])))

        for _ in range(args.rounds):
            for _read, *targets in pairs:
                for target in targets:
                    cpu_before = _cpu_seconds(target.pid)
                    result = _load(target.port, target.path, target.headers, args)
                    cpu = _cpu_seconds(target.pid) - cpu_before
                    # CPU the server burnt per request served (warm-up included in both).
                    total = float(result["rps"]) * args.duration * (1 + args.warmup / args.duration)
                    result["cpu_ms_per_request"] = cpu * 1000 / total if total else float("nan")
                    result["cpu_utilisation"] = cpu / (args.warmup + args.duration)
                    target.runs.append(result)
        profile = _profile(pairs[0][2], args, work) if args.profile else None

    _report(pairs, args, db)
    if profile:
        print()
        print(profile)
    return 0


def _profile(target: Target, args: argparse.Namespace, work: Path) -> str:
    spy = _py_spy()
    if spy is None:
        return "profile: py-spy not found (pip install py-spy)"
    raw = work / "shopdesk.raw.txt"
    seconds = int(args.warmup + args.duration)
    spy_proc = subprocess.Popen(
        [spy, "record", "--pid", str(target.pid), "--duration", str(seconds), "--rate", "250",
         "--format", "raw", "--output", str(raw), "--nonblocking"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.5)
    _load(target.port, target.path, target.headers, args)
    _, err = spy_proc.communicate(timeout=seconds + 30)
    if not raw.exists():
        return f"profile: py-spy failed: {err.decode(errors='replace')[-500:]}"
    if args.keep_profile:
        shutil.copy(raw, args.keep_profile)
    return summarise_raw_profile(raw.read_text())


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _report(pairs: list[tuple[Read, Target, Target]], args: argparse.Namespace,
            db: BenchDatabase) -> None:
    print(f"database: {db.source}")
    print(f"load: {args.concurrency} keep-alive connections, {args.warmup:g} s warm-up + "
          f"{args.duration:g} s measured per run, {args.rounds} alternating round(s), 1 uvicorn "
          f"worker each; {os.cpu_count()} CPUs shared by server, PostgreSQL and load generator")
    print()
    print(f"{'':40} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/req':>10} {'CPU':>5}  "
          "per round req/s")
    verdicts = []
    for read, base, ours in pairs:
        for t in (base, ours):
            rps = [float(r["rps"]) for r in t.runs]
            bad = sum(n for r in t.runs for s, n in r["statuses"].items() if s != "200")  # type: ignore[union-attr]
            label = f"{read.name:9} {t.label}"
            print(f"{label:40} {_median(rps):8.0f} "
                  f"{_median([float(r['p50_ms']) for r in t.runs]):8.2f} "
                  f"{_median([float(r['p99_ms']) for r in t.runs]):8.2f} "
                  f"{_median([float(r['cpu_ms_per_request']) for r in t.runs]):10.2f} "
                  f"{_median([float(r['cpu_utilisation']) for r in t.runs]):5.0%}  "
                  + " ".join(f"{x:.0f}" for x in rps) + (f"  non-200: {bad}" if bad else ""))
        ratios = [float(b["rps"]) / float(a["rps"])
                  for a, b in zip(base.runs, ours.runs, strict=True) if a["rps"]]
        verdicts.append((read.name, _median(ratios), ratios))
    print()
    for name, ratio, ratios in verdicts:
        verdict = "meets" if ratio >= TARGET_RATIO else "BELOW"
        print(f"ratio {name:9} (b)/(a) req/s: {ratio:.2f}  ({verdict} the target of >= "
              f"{TARGET_RATIO}; per round: {', '.join(f'{r:.2f}' for r in ratios)})")


async def _prepare(args: argparse.Namespace, stack: contextlib.AsyncExitStack
                   ) -> tuple[BenchDatabase, Seeded]:
    db = await stack.enter_async_context(scratch_database(args.database_url, "http"))
    return db, await seed(db.owner_url, args.members)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                        help="a server to create a scratch database on (default: embedded)")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds each")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds each")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--log-level", default="INFO", help="ShopDesk's SHOPDESK_LOG_LEVEL")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds (median)")
    parser.add_argument("--reads", default="all",
                        help="all, or a comma-separated subset of members,queue,messages")
    parser.add_argument("--profile", action="store_true", help="extra pass under py-spy")
    parser.add_argument("--keep-profile", type=Path, help="copy py-spy's raw stacks here")
    args = parser.parse_args(argv)
    if not (0 < args.duration <= 60 and 0 <= args.warmup <= 30 and 2 <= args.members <= 200
            and 1 <= args.rounds <= 5):
        parser.error("keep runs bounded: duration ≤ 60 s, warm-up ≤ 30 s, 2..200 members, "
                     "1..5 rounds")

    work = Path(tempfile.mkdtemp(prefix="shopdesk-bench-http-"))
    try:
        # The database lives in this process (an embedded cluster stops when we exit), so
        # its set-up and tear-down run on a loop of ours around the synchronous run.
        loop = asyncio.new_event_loop()
        stack = contextlib.AsyncExitStack()
        try:
            db, seeded = loop.run_until_complete(_prepare(args, stack))
            return run(db, seeded, args, work)
        finally:
            loop.run_until_complete(stack.aclose())
            loop.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

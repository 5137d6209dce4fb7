"""SLA report figures: a shop with one million messages over 90 days, 30-day reports timed.

A scratch database (``bench._db``) is seeded as the owner with set-based SQL
(``generate_series``; minutes, not hours, on two cores): 200,000 conversations of five
messages each (customer, reply, customer, reply, note) spread evenly over 90 days across
four channels and 20 agents, and the ledger those conversations produce: per conversation an
FRT, an NRT and a resolution clock, each with its start and fulfil rows, and a breach for
about one FRT in eight (~1.3M ledger rows). Then, through the API role with RLS in force and
the real report code (``api.domain.sla.reports.shop_report``):

- the 30-day shop report (all three metrics: count, mean, p50/p90/p95/p99, attainment,
  breaches), and
- the 30-day per-agent report,

each run warm ``--runs`` times; the median, p95 and best wall times are printed, and, when
PostgreSQL runs on this machine, the CPU time its backend spent per report (from
``/proc/<pid>/stat``): on a shared machine the wall time mostly measures the neighbours.
Target: < 200 ms each.

Run: ``python -m bench.sla_reports [--messages 1000000] [--runs 15] [--database-url URL]``
(``--reuse-shop ID --reuse-end ISO`` times an already seeded database at ``--database-url``.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from api.db.engine import create_sessionmaker
from api.db.shop_context import bind_shop
from api.db.urls import app_url_from_owner, to_asyncpg_url, to_libpq_dsn
from api.domain.sla.enums import GroupBy
from api.domain.sla.reports import ReportQuery, shop_report
from api.settings import get_settings
from bench._db import scratch_database

AGENTS = 20
MESSAGES_PER_CONVERSATION = 5

SEED = """
CREATE TEMP TABLE bench_conv AS
SELECT i,
       md5('conv' || i)::uuid AS id,
       md5('cust' || i)::uuid AS customer_id,
       (ARRAY['web', 'mobile', 'wechat', 'live'])[1 + i % 4] AS channel,
       ($agents::uuid[])[1 + (i * 7) % {agents}] AS agent,
       $start::timestamptz + (i * ($span::float8 / {n})) * interval '1 second' AS t,
       (30 + (i::bigint * 7919) % 1800)::float8 AS frt_s,
       (10 + (i::bigint * 104729) % 900)::float8 AS nrt_s
  FROM generate_series(1, {n}) i;
"""

INSERTS = [
    "INSERT INTO customers (shop_id, id, created_at) SELECT $shop, customer_id, t FROM bench_conv",
    """INSERT INTO conversations (shop_id, id, customer_id, channel, status, priority,
        assignee_id, cycle, cycle_started_at, created_at, updated_at, resolved_at)
       SELECT $shop, id, customer_id, channel, 'resolved', 'normal', agent, 1, t, t,
              t + interval '2 hours', t + interval '2 hours' FROM bench_conv""",
    """INSERT INTO messages (shop_id, id, conversation_id, seq, cycle, channel, author_kind,
        visibility, author_id, body, created_at)
       SELECT $shop, md5('msg' || c.i || '-' || k)::uuid, c.id, k, 1, c.channel,
              CASE WHEN k IN (1, 3) THEN 'customer' ELSE 'staff' END,
              CASE WHEN k = 5 THEN 'note' ELSE 'public' END,
              CASE WHEN k IN (1, 3) THEN NULL ELSE c.agent END, 'hello',
              c.t + CASE k WHEN 1 THEN interval '0' WHEN 2 THEN c.frt_s * interval '1 second'
                           WHEN 3 THEN interval '1 hour'
                           WHEN 4 THEN interval '1 hour' + c.nrt_s * interval '1 second'
                           ELSE interval '90 minutes' END
         FROM bench_conv c CROSS JOIN generate_series(1, {per}) k""",
    """INSERT INTO sla_cycles (shop_id, conversation_id, cycle, started_at, channel, priority,
        assignee_id, first_reply_at, resolved_at)
       SELECT $shop, id, 1, t, channel, 'normal', agent, t + frt_s * interval '1 second',
              t + interval '2 hours' FROM bench_conv""",
    """CREATE TEMP TABLE bench_clock AS
       SELECT c.*, m.metric, md5('clock' || c.i || m.metric)::uuid AS clock_id,
              CASE m.metric WHEN 'frt' THEN c.t WHEN 'nrt' THEN c.t + interval '1 hour'
                            ELSE c.t END AS started,
              CASE m.metric WHEN 'frt' THEN c.frt_s WHEN 'nrt' THEN c.nrt_s
                            ELSE 7200 END AS seconds,
              CASE m.metric WHEN 'frt' THEN 1500 WHEN 'nrt' THEN 600 ELSE 14400 END AS target
         FROM bench_conv c CROSS JOIN (VALUES ('frt'), ('nrt'), ('resolution')) m (metric)""",
    """INSERT INTO sla_clocks (shop_id, id, conversation_id, cycle, metric, seq, channel,
        priority, state, started_at, target_seconds, business_hours, policy_version,
        calendar_version, ended_at, calendar_seconds, business_seconds, agent_id, breached_at,
        deadline_at)
       SELECT $shop, clock_id, id, 1, metric, CASE WHEN metric = 'nrt' THEN 1 ELSE 0 END,
              channel, 'normal', 'fulfilled', started, target, false, 1, 0,
              started + seconds * interval '1 second', seconds, seconds, agent,
              CASE WHEN seconds > target THEN started + target * interval '1 second' END,
              CASE WHEN seconds > target THEN started + target * interval '1 second' END
         FROM bench_clock""",
    """INSERT INTO sla_ledger (shop_id, clock_id, conversation_id, cycle, metric, kind, at,
        cause, channel, priority, target_seconds, business_hours)
       SELECT $shop, clock_id, id, 1, metric, 'start', started, 'message', channel, 'normal',
              target, false FROM bench_clock""",
    """INSERT INTO sla_ledger (shop_id, clock_id, conversation_id, cycle, metric, kind, at,
        cause, agent_id, channel, priority, calendar_seconds, business_seconds, target_seconds,
        business_hours)
       SELECT $shop, clock_id, id, 1, metric, 'breach', started + target * interval '1 second',
              'deadline', agent, channel, 'normal', target, target, target, false
         FROM bench_clock WHERE seconds > target""",
    """INSERT INTO sla_ledger (shop_id, clock_id, conversation_id, cycle, metric, kind, at,
        cause, agent_id, channel, priority, calendar_seconds, business_seconds, target_seconds,
        business_hours, within_target)
       SELECT $shop, clock_id, id, 1, metric, 'fulfil', started + seconds * interval '1 second',
              CASE WHEN metric = 'resolution' THEN 'status' ELSE 'message' END, agent, channel,
              'normal', seconds, seconds, target, false, seconds <= target FROM bench_clock""",
]


async def seed(owner_dsn: str, messages: int) -> tuple[uuid.UUID, datetime]:
    n = messages // MESSAGES_PER_CONVERSATION
    shop_id = uuid.uuid4()
    end = datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(days=90)
    conn = await asyncpg.connect(owner_dsn)
    try:
        agents = [uuid.uuid4() for _ in range(AGENTS)]
        await conn.execute("INSERT INTO shops (id, slug, name, timezone) VALUES ($1, $2, $3, $4)",
                           shop_id, f"bench-{shop_id.hex[:8]}", "Bench", "Asia/Shanghai")
        await conn.executemany(
            "INSERT INTO users (id, email) VALUES ($1, $2)",
            [(a, f"agent-{a.hex[:10]}@bench.example") for a in agents])
        async with conn.transaction():
            # Owner rows still pass the tenant policy when the shop is bound (FORCE RLS).
            await conn.execute("SELECT set_config('app.shop_id', $1, true)", str(shop_id))
            await conn.executemany(
                "INSERT INTO shop_members (shop_id, user_id, role) VALUES ($1, $2, 'agent')",
                [(shop_id, a) for a in agents])
            steps = [(SEED.format(n=n, agents=AGENTS), {"agents": agents, "start": start,
                                                       "span": (end - start).total_seconds()})]
            steps += [(sql.format(per=MESSAGES_PER_CONVERSATION), {"shop": shop_id})
                      for sql in INSERTS]
            for sql, params in steps:
                began = time.perf_counter()
                names = [k for k in params if f"${k}" in sql]
                body = sql
                for index, name in enumerate(names, start=1):
                    body = body.replace(f"${name}", f"${index}")
                status = await conn.execute(body, *(params[k] for k in names))
                print(f"  seed {status:<22} {time.perf_counter() - began:6.1f} s", flush=True)
        for table in ("messages", "conversations", "sla_clocks", "sla_ledger"):
            await conn.execute(f"VACUUM ANALYZE {table}")
        counts = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM messages WHERE shop_id = $1) AS messages, "
            "(SELECT count(*) FROM sla_ledger WHERE shop_id = $1) AS ledger", shop_id)
        print(f"  shop has {counts['messages']:,} messages, {counts['ledger']:,} ledger rows")
    finally:
        await conn.close()
    return shop_id, end


def _backend_cpu_seconds(pid: int) -> float | None:
    """utime + stime of a local PostgreSQL backend, or None when it is not on this host."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def time_reports(app_dsn: str, shop_id: uuid.UUID, end: datetime, runs: int) -> None:
    engine = create_async_engine(to_asyncpg_url(app_dsn), pool_size=2)
    sessionmaker = create_sessionmaker(engine)
    since = end - timedelta(days=30)
    try:
        for label, group_by in (("30-day shop report", GroupBy.SHOP),
                                ("30-day per-agent report", GroupBy.AGENT)):
            query = ReportQuery(since, end, group_by)
            timings, report, cpu = [], None, []
            for _ in range(runs + 2):
                async with sessionmaker() as session, session.begin():
                    await bind_shop(session, shop_id)
                    pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
                    cpu_before = _backend_cpu_seconds(pid)
                    began = time.perf_counter()
                    report = await shop_report(session, shop_id, query)
                    timings.append((time.perf_counter() - began) * 1000)
                    cpu_after = _backend_cpu_seconds(pid)
                    if cpu_before is not None and cpu_after is not None:
                        cpu.append((cpu_after - cpu_before) * 1000)
            timings, cpu = timings[2:], cpu[2:]  # two warm-up runs
            assert report is not None
            frt = next(r for r in report.rows if r.metric == "frt")
            print(f"{label:<26} median {statistics.median(timings):7.1f} ms   "
                  f"p95 {sorted(timings)[int(0.95 * (len(timings) - 1))]:7.1f} ms   "
                  f"best {min(timings):7.1f} ms   backend CPU "
                  + (f"{sum(cpu) / len(cpu):6.1f} ms/report" if cpu else "n/a")
                  + f"   ({len(report.rows)} rows; first FRT row count {frt.count:,}, "
                  f"p90 {frt.p90:.0f} s)")
        async with sessionmaker() as session, session.begin():
            await bind_shop(session, shop_id)
            plan = (await session.execute(text(
                "EXPLAIN (ANALYZE, BUFFERS) SELECT count(*) FROM sla_ledger WHERE shop_id = "
                ":s AND metric = 'frt' AND kind = 'fulfil' AND at >= :a AND at < :b"),
                {"s": shop_id, "a": since, "b": end})).scalars().all()
            print("  plan of the range scan:", next(line.strip() for line in plan
                                                    if "Scan" in line))
    finally:
        await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--reuse-shop", type=uuid.UUID, default=None)
    parser.add_argument("--reuse-end", type=datetime.fromisoformat, default=None)
    args = parser.parse_args()
    if args.reuse_shop and args.reuse_end and args.database_url:
        settings = get_settings().database
        app_url = app_url_from_owner(args.database_url, settings.app_role, settings.app_password)
        await time_reports(to_libpq_dsn(app_url), args.reuse_shop, args.reuse_end, args.runs)
        return
    async with scratch_database(args.database_url, "sla") as db:
        print(f"database: {db.source}")
        began = time.perf_counter()
        shop_id, end = await seed(db.owner_url, args.messages)
        print(f"seeded in {time.perf_counter() - began:.0f} s")
        await time_reports(db.app_url, shop_id, end, args.runs)


if __name__ == "__main__":
    asyncio.run(main())

"""Authorization figures at 10 and 10,000 shops: decisions, policy load, role changes, stalls.

For each shop count, a scratch database (see ``bench._db``) is seeded as the owner with COPY:
10 members per shop (founder, senior admin, two admins, five agents of which one is a
firm agent serving many shops, a verifier), half the shops with WeChat bound, and three
firm users. Then, through the API role and the real ``rbac`` code:

- decision: ``PolicyEngine.decide`` as the guard calls it, first time (cache empty: Casbin
  evaluates) and repeated (cached), over a mix of members, non-members, firm users,
  permissions and clients;
- policy load: ``AuthzRuntime.load_snapshot`` (database → snapshot) and
  ``PolicyEngine.build`` (snapshot → enforcer), separately;
- role change: UPDATE + ``record_change`` committed, then ``runtime.catch_up()``, until the
  engine answers with the new role; and ``PolicyEngine.set_shop`` alone (in memory);
- event-loop stall: the largest lag a 1 ms ticker sees while ``runtime.rebuild()`` runs.

Run: ``python -m bench.authz [--shops 10 10000] [--database-url URL]``
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from api.db.engine import create_sessionmaker
from api.db.shop_context import bind_shop
from api.db.urls import to_asyncpg_url
from bench._db import BenchDatabase, scratch_database
from bench.loadgen import percentile
from rbac.catalog import MATRIX, PERMISSIONS
from rbac.engine import FIRM_DOMAIN, PolicyEngine
from rbac.policy_store import record_change
from rbac.runtime import AuthzRuntime

__all__ = ["main"]

MEMBERS_PER_SHOP = 10
SHOP_ROLES = ["founder", "senior_admin", "admin", "admin", "agent", "agent", "agent", "agent",
              "agent", "verifier"]
FIRM_AGENT_SLOT = 8  # the fifth agent of every shop is drawn from the firm's agent pool

TARGET_REPEATED_MEDIAN_US = 20.0
TARGET_REPEATED_P99_US = 100.0
TARGET_SCALE_FACTOR = 1.5
TARGET_STALL_MS = 20.0


@dataclass(slots=True)
class World:
    shops: list[uuid.UUID]
    members: dict[uuid.UUID, list[tuple[uuid.UUID, str]]]
    firm_users: list[uuid.UUID]


@dataclass(slots=True)
class Figures:
    shops: int
    groupings: int = 0
    load_ms: list[float] = field(default_factory=list)
    build_ms: list[float] = field(default_factory=list)
    first_us: list[float] = field(default_factory=list)
    repeated_us: list[float] = field(default_factory=list)
    change_commit_ms: list[float] = field(default_factory=list)
    change_catch_up_ms: list[float] = field(default_factory=list)
    change_total_ms: list[float] = field(default_factory=list)
    set_shop_us: list[float] = field(default_factory=list)
    rebuild_ms: list[float] = field(default_factory=list)
    stall_ms: list[float] = field(default_factory=list)


# -- seeding -------------------------------------------------------------------------------

async def seed(owner_dsn: str, shop_count: int, rng: random.Random) -> World:
    """COPY the shops, users and memberships in as the owner."""
    pool = [uuid.uuid4() for _ in range(max(10, shop_count // 10))]  # firm agents
    firm = [(uuid.uuid4(), role) for role in ("platform_admin", "platform_admin",
                                              "platform_auditor")]
    users = [(u, f"firm-agent-{i}@bench.test", None) for i, u in enumerate(pool)]
    users += [(u, f"firm-{i}@bench.test", role) for i, (u, role) in enumerate(firm)]
    shops, shop_rows, member_rows = [], [], []
    members: dict[uuid.UUID, list[tuple[uuid.UUID, str]]] = {}
    for s in range(shop_count):
        shop = uuid.uuid4()
        shops.append(shop)
        shop_rows.append((shop, f"shop-{s}", f"Shop {s}", "Asia/Shanghai", s % 2 == 0))
        staff = []
        for slot, role in enumerate(SHOP_ROLES):
            if slot == FIRM_AGENT_SLOT:
                user = rng.choice(pool)
            else:
                user = uuid.uuid4()
                users.append((user, f"u{s}-{slot}@bench.test", None))
            staff.append((user, role))
            member_rows.append((shop, user, role))
        members[shop] = staff
    conn = await asyncpg.connect(owner_dsn)
    try:
        async with conn.transaction():
            await conn.copy_records_to_table("users", records=users,
                                             columns=["id", "email", "platform_role"])
            await conn.copy_records_to_table(
                "shops", records=shop_rows,
                columns=["id", "slug", "name", "timezone", "wechat_bound"])
            try:
                async with conn.transaction():
                    await conn.copy_records_to_table("shop_members", records=member_rows,
                                                     columns=["shop_id", "user_id", "role"])
            except asyncpg.FeatureNotSupportedError:
                # COPY into an RLS table needs a superuser; an owner inserts shop by shop.
                for shop in shops:
                    await conn.execute("SELECT set_config('app.shop_id', $1, true)", str(shop))
                    await conn.executemany(
                        "INSERT INTO shop_members (shop_id, user_id, role) VALUES ($1, $2, $3)",
                        [(shop, u, r) for u, r in members[shop]])
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return World(shops, members, [u for u, _ in firm])


# -- measurements -----------------------------------------------------------------------------

def _requests(world: World, count: int, rng: random.Random) -> list[tuple[str, str, str, str]]:
    """Distinct (perm, user, shop, client) questions of the kinds the guard asks."""
    shop_perms = list(MATRIX)
    firm_perms = sorted(PERMISSIONS - set(MATRIX))
    seen: set[tuple[str, str, str, str]] = set()
    out: list[tuple[str, str, str, str]] = []
    while len(out) < count:
        kind = rng.random()
        shop = rng.choice(world.shops)
        client = "mobile" if rng.random() < 0.2 else "web"
        if kind < 0.85:  # a member of the shop
            user = rng.choice(world.members[shop])[0]
            req = (rng.choice(shop_perms), str(user), str(shop), client)
        elif kind < 0.95:  # someone from another shop
            other = rng.choice(world.shops)
            user = rng.choice(world.members[other])[0]
            req = (rng.choice(shop_perms), str(user), str(shop), client)
        elif kind < 0.98:  # a firm user inside a shop
            req = (rng.choice(shop_perms), str(rng.choice(world.firm_users)), str(shop), client)
        else:  # a firm-level action
            req = (rng.choice(firm_perms), str(rng.choice(world.firm_users)), FIRM_DOMAIN, client)
        if req not in seen:
            seen.add(req)
            out.append(req)
    return out


def measure_decisions(engine: PolicyEngine, requests: list[tuple[str, str, str, str]],
                      figures: Figures) -> None:
    clock = time.perf_counter_ns
    decide = engine.decide
    for perm, user, shop, client in requests:  # every key is new: Casbin evaluates
        started = clock()
        decide(perm, user, shop, client)
        figures.first_us.append((clock() - started) / 1000)
    for _ in range(3):
        for perm, user, shop, client in requests:  # the same keys again: cached
            started = clock()
            decide(perm, user, shop, client)
            figures.repeated_us.append((clock() - started) / 1000)


async def measure_role_changes(runtime: AuthzRuntime, sessionmaker, world: World,  # type: ignore[no-untyped-def]
                               figures: Figures, rounds: int, rng: random.Random) -> None:
    for _ in range(rounds):
        shop = rng.choice(world.shops)
        user, role = world.members[shop][2]  # an admin: toggled between admin and agent
        new_role = "agent" if role == "admin" else "admin"
        started = time.perf_counter()
        async with sessionmaker() as session, session.begin():
            await bind_shop(session, shop)
            await session.execute(
                text("UPDATE shop_members SET role = :r, updated_at = now() "
                     "WHERE shop_id = :s AND user_id = :u"), {"r": new_role, "s": shop, "u": user})
            await record_change(session, "shop", shop_id=shop)
        committed = time.perf_counter()
        await runtime.catch_up()
        applied = time.perf_counter()
        assert runtime.policy is not None
        if runtime.policy.members[str(shop)].get(str(user)) != new_role:
            raise SystemExit("role change did not apply")
        world.members[shop][2] = (user, new_role)
        figures.change_commit_ms.append((committed - started) * 1000)
        figures.change_catch_up_ms.append((applied - committed) * 1000)
        figures.change_total_ms.append((applied - started) * 1000)

    # The in-memory step alone: what a notification costs the event loop once the rows are read.
    policy = runtime.policy
    assert policy is not None
    for _ in range(rounds):
        shop = str(rng.choice(world.shops))
        members = dict(policy.members[shop])
        user = next(u for u, r in members.items() if r in {"admin", "agent"})
        members[user] = "agent" if members[user] == "admin" else "admin"
        state = dataclasses.replace(policy.shops[shop], version=policy.shops[shop].version + 1)
        started = time.perf_counter_ns()
        policy.set_shop(state, members)
        figures.set_shop_us.append((time.perf_counter_ns() - started) / 1000)


async def max_loop_lag(work: Callable[[], Awaitable[None]]) -> tuple[float, float]:
    """Run ``work`` while a 1 ms ticker records the event loop's worst lag (ms), and its time."""
    lag = 0.0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal lag
        while not done.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.001)
            lag = max(lag, (time.perf_counter() - before - 0.001) * 1000)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    started = time.perf_counter()
    try:
        await work()
    finally:
        elapsed = (time.perf_counter() - started) * 1000
        await asyncio.sleep(0.01)
        done.set()
        await task
    return lag, elapsed


async def bench_shop_count(db: BenchDatabase, shop_count: int, args: argparse.Namespace) -> Figures:
    rng = random.Random(shop_count)
    figures = Figures(shop_count)
    world = await seed(db.owner_url, shop_count, rng)
    engine = create_async_engine(to_asyncpg_url(db.app_url), pool_size=5, max_overflow=0)
    runtime = AuthzRuntime(engine, None, 0)  # no listener, no poll: we drive catch_up ourselves
    phase = _Phases(shop_count)
    try:
        for _ in range(args.repeat):
            started = time.perf_counter()
            snapshot = await runtime.load_snapshot()
            figures.load_ms.append((time.perf_counter() - started) * 1000)
        figures.groupings = len(snapshot.groupings)
        phase("loaded")
        for _ in range(args.repeat):
            started = time.perf_counter()
            policy = PolicyEngine.build(snapshot)
            figures.build_ms.append((time.perf_counter() - started) * 1000)
        phase("built")
        measure_decisions(policy, _requests(world, args.decisions, rng), figures)
        phase("decided")
        del policy

        await runtime.rebuild()
        await measure_role_changes(runtime, create_sessionmaker(engine), world, figures,
                                   args.changes, rng)
        phase("changed")
        for _ in range(args.repeat):
            lag, elapsed = await max_loop_lag(runtime.rebuild)
            figures.stall_ms.append(lag)
            figures.rebuild_ms.append(elapsed)
    finally:
        await engine.dispose()
    return figures


class _Phases:
    """Progress on stderr, so a slow phase shows itself."""

    def __init__(self, shops: int) -> None:
        self.shops = shops
        self.last = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        print(f"  {self.shops:,} shops: {name} (+{now - self.last:.1f} s)", file=sys.stderr)
        self.last = now


# -- report ----------------------------------------------------------------------------------

def _p(values: list[float], q: float) -> float:
    return percentile(sorted(values), q)


def report(all_figures: list[Figures], source: str) -> None:
    print(f"database: {source}; {MEMBERS_PER_SHOP} members per shop; medians of the repeats")
    cols = [f"{f.shops:,} shops" for f in all_figures]
    print(f"{'':44}" + "".join(f"{c:>16}" for c in cols))

    def row(label: str, values: list[str]) -> None:
        print(f"{label:44}" + "".join(f"{v:>16}" for v in values))

    row("groupings loaded", [f"{f.groupings:,}" for f in all_figures])
    row("decide, first time (cache empty)  median µs", [f"{_p(f.first_us, 50):.1f}" for f in all_figures])
    row("                                  p99 µs", [f"{_p(f.first_us, 99):.1f}" for f in all_figures])
    row("decide, repeated (cached)         median µs", [f"{_p(f.repeated_us, 50):.2f}" for f in all_figures])
    row("                                  p99 µs", [f"{_p(f.repeated_us, 99):.2f}" for f in all_figures])
    row("load_snapshot (DB → snapshot)     ms", [f"{statistics.median(f.load_ms):.0f}" for f in all_figures])
    row("PolicyEngine.build                ms", [f"{statistics.median(f.build_ms):.0f}" for f in all_figures])
    row("role change: commit               median ms", [f"{_p(f.change_commit_ms, 50):.1f}" for f in all_figures])
    row("             catch_up applied     median ms", [f"{_p(f.change_catch_up_ms, 50):.1f}" for f in all_figures])
    row("             commit → applied     median ms", [f"{_p(f.change_total_ms, 50):.1f}" for f in all_figures])
    row("                                  max ms", [f"{max(f.change_total_ms):.1f}" for f in all_figures])
    row("set_shop alone (in memory)        median µs", [f"{_p(f.set_shop_us, 50):.0f}" for f in all_figures])
    row("                                  max µs", [f"{max(f.set_shop_us):.0f}" for f in all_figures])
    row("full rebuild                      ms", [f"{statistics.median(f.rebuild_ms):.0f}" for f in all_figures])
    row("event-loop stall during rebuild   max ms", [f"{max(f.stall_ms):.1f}" for f in all_figures])

    print()
    small, large = all_figures[0], all_figures[-1]
    med, p99 = _p(large.repeated_us, 50), _p(large.repeated_us, 99)
    checks = [
        (f"repeated decision median < {TARGET_REPEATED_MEDIAN_US:g} µs at {large.shops:,} shops",
         med < TARGET_REPEATED_MEDIAN_US, f"{med:.2f} µs"),
        (f"repeated decision p99 < {TARGET_REPEATED_P99_US:g} µs at {large.shops:,} shops",
         p99 < TARGET_REPEATED_P99_US, f"{p99:.2f} µs"),
    ]
    if large is not small:
        factor = med / _p(small.repeated_us, 50)
        checks.append((f"repeated median ≤ {TARGET_SCALE_FACTOR}× the {small.shops:,}-shop figure",
                       factor <= TARGET_SCALE_FACTOR, f"{factor:.2f}×"))
    # Every event-loop stall: rebuilds and the in-memory apply step of a role change.
    worst = max(max(f.stall_ms + [x / 1000 for x in f.set_shop_us]) for f in all_figures)
    checks.append((f"no event-loop stall over {TARGET_STALL_MS:g} ms (rebuild, set_shop)",
                   worst <= TARGET_STALL_MS, f"worst {worst:.1f} ms"))
    for label, ok, value in checks:
        print(f"[{'ok' if ok else 'MISSED'}] {label}: {value}")


async def run(args: argparse.Namespace) -> None:
    figures: list[Figures] = []
    source = ""
    for count in args.shops:
        async with scratch_database(args.database_url, f"authz{count}") as db:
            source = db.source.split(" (database")[0]
            started = time.perf_counter()
            figures.append(await bench_shop_count(db, count, args))
            print(f"  {count:,} shops measured in {time.perf_counter() - started:.0f} s",
                  file=sys.stderr)
    report(figures, source)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.authz", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                        help="a server to create scratch databases on (default: embedded)")
    parser.add_argument("--shops", type=int, nargs="+", default=[10, 10_000])
    parser.add_argument("--decisions", type=int, default=3_000, help="distinct questions")
    parser.add_argument("--changes", type=int, default=20, help="role changes to time")
    parser.add_argument("--repeat", type=int, default=3, help="loads, builds and rebuilds")
    args = parser.parse_args(argv)
    if max(args.shops) > 50_000 or args.decisions > 50_000 or args.changes > 200:
        parser.error("keep runs bounded: ≤ 50,000 shops, ≤ 50,000 decisions, ≤ 200 changes")
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())

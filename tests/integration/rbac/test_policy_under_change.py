"""Property: after any sequence of membership and shop changes, committed or rolled back,
every decision the guard's code path makes equals the plain reference model's.

Operations run as real transactions against PostgreSQL (journalled with ``record_change``,
some rolled back on purpose), and the runtime catches up the way a request does. Known
pycasbin pitfalls are in the mix: re-granting a role a member already has then removing
it once, removing several members in one transaction, and changes that roll back.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from api.db.shop_context import bind_shop
from api.db.urls import to_asyncpg_url
from api.domain.audit.context import AuditContext
from api.domain.members import founder as members_founder
from api.domain.shops.schemas import FounderSpec, ShopCreate
from api.domain.shops.services import create_shop
from api.domain.users.services import create_user
from rbac.catalog import FirmRole
from rbac.engine import FIRM_DOMAIN
from rbac.policy_store import record_change
from rbac.runtime import AuthzRuntime
from tests.integration.rbac.reference import Reference, RefShop
from tests.support.database import TestDatabase

SHOPS = 3
POOL = 5
GRANTABLE = ["senior_admin", "admin", "agent", "verifier"]
# One permission of each shape in the matrix, plus firm-level ones.
PERMISSIONS = [
    "staff:add", "staff:read", "cs:workspace", "customers:read", "verifications:redeem",
    "verifications:read", "polls:read_private", "audit:read", "shops:suspend", "shop:settings",
    "orders:teleport",
]
CLIENTS = ["web", "mobile"]
SYSTEM = AuditContext(actor_id=None, client="test", ip=None, request_id=None)

shop_index = st.integers(0, SHOPS - 1)
user_index = st.integers(0, POOL - 1)
operation = st.one_of(
    st.tuples(st.just("grant"), shop_index, user_index, st.sampled_from(GRANTABLE)),
    st.tuples(st.just("regrant_same"), shop_index, user_index),
    st.tuples(st.just("remove"), shop_index, user_index),
    st.tuples(st.just("remove_many"), shop_index, st.sets(user_index, min_size=2, max_size=4)),
    st.tuples(st.just("wechat"), shop_index, st.booleans()),
    st.tuples(st.just("suspend"), shop_index, st.booleans()),
    st.tuples(st.just("remove_founder"), shop_index),
)
step = st.tuples(operation, st.booleans())  # (operation, roll back instead of commit)


class Scenario:
    def __init__(self, database: TestDatabase):
        self.engine = create_async_engine(database.app_url)
        self.owner_url = database.owner_url
        self.runtime = AuthzRuntime(self.engine, None, poll_seconds=0)
        self.ref = Reference()
        self.shops: list[str] = []
        self.founders: list[str] = []
        self.pool: list[str] = []
        self.auditor = ""

    async def setup(self) -> None:
        members_founder.wire()  # onboarding writes the founder through the members slice
        maker = self._sessions()
        async with maker() as session, session.begin():
            tag = uuid.uuid4().hex[:8]
            for i in range(POOL):
                user = await create_user(session, email=f"pool{i}-{tag}@example.com", password=None)
                self.pool.append(str(user.id))
            for i in range(SHOPS):
                founder = await create_user(session, email=f"f{i}-{tag}@example.com", password=None)
                shop, _, _ = await create_shop(session, ShopCreate(
                    name="S", slug=f"p-{tag}-{i}", timezone="UTC",
                    founder=FounderSpec(user_id=founder.id)), SYSTEM)
                self.shops.append(str(shop.id))
                self.founders.append(str(founder.id))
                self.ref.shops[str(shop.id)] = RefShop(members={str(founder.id): "founder"})
        await self._create_auditor(tag)
        await self.runtime.start()

    async def _create_auditor(self, tag: str) -> None:
        # Only the owner may write users.platform_role; the API role cannot grant firm roles.
        owner = create_async_engine(to_asyncpg_url(self.owner_url), poolclass=NullPool)
        try:
            async with (async_sessionmaker(owner, expire_on_commit=False)() as session,
                        session.begin()):
                auditor = await create_user(session, email=f"aud-{tag}@example.com",
                                            password=None,
                                            platform_role=FirmRole.PLATFORM_AUDITOR)
        finally:
            await owner.dispose()
        self.auditor = str(auditor.id)
        self.ref.firm_roles[self.auditor] = "platform_auditor"

    def _sessions(self):  # type: ignore[no-untyped-def]
        return async_sessionmaker(self.engine, expire_on_commit=False)

    async def apply(self, op: tuple, rollback: bool) -> None:  # type: ignore[type-arg]
        shop = self.shops[op[1]]
        expected = self._expected_after(op)
        session = self._sessions()()
        try:
            await session.begin()
            await bind_shop(session, uuid.UUID(shop))
            await self._write(session, op, shop)
            await record_change(session, "shop", shop_id=uuid.UUID(shop))
            if rollback:
                await session.rollback()
            else:
                await session.commit()
                self.ref.shops[shop] = expected
        finally:
            await session.close()
        await self.runtime.catch_up()

    def _expected_after(self, op: tuple) -> RefShop:  # type: ignore[type-arg]
        kind, shop_i = op[0], op[1]
        current = self.ref.shops[self.shops[shop_i]]
        new = RefShop(current.wechat_bound, current.suspended, dict(current.members))
        if kind == "grant":
            new.members[self.pool[op[2]]] = op[3]
        elif kind == "remove":
            new.members.pop(self.pool[op[2]], None)
        elif kind == "remove_many":
            for i in op[2]:
                new.members.pop(self.pool[i], None)
        elif kind == "wechat":
            new.wechat_bound = op[2]
        elif kind == "suspend":
            new.suspended = op[2]
        elif kind == "remove_founder":
            new.members.pop(self.founders[shop_i], None)
        return new

    async def _write(self, session, op: tuple, shop: str) -> None:  # type: ignore[no-untyped-def, type-arg]
        kind = op[0]
        upsert = text(
            "INSERT INTO shop_members (shop_id, user_id, role) VALUES (:s, :u, :r) "
            "ON CONFLICT (shop_id, user_id) DO UPDATE SET role = EXCLUDED.role, "
            "status = 'active', removed_at = NULL")
        remove = text("UPDATE shop_members SET status = 'removed', removed_at = now() "
                      "WHERE shop_id = :s AND user_id = ANY(:users) AND status = 'active'")
        if kind == "grant":
            await session.execute(upsert, {"s": shop, "u": self.pool[op[2]], "r": op[3]})
        elif kind == "regrant_same":
            user = self.pool[op[2]]
            role = self.ref.shops[shop].members.get(user)
            if role is not None and role != "founder":
                # The same grouping "added" again: must not need two removals later.
                await session.execute(upsert, {"s": shop, "u": user, "r": role})
        elif kind == "remove":
            await session.execute(remove, {"s": shop, "users": [uuid.UUID(self.pool[op[2]])]})
        elif kind == "remove_many":
            await session.execute(remove, {"s": shop, "users": [uuid.UUID(self.pool[i]) for i in op[2]]})
        elif kind == "wechat":
            await session.execute(text("UPDATE shops SET wechat_bound = :b WHERE id = :s"),
                                  {"b": op[2], "s": shop})
        elif kind == "suspend":
            await session.execute(text("UPDATE shops SET status = :st WHERE id = :s"),
                                  {"st": "suspended" if op[2] else "active", "s": shop})
        elif kind == "remove_founder":
            await session.execute(remove, {"s": shop, "users": [uuid.UUID(self.founders[op[1]])]})
            await session.execute(text("UPDATE shops SET founder_removed = true WHERE id = :s"),
                                  {"s": shop})

    def mismatches(self, runtime: AuthzRuntime) -> list[tuple[str, ...]]:
        assert runtime.policy is not None
        users = [*self.pool, *self.founders, self.auditor, str(uuid.uuid4())]
        wrong = []
        for shop in [*self.shops, FIRM_DOMAIN]:
            for user in users:
                for perm in PERMISSIONS:
                    for client in CLIENTS:
                        got = runtime.policy.decide(perm, user, shop, client).allowed
                        if got != self.ref.allowed(perm, user, shop, client):
                            wrong.append((shop, user, perm, client, str(got)))
        return wrong

    async def close(self) -> None:
        await self.runtime.stop()
        await self.engine.dispose()


async def _run(database: TestDatabase, steps: list) -> None:  # type: ignore[type-arg]
    scenario = Scenario(database)
    try:
        await scenario.setup()
        assert scenario.mismatches(scenario.runtime) == []
        for op, rollback in steps:
            await scenario.apply(op, rollback)
            assert scenario.mismatches(scenario.runtime) == [], (op, rollback)
        # Incremental updates must land where a full rebuild lands.
        fresh = AuthzRuntime(scenario.engine, None, poll_seconds=0)
        await fresh.start()
        assert scenario.mismatches(fresh) == []
    finally:
        await scenario.close()


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=12))
def test_decisions_match_the_reference_model_after_every_step(database: TestDatabase,
                                                              steps: list) -> None:  # type: ignore[type-arg]
    asyncio.run(_run(database, steps))


@pytest.mark.parametrize("rollback", [True, False])
def test_regrant_then_single_removal_revokes(database: TestDatabase, rollback: bool) -> None:
    """The classic pycasbin trap, spelled out: grant, grant again, remove once."""
    asyncio.run(_run(database, [
        (("grant", 0, 0, "admin"), False),
        (("regrant_same", 0, 0), rollback),
        (("regrant_same", 0, 0), False),
        (("remove", 0, 0), False),
    ]))

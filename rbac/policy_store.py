"""The policy in PostgreSQL: reading it for the enforcer and recording changes to it.

Writes happen in the business transaction that causes them (a member added, a shop's
WeChat unbound): ``record_change`` bumps the global policy version, journals the change and
queues a NOTIFY, all of which vanish together if the transaction rolls back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from rbac.catalog import PolicyLine, policy_lines

__all__ = [
    "CHANNEL",
    "ChangeKind",
    "JournalEntry",
    "ShopState",
    "UserState",
    "fetch_changes_since",
    "fetch_policy_lines",
    "fetch_shop",
    "fetch_user",
    "fetch_version",
    "iter_groupings",
    "iter_shops",
    "iter_users",
    "prune_journal",
    "record_change",
    "sync_role_permissions",
]

CHANNEL = "shopdesk_authz"  # also named in the authz_record_change() SQL function
ChangeKind = Literal["shop", "user", "policy"]
PENDING_KEY = "authz_changes"


@dataclass(frozen=True, slots=True)
class ShopState:
    shop_id: str
    status: str  # "active" | "suspended"
    wechat_bound: bool
    version: int


@dataclass(frozen=True, slots=True)
class UserState:
    """What the guard needs about a user beyond shop membership."""

    user_id: str
    platform_role: str | None
    is_active: bool
    sessions_valid_after: datetime | None
    # Signed-out sessions (refresh-token families) whose access tokens may still be unexpired.
    revoked_sessions: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class JournalEntry:
    version: int
    kind: ChangeKind
    shop_id: str | None
    user_id: str | None


_RECORD_CHANGE = text("SELECT authz_record_change(:kind, :shop_id, :user_id)")


async def record_change(
    session: AsyncSession,
    kind: ChangeKind,
    *,
    shop_id: UUID | None = None,
    user_id: UUID | None = None,
) -> int:
    """Journal an authorization change in the caller's transaction and return its version."""
    version = (await session.execute(_RECORD_CHANGE, {
        "kind": kind, "shop_id": shop_id, "user_id": user_id})).scalar_one()
    session.info.setdefault(PENDING_KEY, []).append(version)
    return int(version)


async def fetch_version(conn: AsyncConnection) -> int:
    return int((await conn.execute(text("SELECT version FROM authz_state WHERE id = 1"))).scalar_one())


async def fetch_changes_since(conn: AsyncConnection, version: int,
                              limit: int) -> list[JournalEntry]:
    rows = await conn.execute(
        text(
            "SELECT version, kind, shop_id, user_id FROM authz_changes "
            "WHERE version > :version ORDER BY version LIMIT :limit"
        ),
        {"version": version, "limit": limit},
    )
    return [
        JournalEntry(
            int(r.version), r.kind, str(r.shop_id) if r.shop_id else None,
            str(r.user_id) if r.user_id else None,
        )
        for r in rows
    ]


async def prune_journal(conn: AsyncConnection, keep_seconds: int) -> int:
    """Drop journal rows older than ``keep_seconds``, keeping the newest row always."""
    result = await conn.execute(text(
        "DELETE FROM authz_changes WHERE created_at < now() - make_interval(secs => :keep) "
        "AND version < (SELECT max(version) FROM authz_changes)"), {"keep": keep_seconds})
    return int(result.rowcount or 0)


async def fetch_policy_lines(conn: AsyncConnection) -> list[PolicyLine]:
    rows = await conn.execute(
        text("SELECT perm, role, cond FROM authz_role_permissions ORDER BY perm, role")
    )
    return [PolicyLine(r.perm, r.role, r.cond) for r in rows]


_SHOP_COLUMNS = "id, status, wechat_bound, policy_version"
# The user's live signed-out sessions travel with the user's row, as one array.
_USER_COLUMNS = (
    "id, platform_role, is_active, sessions_valid_after, ARRAY(SELECT r.family_id::text "
    "FROM revoked_sessions r WHERE r.user_id = users.id AND r.expires_at > now()) AS revoked")


def _shop(row) -> ShopState:  # type: ignore[no-untyped-def]
    return ShopState(str(row.id), row.status, row.wechat_bound, int(row.policy_version))


def _user(row) -> UserState:  # type: ignore[no-untyped-def]
    return UserState(str(row.id), row.platform_role, row.is_active, row.sessions_valid_after,
                     frozenset(row.revoked or ()))


async def fetch_shop(conn: AsyncConnection, shop_id: str) -> tuple[ShopState | None, dict[str, str]]:
    """A shop's state and its active members (user id → role)."""
    row = (
        await conn.execute(text(f"SELECT {_SHOP_COLUMNS} FROM shops WHERE id = :id"), {"id": shop_id})
    ).first()
    if row is None:
        return None, {}
    members = await conn.execute(
        text("SELECT user_id, role FROM authz_shop_groupings(:id)"), {"id": shop_id}
    )
    return _shop(row), {str(m.user_id): m.role for m in members}


async def fetch_user(conn: AsyncConnection, user_id: str) -> UserState | None:
    row = (
        await conn.execute(text(f"SELECT {_USER_COLUMNS} FROM users WHERE id = :id"), {"id": user_id})
    ).first()
    return _user(row) if row else None


_BATCH = 1000


async def iter_shops(conn: AsyncConnection) -> AsyncIterator[list[ShopState]]:
    result = await conn.stream(text(f"SELECT {_SHOP_COLUMNS} FROM shops"))
    async for batch in result.partitions(_BATCH):
        yield [_shop(row) for row in batch]


async def iter_users(conn: AsyncConnection) -> AsyncIterator[list[UserState]]:
    """Only users the guard must know about: firm roles, deactivated, logged out everywhere,
    or with a signed-out session whose access tokens have not all expired."""
    result = await conn.stream(
        text(
            f"SELECT {_USER_COLUMNS} FROM users WHERE platform_role IS NOT NULL "
            "OR NOT is_active OR sessions_valid_after IS NOT NULL OR id IN (SELECT user_id "
            "FROM revoked_sessions WHERE expires_at > now())"
        )
    )
    async for batch in result.partitions(_BATCH):
        yield [_user(row) for row in batch]


async def iter_groupings(conn: AsyncConnection) -> AsyncIterator[list[tuple[str, str, str]]]:
    """Every active (user, role, shop) grouping, in batches so the event loop keeps moving."""
    result = await conn.stream(text("SELECT shop_id, user_id, role FROM authz_all_groupings()"))
    async for batch in result.partitions(_BATCH):
        yield [(str(r.user_id), r.role, str(r.shop_id)) for r in batch]


async def sync_role_permissions(conn: asyncpg.Connection) -> bool:
    """Make the stored ``p`` lines equal to the catalog's; journal a change if they differ."""
    wanted = {(line.perm, line.role): line.cond for line in policy_lines()}
    stored = {
        (r["perm"], r["role"]): r["cond"]
        for r in await conn.fetch("SELECT perm, role, cond FROM authz_role_permissions")
    }
    if wanted == stored:
        return False
    stale = [key for key in stored if key not in wanted]
    if stale:
        await conn.executemany(
            "DELETE FROM authz_role_permissions WHERE perm = $1 AND role = $2", stale
        )
    await conn.executemany(
        "INSERT INTO authz_role_permissions (perm, role, cond) VALUES ($1, $2, $3) "
        "ON CONFLICT (perm, role) DO UPDATE SET cond = EXCLUDED.cond",
        [(perm, role, cond) for (perm, role), cond in wanted.items() if stored.get((perm, role)) != cond],
    )
    await conn.fetchval("SELECT authz_record_change('policy', NULL, NULL)")
    return True

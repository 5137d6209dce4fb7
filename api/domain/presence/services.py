"""Presence: online, busy or offline per staff member per shop, kept in PostgreSQL.

No row means offline (the seed: the workspace opens 离线 until the agent goes 在线). A
presence set ``via`` a live-stream tool lasts only while the tool keeps refreshing it: once
``refreshed_at`` is older than ``live_ttl_seconds`` every reader treats it as offline. That
is computed in SQL at read time (``EFFECTIVE``), so no sweeper has to run for the rule to
hold in every process at once.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.events.outbox import emit
from api.domain.presence.schemas import PresenceRead, PresenceStatus, PresenceVia
from api.domain.presence.signals import PresenceChanged
from api.errors import ApiError
from api.pagination import Page, decode_cursor, encode_cursor, invalid_cursor
from api.signals import publish
from rbac.catalog import MATRIX, Cell

__all__ = ["EFFECTIVE", "WORKSPACE_ROLES", "effective_status", "list_presence",
           "require_available", "set_presence"]

# The roles that work in the workspace (cs:workspace in roles.md): who can get conversations.
WORKSPACE_ROLES: list[str] = sorted(role.value for role, cell in MATRIX["cs:workspace"].items()
                                    if cell is Cell.ALLOWED)
# A presence row ``p`` as readers must see it; needs the :live_ttl parameter.
EFFECTIVE = ("CASE WHEN p.status IS NULL THEN 'offline' "
             "WHEN p.via = 'live' AND p.refreshed_at < now() - make_interval(secs => :live_ttl) "
             "THEN 'offline' ELSE p.status END")

_ONE = text(f"SELECT {EFFECTIVE} AS status FROM staff_presence p "
            "WHERE p.shop_id = :shop_id AND p.user_id = :user_id")
_UPSERT = text(
    "INSERT INTO staff_presence AS p (shop_id, user_id, status, via) "
    "VALUES (:shop_id, :user_id, :status, :via) ON CONFLICT (shop_id, user_id) DO UPDATE SET "
    "status = EXCLUDED.status, via = EXCLUDED.via, refreshed_at = now(), "
    "changed_at = CASE WHEN :changed THEN now() ELSE p.changed_at END "
    "RETURNING p.user_id, p.status, p.via, p.refreshed_at, p.changed_at")


async def effective_status(session: AsyncSession, shop_id: uuid.UUID, user_id: uuid.UUID,
                           live_ttl: float) -> PresenceStatus:
    status = (await session.execute(_ONE, {"shop_id": shop_id, "user_id": user_id,
                                           "live_ttl": live_ttl})).scalar_one_or_none()
    return PresenceStatus(status or PresenceStatus.OFFLINE)


async def require_available(session: AsyncSession, shop_id: uuid.UUID, user_id: uuid.UUID,
                            live_ttl: float) -> None:
    """Refuse an offline staff member (online and busy may work and reply)."""
    if await effective_status(session, shop_id, user_id, live_ttl) is PresenceStatus.OFFLINE:
        raise ApiError.forbidden("presence.offline",
                                 "You are offline: go online to work on conversations.")


async def set_presence(session: AsyncSession, shop_id: uuid.UUID, user_id: uuid.UUID,
                       status: PresenceStatus, via: PresenceVia, live_ttl: float) -> PresenceRead:
    """Set (or refresh) the caller's presence; a change is published, then announced.

    Subscribers of ``PresenceChanged`` run first (the workspace hands a member who comes
    online waiting conversations); the staff event is appended last, after their locks.
    """
    before = await effective_status(session, shop_id, user_id, live_ttl)
    row = (await session.execute(_UPSERT, {
        "shop_id": shop_id, "user_id": user_id, "status": status.value, "via": via.value,
        "changed": before is not status})).one()
    if before is not status:
        await publish(session, PresenceChanged(shop_id, user_id, status.value, before.value))
        await emit(session, shop_id, "presence.changed",
                   {"user_id": str(user_id), "status": status.value, "via": via.value,
                    "previous": before.value})
    return PresenceRead(user_id=row.user_id, status=PresenceStatus(row.status),
                        via=PresenceVia(row.via), refreshed_at=row.refreshed_at,
                        changed_at=row.changed_at)


async def list_presence(session: AsyncSession, shop_id: uuid.UUID, live_ttl: float, *,
                        limit: int, cursor: str | None) -> Page[PresenceRead]:
    """Every active workspace member's effective presence, by user id."""
    params: dict[str, Any] = {"shop_id": shop_id, "live_ttl": live_ttl, "limit": limit + 1,
                              "roles": WORKSPACE_ROLES}
    after = decode_cursor(cursor, 1)
    where = ""
    if after is not None:
        try:
            params["after"] = uuid.UUID(str(after[0]))
        except ValueError as exc:
            raise invalid_cursor() from exc
        where = "AND m.user_id > :after "
    rows = (await session.execute(text(
        f"SELECT m.user_id, {EFFECTIVE} AS status, coalesce(p.via, 'workspace') AS via, "
        "p.refreshed_at, p.changed_at FROM shop_members m "
        "LEFT JOIN staff_presence p ON p.shop_id = m.shop_id AND p.user_id = m.user_id "
        "WHERE m.shop_id = :shop_id AND m.status = 'active' AND m.role = ANY(:roles) "
        f"{where}ORDER BY m.user_id LIMIT :limit"), params)).all()
    items = [PresenceRead(user_id=r.user_id, status=PresenceStatus(r.status),
                          via=PresenceVia(r.via), refreshed_at=r.refreshed_at,
                          changed_at=r.changed_at) for r in rows[:limit]]
    more = len(rows) > limit
    return Page(items=items,
                next_cursor=encode_cursor([str(items[-1].user_id)]) if more and items else None)

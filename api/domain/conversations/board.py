"""The live queue board (``cs:supervise``): how the shop's workspace stands right now."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.conversations.schemas import QueueBoard
from api.domain.presence.services import EFFECTIVE, WORKSPACE_ROLES

__all__ = ["queue_board"]

# Conversations not resolved: the partial index on (shop_id, assignee_id) covers them.
_CONVERSATIONS = text(
    "SELECT count(*) FILTER (WHERE assignee_id IS NULL) AS waiting, "
    "min(cycle_started_at) FILTER (WHERE assignee_id IS NULL) AS oldest_waiting_since, "
    "count(*) FILTER (WHERE status = 'open') AS open, "
    "count(*) FILTER (WHERE status = 'pending') AS pending "
    "FROM conversations WHERE shop_id = :shop_id AND status <> 'resolved'")
_STAFF = text(
    f"SELECT {EFFECTIVE} AS status, count(*) AS n FROM shop_members m "
    "LEFT JOIN staff_presence p ON p.shop_id = m.shop_id AND p.user_id = m.user_id "
    "WHERE m.shop_id = :shop_id AND m.status = 'active' AND m.role = ANY(:roles) GROUP BY 1")


async def queue_board(session: AsyncSession, shop_id: uuid.UUID, live_ttl: float) -> QueueBoard:
    """Waiting, open and pending conversations, and how many staff are online, busy, offline."""
    row = (await session.execute(_CONVERSATIONS, {"shop_id": shop_id})).one()
    staff = {r.status: r.n for r in (await session.execute(_STAFF, {
        "shop_id": shop_id, "roles": WORKSPACE_ROLES, "live_ttl": live_ttl})).all()}
    return QueueBoard(waiting=row.waiting, oldest_waiting_since=row.oldest_waiting_since,
                      open=row.open, pending=row.pending, staff_online=staff.get("online", 0),
                      staff_busy=staff.get("busy", 0), staff_offline=staff.get("offline", 0))

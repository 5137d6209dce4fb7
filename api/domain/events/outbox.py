"""The shop's event log: written in the transaction of the change that causes it.

It is the outbox every consumer reads: the staff's live stream, integration keys with
``events:read``, and webhook delivery. ``seq`` is per shop and handed out under the row lock
of the shop's counter, so within a shop commit order equals ``seq`` order: a reader that
resumes after ``seq`` N never misses an event that commits later with a smaller number. A
NOTIFY (sent at commit, dropped on rollback) wakes readers; the table is the truth.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from api.db.raw import Sql
from api.domain.audit.services import INSERT_SQL

__all__ = ["EVENTS_CHANNEL", "EmittedEvent", "emit"]

EVENTS_CHANNEL = "shopdesk_events"

# One round trip: the counter's next seq (its row lock held until commit), the event row,
# and the NOTIFY (queued for commit, dropped on rollback) for that seq.
_WITH = (
    "WITH n AS (INSERT INTO shop_event_counters AS c (shop_id, last_seq) VALUES (:shop_id, 1) "
    "ON CONFLICT (shop_id) DO UPDATE SET last_seq = c.last_seq + 1 RETURNING c.last_seq), "
    "e AS (INSERT INTO events (shop_id, seq, id, type, permission, subject_user_id, data) "
    "SELECT :shop_id, n.last_seq, :id, :type, :permission, :subject, CAST(:data AS jsonb) "
    "FROM n RETURNING seq) ")
_SELECT = "SELECT e.seq, pg_notify(:channel, :prefix || e.seq::text) FROM e"
_EMIT = Sql(_WITH + _SELECT)
# The same, and the change's audit entry: the shop's counter lock and its audit chain lock
# are then both taken in the transaction's last statement, held only until its commit.
_EMIT_AUDITED = Sql(_WITH + ", a AS (" + INSERT_SQL + ") " + _SELECT)


@dataclass(frozen=True, slots=True)
class EmittedEvent:
    shop_id: uuid.UUID
    seq: int
    id: uuid.UUID
    type: str


async def emit(session: AsyncSession | AsyncConnection, shop_id: uuid.UUID, type_: str,
               data: dict[str, Any], *, permission: str = "cs:workspace",
               subject_user_id: uuid.UUID | None = None,
               audit: dict[str, Any] | None = None) -> EmittedEvent:
    """Append one event to ``shop_id``'s log in the caller's transaction.

    ``permission`` is what a staff member needs to see it on the live stream;
    ``subject_user_id`` narrows it to the one member it concerns unless the reader has
    ``cs:supervise`` (an agent sees the queue and their own conversations). The caller's
    transaction must be bound to ``shop_id``. ``audit`` (``audit.services.entry_params``)
    appends that audit entry in the same round trip.
    """
    event_id = uuid.uuid4()
    seq = await (_EMIT if audit is None else _EMIT_AUDITED).scalar(session, {
        **(audit or {}),
        "shop_id": shop_id, "id": event_id, "type": type_, "permission": permission,
        "subject": subject_user_id, "data": json.dumps(data, separators=(",", ":"), default=str),
        "channel": EVENTS_CHANNEL, "prefix": f"{shop_id}:",
    })
    return EmittedEvent(shop_id, seq, event_id, type_)

"""Who works on a conversation: claims, automatic assignment, transfers, shop settings.

Lock order, everywhere: the conversation's row first, then the shop's workspace settings
row (the lock that serialises automatic assignment and its capacity counts), then the event
and audit logs at the very end. A claim is one conditional UPDATE: of two concurrent claims
the second waits on the row, re-reads it as committed, finds it claimed and gets a 409.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.db.raw import Sql
from api.domain.audit import services as audit
from api.domain.audit.context import AuditContext
from api.domain.conversations import errors
from api.domain.conversations.announce import Announcements
from api.domain.conversations.deps import WorkspaceActor
from api.domain.conversations.enums import AssignmentMode
from api.domain.conversations.queries import COLUMNS, get_visible, to_read
from api.domain.conversations.schemas import (
    ConversationRead,
    TransferIn,
    WorkspaceSettingsIn,
    WorkspaceSettingsRead,
)
from api.domain.conversations.signals import ConversationAssigned
from api.domain.presence.schemas import PresenceStatus
from api.domain.presence.services import (
    EFFECTIVE,
    WORKSPACE_ROLES,
    effective_status,
    require_available,
)
from api.domain.presence.signals import PresenceChanged
from api.signals import publish

__all__ = ["DEFAULT_CAPACITY", "auto_assign", "claim", "configure", "escalate",
           "on_presence_changed", "read_settings", "transfer", "update_settings"]

DEFAULT_CAPACITY = 5  # open conversations per agent, until the shop sets its own
# How long a live-stream presence lasts without a refresh, for work that runs without a
# request (an SLA escalation found by the breach worker); set from settings at start.
_live_ttl_seconds = 120.0


def configure(*, live_ttl_seconds: float) -> None:
    global _live_ttl_seconds
    _live_ttl_seconds = live_ttl_seconds

_SETTINGS = Sql("SELECT assignment_mode, agent_capacity, last_assignee_id "
                 "FROM shop_workspace_settings WHERE shop_id = :shop_id")
_ENSURE_SETTINGS = Sql("INSERT INTO shop_workspace_settings (shop_id) VALUES (:shop_id) "
                        "ON CONFLICT (shop_id) DO NOTHING")
_MODE = Sql("SELECT assignment_mode FROM shop_workspace_settings WHERE shop_id = :shop_id")
_LOCK_SETTINGS = Sql("SELECT assignment_mode, agent_capacity, last_assignee_id "
                      "FROM shop_workspace_settings WHERE shop_id = :shop_id FOR UPDATE")
_CLAIM = Sql(
    "UPDATE conversations SET assignee_id = :user_id, assigned_at = now(), updated_at = now() "
    "WHERE shop_id = :shop_id AND id = :id AND assignee_id IS NULL AND status <> 'resolved' "
    f"RETURNING {COLUMNS}")
_STATUS_OF = Sql("SELECT status FROM conversations WHERE shop_id = :shop_id AND id = :id")
_ASSIGN = Sql(
    "UPDATE conversations SET assignee_id = :user_id, assigned_at = now(), updated_at = now() "
    f"WHERE shop_id = :shop_id AND id = :id RETURNING {COLUMNS}")
# Online (not busy) workspace staff under capacity, with their open conversation counts.
_CANDIDATES = Sql(
    "SELECT m.user_id, (SELECT count(*) FROM conversations c WHERE c.shop_id = m.shop_id "
    "  AND c.assignee_id = m.user_id AND c.status <> 'resolved') AS open_count "
    "FROM shop_members m JOIN staff_presence p ON p.shop_id = m.shop_id AND p.user_id = m.user_id "
    "WHERE m.shop_id = :shop_id AND m.status = 'active' AND m.role = ANY(:roles) "
    f"AND {EFFECTIVE} = 'online' ORDER BY m.user_id")
# An escalation moves the conversation only if nobody else moved it since the breach.
_ESCALATE = Sql(
    "UPDATE conversations SET assignee_id = :user_id, assigned_at = :at, updated_at = :at "
    "WHERE shop_id = :shop_id AND id = :id AND status <> 'resolved' "
    f"AND assignee_id IS NOT DISTINCT FROM :from_ RETURNING {COLUMNS}")
_REMEMBER = Sql("UPDATE shop_workspace_settings SET last_assignee_id = :user_id "
                 "WHERE shop_id = :shop_id")
# The waiting queue, oldest first, skipping conversations another change holds right now
# (an inbound message to it is assigning it already: never wait on it while holding the
# settings lock, which that change wants next).
_WAITING = Sql(
    f"SELECT {COLUMNS} FROM conversations WHERE shop_id = :shop_id AND assignee_id IS NULL "
    "AND status <> 'resolved' ORDER BY cycle_started_at, id LIMIT :limit FOR UPDATE SKIP LOCKED")
_OPEN_COUNT = Sql("SELECT count(*) FROM conversations WHERE shop_id = :shop_id "
                   "AND assignee_id = :user_id AND status <> 'resolved'")
_IS_STAFF = Sql("SELECT 1 FROM shop_members WHERE shop_id = :shop_id AND user_id = :user_id "
                 "AND status = 'active' AND role = ANY(:roles)")
_TRANSFER = Sql(
    "INSERT INTO conversation_transfers (shop_id, id, conversation_id, from_user_id, to_user_id, "
    "actor_id, reason) VALUES (:shop_id, :id, :conversation_id, :from_user_id, :to_user_id, "
    ":actor_id, :reason)")


async def read_settings(session: AsyncSession, shop_id: uuid.UUID) -> WorkspaceSettingsRead:
    row = await _SETTINGS.first(session, {"shop_id": shop_id})
    if row is None:
        return WorkspaceSettingsRead(assignment_mode=AssignmentMode.OFF,
                                     agent_capacity=DEFAULT_CAPACITY)
    return WorkspaceSettingsRead(assignment_mode=AssignmentMode(row.assignment_mode),
                                 agent_capacity=row.agent_capacity)


_UPDATE_SETTINGS = Sql(
    "UPDATE shop_workspace_settings SET assignment_mode = :mode, agent_capacity = :capacity, "
    "updated_at = now() WHERE shop_id = :shop_id")


async def update_settings(session: AsyncSession, shop_id: uuid.UUID, data: WorkspaceSettingsIn,
                          ctx: AuditContext) -> WorkspaceSettingsRead:
    await _ENSURE_SETTINGS.run(session, {"shop_id": shop_id})
    before = await _LOCK_SETTINGS.one(session, {"shop_id": shop_id})
    mode = data.assignment_mode or AssignmentMode(before.assignment_mode)
    capacity = data.agent_capacity or before.agent_capacity
    await _UPDATE_SETTINGS.run(session, {"shop_id": shop_id, "mode": mode.value,
        "capacity": capacity})
    await audit.record(session, ctx, shop_id=shop_id, action="workspace.settings_changed",
                       details={"assignment_mode": mode.value, "agent_capacity": capacity})
    return WorkspaceSettingsRead(assignment_mode=mode, agent_capacity=capacity)


async def _assigned(session: AsyncSession, ann: Announcements, row: Any,
                    previous: uuid.UUID | None, actor_id: uuid.UUID | None, reason: str) -> None:
    """Announce an assignment: the signal now, the events at the end of the change."""
    at: datetime = row.assigned_at
    await publish(session, ConversationAssigned(
        shop_id=ann.shop_id, conversation_id=row.id, cycle=row.cycle, assignee_id=row.assignee_id,
        previous_assignee_id=previous, at=at, actor_id=actor_id, reason=reason))
    data = {"conversation_id": str(row.id), "assignee_id": str(row.assignee_id),
            "previous_assignee_id": str(previous) if previous else None, "reason": reason}
    ann.staff("conversation.assigned", data, subject=row.assignee_id)
    if previous is not None:  # the previous assignee learns it left them
        ann.staff("conversation.unassigned", data, subject=previous)
    else:  # it left the waiting queue, which every agent watches
        ann.staff("conversation.dequeued", {"conversation_id": str(row.id), "reason": reason})


async def _available(session: AsyncSession, shop_id: uuid.UUID, capacity: int, live_ttl: float,
                     exclude: uuid.UUID | None = None) -> list[Any]:
    """Online workspace staff under ``capacity`` (a lapsed live presence is offline), by id."""
    return [c for c in await _CANDIDATES.all(session, shop_id=shop_id, roles=WORKSPACE_ROLES,
                                             live_ttl=live_ttl)
            if c.open_count < capacity and c.user_id != exclude]


def _least_loaded(candidates: list[Any]) -> uuid.UUID:
    return min(candidates, key=lambda c: (c.open_count, c.user_id)).user_id


async def auto_assign(session: AsyncSession, ann: Announcements, row: Any, live_ttl: float
                      ) -> Any | None:
    """Hand a waiting conversation (locked by the caller) to an online agent under capacity."""
    # A plain read first: with assignment off (the usual case) no inbound message takes the
    # shop-wide settings row lock, which would serialise the shop's whole ingestion.
    settings = await _MODE.first(session, {"shop_id": ann.shop_id})
    if settings is None or settings.assignment_mode == AssignmentMode.OFF:
        return None
    settings = await _LOCK_SETTINGS.first(session, {"shop_id": ann.shop_id})
    if settings is None or settings.assignment_mode == AssignmentMode.OFF:
        return None  # switched off meanwhile
    candidates = await _available(session, ann.shop_id, settings.agent_capacity, live_ttl)
    if not candidates:
        return None
    if settings.assignment_mode == AssignmentMode.LEAST_OPEN:
        chosen = _least_loaded(candidates)
    else:  # round robin: the next user id after the last one served, wrapping around
        last = settings.last_assignee_id
        later = [c.user_id for c in candidates if last is None or c.user_id > last]
        chosen = later[0] if later else candidates[0].user_id
    await _REMEMBER.run(session, {"shop_id": ann.shop_id, "user_id": chosen})
    assigned = await _ASSIGN.one(session, {"shop_id": ann.shop_id, "id": row.id,
                                                "user_id": chosen})
    await _assigned(session, ann, assigned, None, None, "auto")
    return assigned


async def escalate(session: AsyncSession, shop_id: uuid.UUID, conversation_id: uuid.UUID,
                   from_assignee: uuid.UUID | None, at: datetime) -> uuid.UUID | None:
    """Hand a breached conversation to someone else who can answer now (SLA escalation).

    The same rule as automatic assignment: online staff (a lapsed live-stream presence is
    offline) under the shop's capacity, the least loaded first; never the member it is
    taken from. Announced like any assignment (``conversation.assigned`` to the new
    assignee, ``conversation.unassigned`` to the previous one). ``None`` when nobody can take
    it, or a change since the breach already moved it.
    """
    settings = await _SETTINGS.first(session, shop_id=shop_id)
    capacity = settings.agent_capacity if settings is not None else DEFAULT_CAPACITY
    candidates = await _available(session, shop_id, capacity, _live_ttl_seconds,
                                  exclude=from_assignee)
    if not candidates:
        return None
    chosen = _least_loaded(candidates)
    row = await _ESCALATE.first(session, shop_id=shop_id, id=conversation_id, user_id=chosen,
                                from_=from_assignee, at=at)
    if row is None:
        return None
    ann = Announcements(shop_id)
    await _assigned(session, ann, row, from_assignee, None, "escalation")
    await ann.flush(session)
    return chosen


async def claim(session: AsyncSession, actor: WorkspaceActor, conversation_id: uuid.UUID
                ) -> ConversationRead:
    """Take a waiting conversation; of concurrent claims exactly one wins."""
    await require_available(session, actor.shop_id, actor.user_id, actor.live_ttl_seconds)
    row = await _CLAIM.first(session, {"shop_id": actor.shop_id, "id": conversation_id,
                                          "user_id": actor.user_id})
    if row is None:  # lost a race, or there was nothing to claim: say which
        current = await _STATUS_OF.first(session, {"shop_id": actor.shop_id,
                                                      "id": conversation_id})
        if current is None:
            raise errors.not_found()
        if current.status == "resolved":
            raise errors.resolved()
        raise errors.already_claimed()
    ann = Announcements(actor.shop_id)
    await _assigned(session, ann, row, None, actor.user_id, "claim")
    await ann.flush(session)
    return to_read(row)


async def transfer(session: AsyncSession, actor: WorkspaceActor, conversation_id: uuid.UUID,
                   data: TransferIn, ctx: AuditContext) -> ConversationRead:
    """Hand the conversation to another active staff member, with a reason.

    Your own conversation with ``cs:workspace``; anyone's (or a waiting one) with
    ``cs:supervise``. Offline staff get no conversations.
    """
    row = await get_visible(session, actor, conversation_id, lock=True)
    if row.status == "resolved":
        raise errors.resolved()
    if row.assignee_id != actor.user_id and not actor.supervisor:
        raise errors.supervise_required()
    if data.to_user_id == row.assignee_id:
        raise errors.transfer_to_self()
    staff = await _IS_STAFF.first(session, {"shop_id": actor.shop_id, "user_id": data.to_user_id,
                                               "roles": WORKSPACE_ROLES})
    if staff is None:
        raise errors.assignee_not_staff()
    presence = await effective_status(session, actor.shop_id, data.to_user_id,
                                      actor.live_ttl_seconds)
    if presence is PresenceStatus.OFFLINE:
        raise errors.assignee_offline()
    transfer_id = uuid.uuid4()
    await _TRANSFER.run(session, {
        "shop_id": actor.shop_id, "id": transfer_id, "conversation_id": row.id,
        "from_user_id": row.assignee_id, "to_user_id": data.to_user_id,
        "actor_id": actor.user_id, "reason": data.reason})
    assigned = await _ASSIGN.one(session, {"shop_id": actor.shop_id, "id": row.id,
                                                "user_id": data.to_user_id})
    ann = Announcements(actor.shop_id)
    reason = "transfer" if row.assignee_id == actor.user_id else "supervisor"
    await _assigned(session, ann, assigned, row.assignee_id, actor.user_id, reason)
    await ann.flush(session)
    await audit.record(session, ctx, shop_id=actor.shop_id, action="conversation.transferred",
                       target=str(row.id), details={
                           "from": str(row.assignee_id) if row.assignee_id else None,
                           "to": str(data.to_user_id), "reason": data.reason,
                           "transfer_id": str(transfer_id)})
    return to_read(assigned)


async def on_presence_changed(session: AsyncSession, signal: PresenceChanged) -> None:
    """Coming online, with automatic assignment on, takes waiting conversations."""
    if signal.status != PresenceStatus.ONLINE:
        return
    ann = Announcements(signal.shop_id)
    await _fill_from_queue(session, ann, signal.user_id)
    await ann.flush(session)


async def _fill_from_queue(session: AsyncSession, ann: Announcements, user_id: uuid.UUID) -> None:
    settings = await _LOCK_SETTINGS.first(session, {"shop_id": ann.shop_id})
    if settings is None or settings.assignment_mode == AssignmentMode.OFF:
        return
    room = settings.agent_capacity - await _OPEN_COUNT.scalar(session, shop_id=ann.shop_id,
                                                              user_id=user_id)
    if room <= 0:
        return
    for row in await _WAITING.all(session, {"shop_id": ann.shop_id, "limit": room}):
        assigned = await _ASSIGN.one(session, {"shop_id": ann.shop_id, "id": row.id,
                                                    "user_id": user_id})
        await _assigned(session, ann, assigned, None, None, "auto")
    await _REMEMBER.run(session, {"shop_id": ann.shop_id, "user_id": user_id})

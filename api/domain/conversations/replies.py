"""Staff at work on a conversation: public replies, internal notes, status changes.

Each locks the conversation's row first, so replies, inbound messages and status changes
of one conversation run one at a time and ``seq`` stays gapless.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.db.raw import Sql
from api.domain.conversations import errors
from api.domain.conversations.announce import Announcements
from api.domain.conversations.deps import WorkspaceActor
from api.domain.conversations.enums import TRANSITIONS, AuthorKind, ConversationStatus, Visibility
from api.domain.conversations.messages import attachments_of, outbound, store
from api.domain.conversations.queries import (
    COLUMNS,
    ensure_workable,
    get_visible,
    message_read,
    to_read,
)
from api.domain.conversations.schemas import (
    ConversationNoteIn,
    ConversationRead,
    MessageRead,
    ReplyIn,
)
from api.domain.conversations.signals import ConversationStatusChanged
from api.domain.customers.enums import Channel
from api.domain.presence.services import require_available
from api.signals import publish

__all__ = ["WECHAT_WINDOW", "add_note", "change_status", "reply"]

# WeChat lets a service account message a follower only within 48 hours of the follower's
# last message (seed 000, 微信客户).
WECHAT_WINDOW = timedelta(hours=48)
_NOW = Sql("SELECT now()")
_AFTER_STAFF = Sql(
    "UPDATE conversations SET last_message_seq = :seq, updated_at = :at, "
    "waiting_since = CASE WHEN :public THEN NULL ELSE waiting_since END "
    "WHERE shop_id = :shop_id AND id = :id")
_MESSAGE = Sql("SELECT id, conversation_id, seq, cycle, channel, author_kind, visibility, "
                "author_id, body, attachments, channel_message_id, created_at FROM messages "
                "WHERE shop_id = :shop_id AND id = :id")
_STATUS = Sql(
    "UPDATE conversations SET status = :status, updated_at = now(), "
    "resolved_at = CASE WHEN :status = 'resolved' THEN now() ELSE NULL END, "
    "waiting_since = CASE WHEN :status = 'resolved' THEN NULL ELSE waiting_since END "
    f"WHERE shop_id = :shop_id AND id = :id RETURNING {COLUMNS}")


async def _write(session: AsyncSession, actor: WorkspaceActor, row: Any, visibility: Visibility,
                 body: str, attachments: list[dict[str, Any]]) -> MessageRead:
    ann = Announcements(actor.shop_id)
    stored = await store(session, ann, row, author_kind=AuthorKind.STAFF, body=body,
                         attachments=attachments, seq=row.last_message_seq + 1,
                         visibility=visibility, author_id=actor.user_id)
    assert stored is not None  # no channel message id: nothing to collide with
    public = visibility is Visibility.PUBLIC
    await _AFTER_STAFF.run(session, {"shop_id": actor.shop_id, "id": row.id, "seq": stored.seq,
                                         "at": stored.created_at, "public": public})
    if public:
        await outbound(session, ann, row, stored, AuthorKind.STAFF, body, attachments)
    await ann.flush(session)
    return message_read(await _MESSAGE.one(session, {"shop_id": actor.shop_id,
                                                          "id": stored.id}))


async def reply(session: AsyncSession, actor: WorkspaceActor, conversation_id: uuid.UUID,
                data: ReplyIn) -> MessageRead:
    """A public reply to the customer, delivered by the shop's systems (``message.outbound``)."""
    row = await get_visible(session, actor, conversation_id, lock=True)
    if row.status == ConversationStatus.RESOLVED:
        raise errors.resolved()
    ensure_workable(actor, row)
    await require_available(session, actor.shop_id, actor.user_id, actor.live_ttl_seconds)
    if not data.text and not data.attachments:
        raise errors.empty_message()
    attachments = attachments_of(data.attachments)
    if row.channel == Channel.WECHAT:
        now: datetime = await _NOW.scalar(session)
        last = row.last_customer_message_at
        if last is None or now - last > WECHAT_WINDOW:
            raise errors.wechat_window_closed()
    return await _write(session, actor, row, Visibility.PUBLIC, data.text, attachments)


async def add_note(session: AsyncSession, actor: WorkspaceActor, conversation_id: uuid.UUID,
                   data: ConversationNoteIn) -> MessageRead:
    """An internal note: staff only, never shown to the customer or sent to the shop's systems.

    Allowed on resolved conversations too (notes after the fact), and offline.
    """
    row = await get_visible(session, actor, conversation_id, lock=True)
    if row.status != ConversationStatus.RESOLVED:
        ensure_workable(actor, row)
    return await _write(session, actor, row, Visibility.NOTE, data.text, [])


async def change_status(session: AsyncSession, actor: WorkspaceActor, conversation_id: uuid.UUID,
                        status: ConversationStatus) -> ConversationRead:
    """open → pending (waiting on the customer) → resolved; only the customer reopens."""
    row = await get_visible(session, actor, conversation_id, lock=True)
    old = ConversationStatus(row.status)
    if old is status:
        raise errors.status_unchanged(status.value)
    if status not in TRANSITIONS[old]:
        raise errors.invalid_transition(old.value, status.value)
    ensure_workable(actor, row)
    changed = await _STATUS.one(session, {"shop_id": actor.shop_id, "id": row.id,
                                               "status": status.value})
    await publish(session, ConversationStatusChanged(
        shop_id=actor.shop_id, conversation_id=row.id, cycle=row.cycle, old_status=old.value,
        new_status=status.value, at=changed.updated_at, actor_id=actor.user_id))
    ann = Announcements(actor.shop_id)
    ann.staff("conversation.status_changed", {"conversation_id": str(row.id), "from": old.value,
                                              "to": status.value}, subject=row.assignee_id)
    await ann.flush(session)
    return to_read(changed)

"""Storing one message in a conversation the caller has locked, and announcing it."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from api.db.raw import Sql
from api.domain.conversations import errors
from api.domain.conversations.announce import Announcements
from api.domain.conversations.enums import AuthorKind, Visibility
from api.domain.conversations.schemas import AttachmentIn
from api.domain.conversations.signals import MessageRecorded
from api.domain.customers.services import external_id_of
from api.signals import publish

__all__ = ["StoredMessage", "attachments_of", "outbound", "store"]

# clock_timestamp(), not now(): under the conversation's lock, message times then follow seq.
_INSERT = Sql(
    "INSERT INTO messages (shop_id, id, conversation_id, seq, cycle, channel, author_kind, "
    "visibility, author_id, body, attachments, channel_message_id, created_at) VALUES "
    "(:shop_id, :id, :conversation_id, :seq, :cycle, :channel, :author_kind, :visibility, "
    ":author_id, :body, CAST(:attachments AS jsonb), :channel_message_id, clock_timestamp()) "
    "ON CONFLICT (shop_id, channel, channel_message_id) WHERE channel_message_id IS NOT NULL "
    "DO NOTHING RETURNING id, seq, created_at")


def attachments_of(items: list[AttachmentIn]) -> list[dict[str, Any]]:
    """Attachments as stored: only http(s) URLs to a named host, without credentials."""
    stored = []
    for item in items:
        try:
            parts = urlsplit(item.url)
            host = parts.hostname
        except ValueError as exc:
            raise errors.invalid_attachment("unparsable URL") from exc
        if parts.scheme not in ("http", "https") or not host:
            raise errors.invalid_attachment("the URL needs http(s) and a host")
        if parts.username is not None or parts.password is not None:
            raise errors.invalid_attachment("the URL must not carry credentials")
        stored.append({"url": item.url, "name": item.name, "content_type": item.content_type,
                       "size_bytes": item.size_bytes})
    return stored


class StoredMessage:
    __slots__ = ("created_at", "id", "seq")

    def __init__(self, id_: uuid.UUID, seq: int, created_at: Any) -> None:
        self.id, self.seq, self.created_at = id_, seq, created_at


async def store(session: AsyncSession, ann: Announcements, conversation: Any, *,
                author_kind: AuthorKind, body: str, attachments: list[dict[str, Any]],
                seq: int, visibility: Visibility = Visibility.PUBLIC,
                author_id: uuid.UUID | None = None, channel_message_id: str | None = None,
                message_id: uuid.UUID | None = None) -> StoredMessage | None:
    """Insert one message at ``seq`` (the caller holds the conversation's row lock).

    ``None`` when ``channel_message_id`` is already taken. Publishes ``MessageRecorded`` and
    gathers the staff event; the caller updates the conversation's counters.
    """
    row = await _INSERT.first(session, {
        "shop_id": ann.shop_id, "id": message_id or uuid.uuid4(), "conversation_id": conversation.id,
        "seq": seq, "cycle": conversation.cycle, "channel": conversation.channel,
        "author_kind": author_kind.value, "visibility": visibility.value, "author_id": author_id,
        "body": body, "attachments": json.dumps(attachments), "channel_message_id": channel_message_id,
    })
    if row is None:
        return None
    await publish(session, MessageRecorded(
        shop_id=ann.shop_id, conversation_id=conversation.id, message_id=row.id,
        cycle=conversation.cycle, channel=conversation.channel, priority=conversation.priority,
        author_kind=author_kind.value, visibility=visibility.value, author_id=author_id,
        assignee_id=conversation.assignee_id, at=row.created_at))
    ann.staff("message.created", {
        "conversation_id": str(conversation.id), "message_id": str(row.id), "seq": row.seq,
        "author_kind": author_kind.value, "visibility": visibility.value,
        "author_id": str(author_id) if author_id else None, "channel": conversation.channel,
        "body": body, "attachments": attachments, "created_at": row.created_at.isoformat(),
    }, subject=conversation.assignee_id)
    return StoredMessage(row.id, row.seq, row.created_at)


async def outbound(session: AsyncSession, ann: Announcements, conversation: Any,
                   message: StoredMessage, author_kind: AuthorKind, body: str,
                   attachments: list[dict[str, Any]]) -> None:
    """What the shop's systems must deliver to the customer: public replies only."""
    external_id = await external_id_of(session, ann.shop_id, conversation.customer_id,
                                       conversation.channel)
    ann.integration("message.outbound", {
        "conversation_id": str(conversation.id), "message_id": str(message.id),
        "seq": message.seq, "channel": conversation.channel,
        "customer_id": str(conversation.customer_id), "customer_external_id": external_id,
        "author_kind": author_kind.value, "body": body, "attachments": attachments,
        "created_at": message.created_at.isoformat(),
    })

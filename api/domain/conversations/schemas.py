"""Workspace payloads: inbound messages, replies, notes, transfers, statuses, settings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec

from api.domain.conversations.enums import AssignmentMode, ConversationStatus
from api.domain.customers.schemas import CHANNEL_NAME, EXTERNAL_ID, NO_NUL

__all__ = [
    "MAX_ATTACHMENTS", "AttachmentIn", "ConversationRead", "InboundAnswer", "InboundMessage",
    "MessageRead", "ConversationNoteIn", "QueueBoard", "ReplyIn", "StatusChange", "TransferIn", "TransferRead",
    "WorkspaceSettingsIn", "WorkspaceSettingsRead",
]

MAX_ATTACHMENTS = 10
BODY = Annotated[str, msgspec.Meta(max_length=4000, pattern=NO_NUL)]


class AttachmentIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A file the channel already hosts: ShopDesk keeps its URL, never the bytes."""

    url: Annotated[str, msgspec.Meta(min_length=8, max_length=2048, pattern=r"^https?://\S+$")]
    name: Annotated[str, msgspec.Meta(max_length=255, pattern=NO_NUL)] = ""
    # ASCII spelled out: ``\w`` is Unicode in Python but ASCII in a client's regex.
    content_type: Annotated[str, msgspec.Meta(
        max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.+-]*/[A-Za-z0-9_.+-]+$")] | None = None
    size_bytes: Annotated[int, msgspec.Meta(ge=0, le=100 * 1024 * 1024)] | None = None


ATTACHMENTS = Annotated[list[AttachmentIn], msgspec.Meta(max_length=MAX_ATTACHMENTS)]


class InboundMessage(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One customer message from a shop's channel (its own message id makes it idempotent)."""

    channel: CHANNEL_NAME
    customer_external_id: EXTERNAL_ID
    channel_message_id: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=NO_NUL)]
    text: BODY = ""
    attachments: ATTACHMENTS = msgspec.field(default_factory=list)
    customer_display_name: Annotated[str, msgspec.Meta(max_length=200, pattern=NO_NUL)] | None = None


class InboundAnswer(msgspec.Struct, kw_only=True):
    """The same for a first delivery and every redelivery of one channel message."""

    message_id: uuid.UUID
    conversation_id: uuid.UUID
    customer_id: uuid.UUID
    seq: int
    cycle: int
    created_at: datetime


class ReplyIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    text: BODY = ""
    attachments: ATTACHMENTS = msgspec.field(default_factory=list)


class ConversationNoteIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=4000, pattern=NO_NUL)]


class StatusChange(msgspec.Struct, forbid_unknown_fields=True):
    status: ConversationStatus


class TransferIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    to_user_id: uuid.UUID
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=r"^[^\x00]*\S[^\x00]*$")]


class TransferRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    conversation_id: uuid.UUID
    from_user_id: uuid.UUID | None
    to_user_id: uuid.UUID
    reason: str
    created_at: datetime


# ConversationRead and MessageRead are built positionally from records on the hot reads (ten
# times cheaper than keywords): their field order is the SELECT's column order, which
# ``api.domain.conversations.queries`` checks at import.
class ConversationRead(msgspec.Struct):
    id: uuid.UUID
    customer_id: uuid.UUID
    channel: str
    status: str
    priority: str
    assignee_id: uuid.UUID | None
    cycle: int
    cycle_started_at: datetime
    last_message_seq: int
    last_customer_message_at: datetime | None
    waiting_since: datetime | None
    assigned_at: datetime | None
    resolved_at: datetime | None
    created_at: datetime
    updated_at: datetime
    seconds_to_breach: float | None = None


class MessageRead(msgspec.Struct):
    id: uuid.UUID
    conversation_id: uuid.UUID
    seq: int
    cycle: int
    channel: str
    author_kind: str
    visibility: str
    author_id: uuid.UUID | None
    body: str
    attachments: list[dict[str, Any]]
    channel_message_id: str | None
    created_at: datetime


class WorkspaceSettingsIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    assignment_mode: AssignmentMode | None = None
    agent_capacity: Annotated[int, msgspec.Meta(ge=1, le=500)] | None = None


class WorkspaceSettingsRead(msgspec.Struct, kw_only=True):
    assignment_mode: AssignmentMode
    agent_capacity: int


class QueueBoard(msgspec.Struct, kw_only=True):
    waiting: int  # unclaimed and not resolved: the queue's length
    oldest_waiting_since: datetime | None
    open: int
    pending: int
    staff_online: int
    staff_busy: int
    staff_offline: int

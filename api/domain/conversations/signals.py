"""What the workspace announces, in the transaction of the change (see ``api.signals``).

The SLA clocks subscribe to these; so may anything else that must change atomically with a
conversation. Times are the database's (``messages.created_at`` and the like), timezone-aware.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

__all__ = ["ConversationAssigned", "ConversationStatusChanged", "CycleStarted", "MessageRecorded"]


@dataclass(frozen=True, slots=True)
class CycleStarted:
    """A conversation opened (cycle 1), or a resolved one was reopened by the customer."""

    shop_id: uuid.UUID
    conversation_id: uuid.UUID
    cycle: int
    channel: str
    priority: str
    at: datetime
    created_at: datetime  # when the conversation itself was created
    cause_message_id: uuid.UUID | None
    reopened: bool


@dataclass(frozen=True, slots=True)
class MessageRecorded:
    """One message stored: customer, staff (public or note), automatic or system."""

    shop_id: uuid.UUID
    conversation_id: uuid.UUID
    message_id: uuid.UUID
    cycle: int
    channel: str
    priority: str
    author_kind: str  # customer | staff | automatic | system
    visibility: str  # public | note
    author_id: uuid.UUID | None
    assignee_id: uuid.UUID | None
    at: datetime

    @property
    def is_qualifying_reply(self) -> bool:
        """A public message by a human staff member (sla.md: qualifying reply)."""
        return self.author_kind == "staff" and self.visibility == "public"


@dataclass(frozen=True, slots=True)
class ConversationStatusChanged:
    shop_id: uuid.UUID
    conversation_id: uuid.UUID
    cycle: int
    old_status: str
    new_status: str  # open | pending | resolved
    at: datetime
    actor_id: uuid.UUID | None
    cause_message_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class ConversationAssigned:
    shop_id: uuid.UUID
    conversation_id: uuid.UUID
    cycle: int
    assignee_id: uuid.UUID | None
    previous_assignee_id: uuid.UUID | None
    at: datetime
    actor_id: uuid.UUID | None
    reason: str  # claim | auto | transfer | escalation | supervisor

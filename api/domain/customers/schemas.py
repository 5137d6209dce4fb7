"""Customer payloads: the upsert an integration sends, and what it gets back."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

__all__ = ["CHANNEL_NAME", "EXTERNAL_ID", "NO_NUL", "CustomerRead", "CustomerUpsert"]

# Text that reaches PostgreSQL must not hold NUL (it cannot store it: a 500 otherwise).
NO_NUL = r"^[^\x00]*$"
CHANNEL_NAME = Annotated[str, msgspec.Meta(min_length=1, max_length=20)]
EXTERNAL_ID = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=NO_NUL)]
DISPLAY_NAME = Annotated[str, msgspec.Meta(max_length=200, pattern=NO_NUL)]


class CustomerUpsert(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The customer behind one channel identity; ``customer_id`` links it to a known one."""

    channel: CHANNEL_NAME
    external_id: EXTERNAL_ID
    display_name: DISPLAY_NAME | None = None
    customer_id: uuid.UUID | None = None


class CustomerRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    display_name: str
    channel: str
    external_id: str
    created: bool  # this request created the customer
    created_at: datetime

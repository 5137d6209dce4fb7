from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

__all__ = ["EventRead"]


class EventRead(msgspec.Struct, kw_only=True):
    seq: int  # per shop; pass the last one seen as ``after`` (or Last-Event-ID on a stream)
    id: uuid.UUID
    type: str
    occurred_at: datetime
    data: dict[str, Any]

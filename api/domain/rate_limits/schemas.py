"""A shop's limits as the firm sets them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

__all__ = ["RateLimitsRead", "RateLimitsSet"]

COUNT = Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]


class RateLimitsSet(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    per_key: COUNT
    per_shop: COUNT
    window_seconds: Annotated[int, msgspec.Meta(ge=1, le=86_400)] = 60


class RateLimitsRead(msgspec.Struct, kw_only=True):
    per_key: int
    per_shop: int
    window_seconds: int
    custom: bool  # false: the deployment's defaults apply
    updated_by: uuid.UUID | None
    updated_at: datetime | None

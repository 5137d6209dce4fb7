from __future__ import annotations

from enum import StrEnum

__all__ = ["FollowUpStatus"]


class FollowUpStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"

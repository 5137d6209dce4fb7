"""A membership's statuses, as stored in ``shop_members.status``."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["MemberStatus"]


class MemberStatus(StrEnum):
    ACTIVE = "active"
    REMOVED = "removed"  # the row is kept: who was here, who removed them, when

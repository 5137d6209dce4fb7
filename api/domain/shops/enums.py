"""A shop's statuses, as stored in ``shops.status``."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ShopStatus"]


class ShopStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # shop roles match nothing (rbac reads the same strings)

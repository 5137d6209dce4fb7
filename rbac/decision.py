"""A single authorization decision and why it came out that way."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Decision", "Reason"]


class Reason(StrEnum):
    """Why a decision came out as it did. Auditors read these; the guard maps them to errors."""

    ALLOWED = "allowed"
    UNKNOWN_PERMISSION = "unknown_permission"
    UNKNOWN_SHOP = "unknown_shop"
    NOT_MEMBER = "not_member"
    SHOP_SUSPENDED = "shop_suspended"
    WEB_CLIENT_FOR_VERIFIER = "web_client_for_verifier"
    MOBILE_ONLY = "mobile_only"
    WECHAT_NOT_BOUND = "wechat_not_bound"
    PERMISSION_MISSING = "permission_missing"


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: Reason
    # The role that granted the permission, or the caller's role in the shop when denied.
    role: str | None = None
    # The Casbin policy line that allowed it: (perm, role, cond).
    rule: tuple[str, ...] | None = None
    # "shop" when a shop role decided, "firm" when a firm role did.
    via: str | None = None

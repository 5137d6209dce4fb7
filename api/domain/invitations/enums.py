"""An invitation's state, derived from its timestamps (nothing stores it twice)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["InvitationStatus"]


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    EXPIRED = "expired"

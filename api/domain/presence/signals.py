"""What presence announces in the transaction of the change (see ``api.signals``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

__all__ = ["PresenceChanged"]


@dataclass(frozen=True, slots=True)
class PresenceChanged:
    """A staff member's effective presence in a shop changed (not for a mere refresh)."""

    shop_id: uuid.UUID
    user_id: uuid.UUID
    status: str  # online | busy | offline
    previous: str

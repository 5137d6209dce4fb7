"""Presence payloads."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import msgspec

__all__ = ["PresenceIn", "PresenceRead", "PresenceStatus", "PresenceVia"]


class PresenceStatus(StrEnum):
    ONLINE = "online"
    BUSY = "busy"  # may work and reply; gets no new conversations
    OFFLINE = "offline"  # 离线: no assignment, no replies


class PresenceVia(StrEnum):
    WORKSPACE = "workspace"
    LIVE = "live"  # kept alive by refreshes from a live-stream tool; lapses to offline


class PresenceIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    status: PresenceStatus
    via: PresenceVia = PresenceVia.WORKSPACE


class PresenceRead(msgspec.Struct, kw_only=True):
    user_id: uuid.UUID
    status: PresenceStatus  # effective: a lapsed live presence reads offline
    via: PresenceVia
    refreshed_at: datetime | None
    changed_at: datetime | None

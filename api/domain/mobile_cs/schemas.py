from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from api.domain.desk_common.types import text

__all__ = ["MobileSettings", "MobileSettingsRead", "MobileSettingsWrite", "QuietHours"]

CLOCK = Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
                                    description="HH:MM in the shop's time zone")]
AWAY = text(500)


class QuietHours(msgspec.Struct, forbid_unknown_fields=True):
    start: CLOCK
    end: CLOCK


class MobileSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    enabled: bool = True
    push_notifications: bool = True
    sound: bool = True
    vibrate: bool = True
    # New conversations offered to the app at once, up to this many open at a time.
    auto_accept: bool = False
    max_concurrent: Annotated[int, msgspec.Meta(ge=1, le=50)] = 10
    away_message: AWAY = ""
    quiet_hours: QuietHours | None = None


class MobileSettingsWrite(msgspec.Struct, forbid_unknown_fields=True):
    version: Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)]
    settings: MobileSettings


class MobileSettingsRead(msgspec.Struct):
    settings: MobileSettings
    version: int
    updated_at: datetime | None
    updated_by: uuid.UUID | None

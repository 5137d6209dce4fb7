from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from api.domain.desk_common.types import text

__all__ = ["MarketingApp", "MarketingAppPush"]

APP_KEY = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,63}$",
                                      description="The app's key on the store")]
CONFIG_KEY = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,63}$")]
CONFIG_VALUE = Annotated[str, msgspec.Meta(max_length=500, pattern=r"^[^\x00]*$")] | \
    Annotated[int, msgspec.Meta(ge=-(2**53), le=2**53)] | bool | None
NAME = text(100, 1)


class MarketingAppPush(msgspec.Struct, forbid_unknown_fields=True):
    """The app as the store has it: a flat configuration of at most 50 settings."""

    app_key: APP_KEY
    name: NAME
    enabled: bool
    config: Annotated[dict[CONFIG_KEY, CONFIG_VALUE], msgspec.Meta(max_length=50)] = {}


class MarketingApp(msgspec.Struct):
    app_key: str
    name: str
    enabled: bool
    config: dict[str, str | int | bool | None]
    updated_at: datetime

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from api.domain.desk_common.types import PLATFORM_ID, check_utc_dates, text

__all__ = ["MentionPush", "MentionRead", "WeiboAccount", "WeiboAccountPush", "WeiboRead"]

UID = Annotated[str, msgspec.Meta(pattern=r"^[0-9A-Za-z_-]{1,64}$")]
SCREEN_NAME = text(100, 1)
AUTHOR = text(100, 1)
POST = text(2000, 1)


class WeiboAccountPush(msgspec.Struct, forbid_unknown_fields=True):
    weibo_uid: UID
    screen_name: SCREEN_NAME


class WeiboAccount(msgspec.Struct):
    weibo_uid: str
    screen_name: str
    bound_at: datetime
    updated_at: datetime


class WeiboRead(msgspec.Struct):
    bound: bool
    account: WeiboAccount | None
    mentions_total: int
    latest_mention_at: datetime | None


class MentionPush(msgspec.Struct, forbid_unknown_fields=True):
    platform_id: PLATFORM_ID
    author_name: AUTHOR
    body: POST
    posted_at: datetime

    def __post_init__(self) -> None:
        check_utc_dates(self)


class MentionRead(msgspec.Struct):
    id: uuid.UUID
    platform_id: str
    author_name: str
    body: str
    posted_at: datetime

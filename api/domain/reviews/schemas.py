"""Review payloads: what the store pushes, what staff send and read."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from api.domain.desk_common.types import PLATFORM_ID, check_utc_dates, text
from api.domain.reviews.enums import FollowUpStatus

__all__ = ["FollowUpRead", "FollowUpUpdate", "ForbiddenPhraseCreate", "ForbiddenPhraseRead", "ReplyCreate",
           "ReplyRead", "ReviewPush", "ReviewPushed", "ReviewRead", "ReviewSettings",
           "ReviewSettingsUpdate"]

RATING = Annotated[int, msgspec.Meta(ge=1, le=5)]
BODY = text(5000)
NAME = text(200)
REPLY = text(2000, 1)
NOTE = text(1000)
PHRASE = text(100, 1)


class ReviewPush(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A buyer's review as the store has it; pushed again when the buyer amends it."""

    platform_id: PLATFORM_ID
    rating: RATING
    reviewed_at: datetime
    platform_order_id: PLATFORM_ID | None = None
    body: BODY = ""
    buyer_name: NAME = ""

    def __post_init__(self) -> None:
        check_utc_dates(self)


class ReplyRead(msgspec.Struct):
    body: str
    author_id: uuid.UUID
    action_id: uuid.UUID | None
    action_status: str | None  # the store action: requested, applied or failed
    action_reason: str | None  # the store's reason when it failed
    created_at: datetime


class FollowUpRead(msgspec.Struct):
    status: FollowUpStatus
    original_rating: int
    apologized_at: datetime | None
    apology_note: str
    fixed_at: datetime | None
    fix_note: str
    buyer_amended: bool
    amended_at: datetime | None
    amended_rating: int | None
    opened_at: datetime
    updated_at: datetime


class ReviewRead(msgspec.Struct):
    id: uuid.UUID
    platform_id: str
    platform_order_id: str | None
    rating: int
    negative: bool
    body: str
    buyer_name: str
    reviewed_at: datetime
    revision: int
    reply: ReplyRead | None
    follow_up: FollowUpRead | None


class ReviewPushed(msgspec.Struct):
    review: ReviewRead
    created: bool
    changed: bool


class ReplyCreate(msgspec.Struct, forbid_unknown_fields=True):
    body: REPLY


class FollowUpUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Record the apology and the fix; close when both are done."""

    apologized: bool | None = None
    apology_note: NOTE | None = None
    fixed: bool | None = None
    fix_note: NOTE | None = None
    status: FollowUpStatus | None = None


class ReviewSettings(msgspec.Struct):
    negative_threshold: int


class ReviewSettingsUpdate(msgspec.Struct, forbid_unknown_fields=True):
    negative_threshold: Annotated[int, msgspec.Meta(ge=1, le=4)]


class ForbiddenPhraseCreate(msgspec.Struct, forbid_unknown_fields=True):
    phrase: PHRASE


class ForbiddenPhraseRead(msgspec.Struct):
    id: uuid.UUID
    phrase: str
    created_at: datetime

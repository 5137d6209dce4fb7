from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from api.domain.desk_common.types import PLATFORM_ID, text

__all__ = ["OptionResult", "PollOption", "PollPush", "PollRead", "PollResults", "VotePush"]

OPTION_ID = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
LABEL = text(200, 1)
QUESTION = text(500, 1)


class PollOption(msgspec.Struct, forbid_unknown_fields=True):
    id: OPTION_ID
    label: LABEL


class PollPush(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    platform_id: PLATFORM_ID
    question: QUESTION
    options: Annotated[list[PollOption], msgspec.Meta(min_length=2, max_length=20)]
    is_private: bool = False
    status: Literal["open", "closed"] = "open"


class VotePush(msgspec.Struct, forbid_unknown_fields=True):
    """One buyer's vote; a buyer votes once per poll, and a new vote replaces the old one."""

    poll_platform_id: PLATFORM_ID
    voter_ref: PLATFORM_ID
    option_id: OPTION_ID


class OptionResult(msgspec.Struct):
    option_id: str
    label: str
    votes: int


class PollResults(msgspec.Struct):
    poll_id: uuid.UUID
    total_votes: int
    options: list[OptionResult]


class PollRead(msgspec.Struct):
    id: uuid.UUID
    platform_id: str
    question: str
    options: list[PollOption]
    is_private: bool
    status: str
    created_at: datetime
    # None when the poll is private and the reader lacks polls:read_private.
    results: PollResults | None
    results_hidden: bool

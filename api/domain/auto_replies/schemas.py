"""Auto-reply rule and hosting payloads. Strings bounded, no NUL, unknown fields refused."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from api.domain.auto_replies.content import Content
from api.domain.auto_replies.enums import MatchKind, Weekday

__all__ = ["HostingRead", "HostingWrite", "AutoReplyRuleCreate", "AutoReplyRuleRead", "AutoReplyRuleUpdate", "WindowSpec"]

_NON_BLANK = r"^[^\x00]*\S[^\x00]*$"
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=_NON_BLANK)]
Keyword = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=_NON_BLANK)]
Keywords = Annotated[list[Keyword], msgspec.Meta(min_length=1, max_length=20)]
Priority = Annotated[int, msgspec.Meta(ge=0, le=10000)]
# Local wall-clock time in the shop's timezone, minutes precision.
LocalTime = Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class AutoReplyRuleCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Name
    match: MatchKind
    keywords: Keywords
    content: Content
    priority: Priority = 0
    enabled: bool = True


class AutoReplyRuleUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    match: MatchKind | msgspec.UnsetType = msgspec.UNSET
    keywords: Keywords | msgspec.UnsetType = msgspec.UNSET
    content: Content | msgspec.UnsetType = msgspec.UNSET
    priority: Priority | msgspec.UnsetType = msgspec.UNSET
    enabled: bool | msgspec.UnsetType = msgspec.UNSET


class AutoReplyRuleRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    match: MatchKind
    keywords: list[str]
    content: Content
    priority: int
    enabled: bool
    created_at: datetime
    updated_at: datetime


class WindowSpec(msgspec.Struct, forbid_unknown_fields=True):
    """``[start, end)``; ``end`` before ``start`` crosses midnight; equal is refused."""

    start: LocalTime
    end: LocalTime


class HostingWrite(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    enabled: bool
    content: Content
    # No windows: the whole of every chosen day.
    windows: Annotated[list[WindowSpec], msgspec.Meta(max_length=10)] = []
    weekdays: Annotated[list[Weekday], msgspec.Meta(min_length=1, max_length=7)] = msgspec.field(
        default_factory=lambda: list(Weekday))
    wait_minutes: Annotated[int, msgspec.Meta(ge=0, le=1440)] = 0
    throttle_minutes: Annotated[int, msgspec.Meta(ge=1, le=10080)] = 60


class HostingRead(msgspec.Struct, kw_only=True):
    configured: bool
    enabled: bool
    content: Content | None
    windows: list[WindowSpec]
    weekdays: list[Weekday]
    wait_minutes: int
    throttle_minutes: int
    updated_at: datetime | None

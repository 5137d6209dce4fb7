"""Customer-profile payloads: tags, levels (level rules), points rules and the ledger."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from api.domain.store_actions.types import text

__all__ = ["ConversationSummary", "CustomerProfile", "CustomerSummary", "LedgerEntry",
           "LevelIn", "LevelPatch", "LevelRead", "LevelSet", "PointsIssue", "PointsRuleIn",
           "PointsRulePatch", "PointsRuleRead", "TagIn", "TagPatch", "TagRead"]

NAME50 = text(50, min_length=1)
COLOR = Annotated[str, msgspec.Meta(pattern=r"^(#[0-9a-fA-F]{6})?$")]
POINTS = Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000_000)]
Trigger = Literal["order_paid", "review", "signup", "manual"]


class TagIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: NAME50  # type: ignore[valid-type]
    color: COLOR = ""


class TagPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: NAME50 | msgspec.UnsetType = msgspec.UNSET  # type: ignore[valid-type]
    color: COLOR | msgspec.UnsetType = msgspec.UNSET


class TagRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    color: str
    created_at: datetime


class LevelIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A level rule: customers reach ``name`` at ``min_points``; ``rank`` orders levels."""

    name: NAME50  # type: ignore[valid-type]
    rank: Annotated[int, msgspec.Meta(ge=0, le=1000)]
    min_points: POINTS = 0


class LevelPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: NAME50 | msgspec.UnsetType = msgspec.UNSET  # type: ignore[valid-type]
    rank: Annotated[int, msgspec.Meta(ge=0, le=1000)] | msgspec.UnsetType = msgspec.UNSET
    min_points: POINTS | msgspec.UnsetType = msgspec.UNSET


class LevelRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    rank: int
    min_points: int


class LevelSet(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    level_id: uuid.UUID | None


class PointsRuleIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A points rule: ``points`` per trigger, or per ``per_minor_units`` spent on order_paid."""

    name: text(100, min_length=1)  # type: ignore[valid-type]
    trigger: Trigger
    points: Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000)]
    per_minor_units: Annotated[int, msgspec.Meta(ge=1, le=1_000_000_000)] | None = None
    active: bool = True


class PointsRulePatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: text(100, min_length=1) | msgspec.UnsetType = msgspec.UNSET  # type: ignore[valid-type]
    points: Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000)] | msgspec.UnsetType = (
        msgspec.UNSET)
    active: bool | msgspec.UnsetType = msgspec.UNSET


class PointsRuleRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    trigger: Trigger
    points: int
    per_minor_units: int | None
    active: bool


class PointsIssue(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One ledger entry: a credit (> 0) or a debit (< 0), always with its reason."""

    delta: Annotated[int, msgspec.Meta(ge=-1_000_000_000, le=1_000_000_000)]
    reason: text(500, min_length=1)  # type: ignore[valid-type]
    rule_id: uuid.UUID | None = None


class LedgerEntry(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    seq: int
    delta: int
    balance_after: int
    reason: str
    rule_id: uuid.UUID | None
    issued_by: uuid.UUID | None
    created_at: datetime


class CustomerSummary(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    display_name: str
    level_id: uuid.UUID | None
    points_balance: int
    created_at: datetime


class CustomerProfile(CustomerSummary, kw_only=True):
    tags: list[TagRead]
    level: LevelRead | None
    points_earned: int
    # What the level rules give for points_earned; the level itself is set by staff.
    suggested_level_id: uuid.UUID | None


class ConversationSummary(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    channel: str
    status: str
    assignee_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime

"""Requests and responses of the SLA routes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec

from api.domain.sla.enums import Channel, FrtStart, Metric, Priority

__all__ = ["BusinessHoursInterval", "CalendarRead", "CalendarWrite", "LiveItem", "PolicyRead",
           "PolicyWrite", "RankingItem", "ReportRead", "ReportRow", "Target"]

# A target beyond a year is a typo, not a promise.
Seconds = Annotated[int, msgspec.Meta(ge=0, le=366 * 24 * 3600)]
WallTime = Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")]
Zone = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_+\-/]+$")]


class Target(msgspec.Struct, forbid_unknown_fields=True):
    """A target for one metric; ``channel`` and/or ``priority`` narrow it (most specific wins)."""

    metric: Metric
    seconds: Annotated[int, msgspec.Meta(le=366 * 24 * 3600)]
    channel: Channel | None = None
    priority: Priority | None = None


class PolicyWrite(msgspec.Struct, forbid_unknown_fields=True):
    targets: Annotated[list[Target], msgspec.Meta(max_length=64)] = []
    business_hours: bool = False
    frt_start: FrtStart = FrtStart.FIRST_CUSTOMER_MESSAGE
    warning_ratio: Annotated[float, msgspec.Meta(gt=0, lt=1)] | None = 0.8
    escalate_reassign: bool = False
    escalate_notify: bool = True


class PolicyRead(msgspec.Struct):
    version: int
    targets: list[Target]
    business_hours: bool
    frt_start: FrtStart
    warning_ratio: float | None
    escalate_reassign: bool
    escalate_notify: bool
    created_at: datetime | None


class BusinessHoursInterval(msgspec.Struct, forbid_unknown_fields=True):
    """Open from ``start`` to ``end`` local time on ``weekday`` (0 Monday); ``end`` at or
    before ``start`` closes the next day (overnight)."""

    weekday: Annotated[int, msgspec.Meta(ge=0, le=6)]
    start: WallTime
    end: WallTime


class CalendarWrite(msgspec.Struct, forbid_unknown_fields=True):
    timezone: Zone
    intervals: Annotated[list[BusinessHoursInterval], msgspec.Meta(max_length=100)] = []
    holidays: Annotated[list[date], msgspec.Meta(max_length=400)] = []


class CalendarRead(msgspec.Struct):
    version: int
    timezone: str
    intervals: list[BusinessHoursInterval]
    holidays: list[date]
    always_open: bool
    created_at: datetime | None


class ReportRow(msgspec.Struct):
    metric: Metric
    group: str | None  # the shop, agent id, channel, or bucket start; None = the queue
    count: int
    mean: float | None
    p50: float | None
    p90: float | None
    p95: float | None
    p99: float | None
    attainment: float | None
    breaches: int


class ReportRead(msgspec.Struct):
    group_by: str
    basis: str
    since: datetime
    until: datetime
    rows: list[ReportRow]


class LiveItem(msgspec.Struct):
    conversation_id: uuid.UUID
    metric: Metric
    channel: str
    priority: str
    assignee_id: uuid.UUID | None
    started_at: datetime
    deadline_at: datetime | None
    seconds_to_breach: float | None


class RankingItem(msgspec.Struct):
    rank: int
    shop_id: str
    shop_name: str | None
    figures: ReportRow

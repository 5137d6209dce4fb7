"""The SLA slice's kinds and states."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Basis", "Channel", "ClockState", "FrtStart", "GroupBy", "LedgerKind", "Metric",
           "Priority"]


class Metric(StrEnum):
    FRT = "frt"
    NRT = "nrt"
    RESOLUTION = "resolution"


class FrtStart(StrEnum):
    FIRST_CUSTOMER_MESSAGE = "first_customer_message"
    CONVERSATION_CREATED = "conversation_created"
    ASSIGNMENT = "assignment"


class ClockState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    FULFILLED = "fulfilled"
    STOPPED = "stopped"


class LedgerKind(StrEnum):
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    FULFIL = "fulfil"
    WARNING = "warning"
    BREACH = "breach"
    STOP = "stop"


class Channel(StrEnum):
    WEB = "web"
    MOBILE = "mobile"
    WECHAT = "wechat"
    LIVE = "live"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Basis(StrEnum):
    CALENDAR = "calendar"
    BUSINESS = "business"


class GroupBy(StrEnum):
    SHOP = "shop"
    AGENT = "agent"
    CHANNEL = "channel"
    DAY = "day"
    HOUR = "hour"

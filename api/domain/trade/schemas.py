from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import msgspec

__all__ = ["Stage", "TradeRow", "TradeSummary"]


class Stage(StrEnum):
    """Where an order is between payment and delivery, from the order's status."""

    AWAITING_PAYMENT = "awaiting_payment"
    AWAITING_SHIPMENT = "awaiting_shipment"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    CLOSED = "closed"


class TradeRow(msgspec.Struct):
    order_id: uuid.UUID
    platform_order_id: str
    stage: Stage
    status: str
    total_minor: int
    currency: str
    carrier: str | None
    tracking_number: str | None
    placed_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    signed_at: datetime | None
    refused_at: datetime | None
    disputed: bool


class StageCount(msgspec.Struct):
    stage: Stage
    orders: int


class TradeSummary(msgspec.Struct):
    stages: list[StageCount]

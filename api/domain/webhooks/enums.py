"""Statuses of endpoints and deliveries."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["DeliveryStatus", "EndpointStatus"]


class EndpointStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"

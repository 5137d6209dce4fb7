"""Store-action statuses and the kinds this slice requests (other slices add their own)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ActionKind", "ActionStatus", "Outcome"]


class ActionStatus(StrEnum):
    REQUESTED = "requested"
    APPLIED = "applied"
    FAILED = "failed"


class Outcome(StrEnum):
    """What the store answers for a requested action."""

    APPLIED = "applied"
    FAILED = "failed"


class ActionKind(StrEnum):
    ORDER_REPRICE = "order.reprice"
    ORDER_SHIP = "order.ship"
    ORDER_CLOSE = "order.close"
    ORDER_REFUSAL = "order.refusal"
    ORDER_REFUND = "order.refund"
    PRODUCT_UPDATE = "product.update"
    PRODUCT_PUBLISH = "product.publish"
    PRODUCT_UNPUBLISH = "product.unpublish"

"""Order statuses as the store reports them, and the desk's list views."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["OrderStatus", "OrderView"]


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    SHIPPED = "shipped"
    SIGNED = "signed"
    CLOSED = "closed"
    REFUNDED = "refunded"


# Before shipping: the price may change and the seller may still cancel (seed 002).
NOT_SHIPPED = frozenset({OrderStatus.PENDING_PAYMENT, OrderStatus.PAID})
FINISHED = frozenset({OrderStatus.CLOSED, OrderStatus.REFUNDED})


class OrderView(StrEnum):
    ALL = "all"
    DISPUTED = "disputed"
    STARRED = "starred"

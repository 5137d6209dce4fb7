"""Order payloads: the store's push, the desk's views, and staff actions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from api.domain.desk_common.types import check_utc_dates
from api.domain.orders.enums import OrderStatus
from api.domain.store_actions.types import CURRENCY, MONEY, PLATFORM_ID, SIGNED_MONEY, text

__all__ = ["CloseIn", "CloseReasonIn", "CloseReasonRead", "CommerceSettingsIn",
           "CommerceSettingsRead", "CurrencyTotal", "OrderNoteIn", "OrderItem", "OrderOverview",
           "OrderRead", "OrderUpsert", "OrderUpserted", "RefusalIn", "RepriceIn", "ShipIn",
           "StarIn"]

REASON_CODE = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_]{1,64}$")]


class OrderItem(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    platform_product_id: PLATFORM_ID
    title: text(300)  # type: ignore[valid-type]
    quantity: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
    unit_price_minor: MONEY


class OrderUpsert(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The store's view of one order; pushing the same one again changes nothing."""

    platform_order_id: PLATFORM_ID
    status: OrderStatus
    total_minor: MONEY
    currency: CURRENCY
    paid_minor: MONEY | None = None
    customer_id: uuid.UUID | None = None
    items: Annotated[list[OrderItem], msgspec.Meta(max_length=200)] = []
    disputed: bool = False
    placed_at: datetime | None = None
    paid_at: datetime | None = None
    shipped_at: datetime | None = None
    signed_at: datetime | None = None
    closed_at: datetime | None = None
    carrier: text(100) | None = None  # type: ignore[valid-type]
    tracking_number: text(100) | None = None  # type: ignore[valid-type]
    refusal_deadline: datetime | None = None

    def __post_init__(self) -> None:
        check_utc_dates(self)


class OrderRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    platform_order_id: str
    customer_id: uuid.UUID | None
    status: OrderStatus
    total_minor: int
    paid_minor: int | None
    currency: str
    items: list[dict]
    disputed: bool
    starred: bool
    note: str
    carrier: str | None
    tracking_number: str | None
    close_reason: str | None
    placed_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    signed_at: datetime | None
    closed_at: datetime | None
    refused_at: datetime | None
    refusal_deadline: datetime | None
    updated_at: datetime


class OrderUpserted(OrderRead, kw_only=True):
    created: bool


class CurrencyTotal(msgspec.Struct):
    currency: str
    orders: int
    paid_minor: int


class OrderOverview(msgspec.Struct, kw_only=True):
    by_status: dict[str, int]
    disputed: int
    starred: int
    awaiting_store: int
    paid_totals: list[CurrencyTotal]


class RepriceIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    total_minor: SIGNED_MONEY


class OrderNoteIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    note: text(2000)  # type: ignore[valid-type]


class StarIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    starred: bool


class ShipIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    carrier: text(100, min_length=1)  # type: ignore[valid-type]
    tracking_number: Annotated[str, msgspec.Meta(min_length=1, max_length=100,
                                                 pattern=r"^[A-Za-z0-9\-]+$")]


class CloseIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: REASON_CODE
    note: text(500) = ""  # type: ignore[valid-type]


class RefusalIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The buyer refuses delivery (拒绝收货): what they said, for the store and the record."""

    reason: text(500, min_length=1)  # type: ignore[valid-type]


class CloseReasonIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    code: REASON_CODE
    label: text(200, min_length=1)  # type: ignore[valid-type]
    active: bool = True
    position: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 0


class CloseReasonRead(msgspec.Struct, kw_only=True):
    code: str
    label: str
    active: bool
    position: int


class CommerceSettingsIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    refusal_window_hours: Annotated[int, msgspec.Meta(ge=1, le=8760)]


class CommerceSettingsRead(msgspec.Struct, kw_only=True):
    refusal_window_hours: int

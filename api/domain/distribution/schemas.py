from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

import msgspec

from api.domain.desk_common.types import CURRENCY, MINOR, PLATFORM_ID, check_utc_dates, text

__all__ = ["DistributionOrderPush", "DistributionOrderPushed", "DistributionOrderRead",
           "DistributionStatus"]


class DistributionStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


SUPPLIER = text(200, 1)


class DistributionOrderPush(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    platform_id: PLATFORM_ID
    supplier_name: SUPPLIER
    status: DistributionStatus
    item_count: Annotated[int, msgspec.Meta(ge=0, le=100000)]
    total_minor: MINOR
    currency: CURRENCY
    placed_at: datetime

    def __post_init__(self) -> None:
        check_utc_dates(self)


class DistributionOrderRead(msgspec.Struct):
    id: uuid.UUID
    platform_id: str
    supplier_name: str
    status: DistributionStatus
    item_count: int
    total_minor: int
    currency: str
    placed_at: datetime
    updated_at: datetime


class DistributionOrderPushed(msgspec.Struct):
    order: DistributionOrderRead
    created: bool

"""Product and group payloads."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from api.domain.store_actions.types import CURRENCY, MONEY, PLATFORM_ID, text

__all__ = ["ProductGroupIn", "ProductGroupPatch", "ProductGroupRead", "ProductGroupUpsert", "ProductPatch", "ProductRead",
           "ProductUpserted",
           "ProductUpsert"]

STOCK = Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000)]
Status = Literal["published", "unpublished"]


class ProductUpsert(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    platform_product_id: PLATFORM_ID
    title: text(300, min_length=1)  # type: ignore[valid-type]
    description: text(10000) = ""  # type: ignore[valid-type]
    price_minor: MONEY
    currency: CURRENCY
    stock: STOCK = 0
    status: Status = "unpublished"
    platform_group_ids: Annotated[list[PLATFORM_ID], msgspec.Meta(max_length=50)] | None = None


class ProductPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """An edit for the store to apply (products:write); unset fields stay as they are."""

    title: text(300, min_length=1) | msgspec.UnsetType = msgspec.UNSET  # type: ignore[valid-type]
    description: text(10000) | msgspec.UnsetType = msgspec.UNSET  # type: ignore[valid-type]
    price_minor: MONEY | msgspec.UnsetType = msgspec.UNSET
    stock: STOCK | msgspec.UnsetType = msgspec.UNSET


class ProductRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    platform_product_id: str
    title: str
    description: str
    price_minor: int
    currency: str
    stock: int
    status: Status
    created_at: datetime
    updated_at: datetime


class ProductUpserted(ProductRead, kw_only=True):
    created: bool


class ProductGroupUpsert(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    platform_group_id: PLATFORM_ID
    name: text(100, min_length=1)  # type: ignore[valid-type]
    position: Annotated[int, msgspec.Meta(ge=0, le=100_000)] = 0


class ProductGroupIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: text(100, min_length=1)  # type: ignore[valid-type]
    position: Annotated[int, msgspec.Meta(ge=0, le=100_000)] = 0


class ProductGroupPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: text(100, min_length=1) | msgspec.UnsetType = msgspec.UNSET  # type: ignore[valid-type]
    position: Annotated[int, msgspec.Meta(ge=0, le=100_000)] | msgspec.UnsetType = msgspec.UNSET


class ProductGroupRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    platform_group_id: str | None
    name: str
    position: int
    product_count: int
    created_at: datetime
    updated_at: datetime

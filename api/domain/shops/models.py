"""Shops: the tenants. The registry itself is read across shops by the firm's roles."""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, Boolean, Text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, TimestampMixin
from api.domain.shops.enums import ShopStatus

__all__ = ["Shop"]


class Shop(TimestampMixin, Base):
    __tablename__ = "shops"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    slug: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    timezone: Mapped[str] = mapped_column(Text, nullable=False)
    wechat_bound: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    contact_seller_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    status: Mapped[str] = mapped_column(Text, nullable=False, default=ShopStatus.ACTIVE.value)
    suspended_reason: Mapped[str | None] = mapped_column(Text)
    founder_removed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    policy_version: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)

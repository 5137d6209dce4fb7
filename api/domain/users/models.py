"""Users: one identity across every shop (an agent may serve several client shops)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, FetchedValue, Text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, TimestampMixin

__all__ = ["User"]


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    # TEXT, as migrated: the schemas bound the lengths (320 and 32 characters).
    email: Mapped[str] = mapped_column(Text, nullable=False)
    phone: Mapped[str | None] = mapped_column(Text)
    display_name: Mapped[str] = mapped_column(Text, nullable=False, default="")
    password_hash: Mapped[str | None] = mapped_column(Text)
    # The API role may not INSERT these two columns (only the owner grants a firm role;
    # sessions_valid_after is only ever UPDATEd). A server-side default makes the ORM leave
    # them out of an INSERT unless a value is set, instead of sending NULL.
    platform_role: Mapped[str | None] = mapped_column(Text, server_default=FetchedValue())
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    sessions_valid_after: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), server_default=FetchedValue())

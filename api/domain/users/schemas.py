"""User payloads."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec

__all__ = ["EMAIL", "PASSWORD", "PHONE", "Me", "MyShop", "UserRead"]

# Deliberately plain: one "@", no spaces, a dot in the domain. Delivery proves the rest.
EMAIL = Annotated[str, msgspec.Meta(min_length=3, max_length=320,
                                    pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
PHONE = Annotated[str, msgspec.Meta(pattern=r"^\+?[0-9]{6,20}$")]
PASSWORD = Annotated[str, msgspec.Meta(min_length=10, max_length=256)]


class UserRead(msgspec.Struct):
    id: uuid.UUID
    email: str
    display_name: str
    phone: str | None = None
    platform_role: str | None = None


class MyShop(msgspec.Struct):
    """One shop the user works in, and their role there."""

    shop_id: uuid.UUID
    slug: str
    name: str
    status: str
    role: str


class Me(msgspec.Struct):
    user: UserRead
    client: str
    shops: list[MyShop]

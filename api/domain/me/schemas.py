"""What ``GET /me`` answers."""

from __future__ import annotations

import uuid

import msgspec

from api.domain.users.schemas import UserRead

__all__ = ["Me", "MyShop"]


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

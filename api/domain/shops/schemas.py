"""Shop payloads."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from api.domain.invitations.schemas import InvitationRead
from api.domain.users.schemas import EMAIL

__all__ = ["FounderSpec", "ShopCreate", "ShopCreated", "ShopRead", "ShopSuspend", "ShopUpdate"]

SLUG = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
                                   description="Lower-case letters, digits and dashes; unique.")]
NAME = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
TIMEZONE = Annotated[str, msgspec.Meta(min_length=1, max_length=64,
                                       description="IANA time zone, e.g. Asia/Shanghai")]


class FounderSpec(msgspec.Struct, forbid_unknown_fields=True):
    """The founder, exactly one way: ``user_id`` (an account the firm names: founder at once)
    or ``email`` (always an invitation, whether or not an account has the address: the shop
    has no founder until it is accepted)."""

    user_id: uuid.UUID | None = None
    email: EMAIL | None = None


class ShopCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: NAME
    slug: SLUG
    timezone: TIMEZONE
    founder: FounderSpec
    wechat_bound: bool = False
    contact_seller_enabled: bool = True


class ShopUpdate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: NAME | None = None
    timezone: TIMEZONE | None = None
    wechat_bound: bool | None = None
    contact_seller_enabled: bool | None = None


class ShopSuspend(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class ShopRead(msgspec.Struct):
    id: uuid.UUID
    slug: str
    name: str
    timezone: str
    wechat_bound: bool
    contact_seller_enabled: bool
    status: str
    suspended_reason: str | None
    founder_removed: bool
    created_at: datetime
    updated_at: datetime


class ShopCreated(msgspec.Struct):
    """``founder_id`` when the founder was named by id; ``invitation`` when by e-mail."""

    shop: ShopRead
    founder_id: uuid.UUID | None
    invitation: InvitationRead | None

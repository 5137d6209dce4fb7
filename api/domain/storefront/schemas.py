"""Decoration and preview documents: the whole document is validated on every save."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from api.domain.desk_common.types import text

__all__ = ["Decoration", "DecorationRead", "DecorationWrite", "Preview", "PreviewRead",
           "PreviewWrite"]

URL = Annotated[str, msgspec.Meta(max_length=500, pattern=r"^https://[^\s\x00]+$",
                                  description="An https URL")]
COLOR = Annotated[str, msgspec.Meta(pattern=r"^#[0-9a-fA-F]{6}$")]
VERSION = Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1,
                                      description="The version you read (0: none saved yet)")]
TITLE = text(100)
BODY = text(2000)
ALT = text(200)


class Banner(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    image_url: URL
    link_url: URL | None = None
    alt: ALT = ""


class Section(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One block of the home page. ``products`` shows a product group; ``text`` a body."""

    kind: Literal["banner_carousel", "products", "text", "coupons", "notice"]
    title: TITLE = ""
    product_group_id: uuid.UUID | None = None
    body: BODY = ""
    visible: bool = True


class Decoration(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    theme: Literal["classic", "fresh", "dark", "festival"] = "classic"
    primary_color: COLOR = "#E4393C"
    logo_url: URL | None = None
    banners: Annotated[list[Banner], msgspec.Meta(max_length=10)] = []
    sections: Annotated[list[Section], msgspec.Meta(max_length=30)] = []


class DecorationWrite(msgspec.Struct, forbid_unknown_fields=True):
    version: VERSION
    decoration: Decoration


class DecorationRead(msgspec.Struct):
    decoration: Decoration
    version: int
    updated_at: datetime | None
    updated_by: uuid.UUID | None


class Preview(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Who sees the storefront before it is published, and how."""

    enabled: bool = False
    devices: Annotated[list[Literal["mobile", "desktop"]],
                       msgspec.Meta(min_length=1, max_length=2)] = msgspec.field(
        default_factory=lambda: ["mobile"])
    watermark: bool = True
    link_ttl_hours: Annotated[int, msgspec.Meta(ge=1, le=720)] = 24
    staff_only: bool = True


class PreviewWrite(msgspec.Struct, forbid_unknown_fields=True):
    version: VERSION
    preview: Preview


class PreviewRead(msgspec.Struct):
    preview: Preview
    version: int
    updated_at: datetime | None
    updated_by: uuid.UUID | None

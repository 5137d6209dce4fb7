"""Decoration and preview: checks the schema cannot express, then the document store."""

from __future__ import annotations

import uuid

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.desk_common import documents
from api.domain.storefront.schemas import (
    Decoration,
    DecorationRead,
    DecorationWrite,
    Preview,
    PreviewRead,
    PreviewWrite,
)
from api.errors import ApiError

__all__ = ["get_decoration", "get_preview", "save_decoration", "save_preview"]


def _check_decoration(d: Decoration) -> None:
    for index, section in enumerate(d.sections):
        if section.kind == "products" and section.product_group_id is None:
            raise ApiError(422, "decoration.section_incomplete",
                           "A products section needs the product group it shows.",
                           {"section": index, "missing": "product_group_id"})
        if section.kind == "text" and not section.body.strip():
            raise ApiError(422, "decoration.section_incomplete",
                           "A text section needs its text.", {"section": index, "missing": "body"})
    if any(s.kind == "banner_carousel" for s in d.sections) and not d.banners:
        raise ApiError(422, "decoration.no_banners",
                       "A banner carousel needs at least one banner.")


async def get_decoration(session: AsyncSession, shop_id: uuid.UUID) -> DecorationRead:
    stored = await documents.load(session, shop_id, "decoration")
    doc = msgspec.convert(stored.doc, Decoration) if stored.doc else Decoration()
    return DecorationRead(doc, stored.version, stored.updated_at, stored.updated_by)


async def save_decoration(session: AsyncSession, shop_id: uuid.UUID, data: DecorationWrite,
                          user_id: uuid.UUID | None, audit_context: AuditContext
                          ) -> DecorationRead:
    _check_decoration(data.decoration)
    stored = await documents.save(session, shop_id, "decoration",
                                  msgspec.to_builtins(data.decoration),
                                  expected_version=data.version, user_id=user_id,
                                  audit_context=audit_context, error_prefix="decoration")
    return DecorationRead(data.decoration, stored.version, stored.updated_at, stored.updated_by)


async def get_preview(session: AsyncSession, shop_id: uuid.UUID) -> PreviewRead:
    stored = await documents.load(session, shop_id, "preview")
    doc = msgspec.convert(stored.doc, Preview) if stored.doc else Preview()
    return PreviewRead(doc, stored.version, stored.updated_at, stored.updated_by)


async def save_preview(session: AsyncSession, shop_id: uuid.UUID, data: PreviewWrite,
                       user_id: uuid.UUID | None, audit_context: AuditContext) -> PreviewRead:
    if len(set(data.preview.devices)) != len(data.preview.devices):
        raise ApiError(422, "preview.duplicate_device", "Each device is listed once.")
    stored = await documents.save(session, shop_id, "preview", msgspec.to_builtins(data.preview),
                                  expected_version=data.version, user_id=user_id,
                                  audit_context=audit_context, error_prefix="preview")
    return PreviewRead(data.preview, stored.version, stored.updated_at, stored.updated_by)

from __future__ import annotations

import uuid

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.desk_common import documents
from api.domain.mobile_cs.schemas import MobileSettings, MobileSettingsRead, MobileSettingsWrite
from api.errors import ApiError

__all__ = ["get_settings", "save_settings"]

KIND = "mobile_cs"


async def get_settings(session: AsyncSession, shop_id: uuid.UUID) -> MobileSettingsRead:
    stored = await documents.load(session, shop_id, KIND)
    doc = msgspec.convert(stored.doc, MobileSettings) if stored.doc else MobileSettings()
    return MobileSettingsRead(doc, stored.version, stored.updated_at, stored.updated_by)


async def save_settings(session: AsyncSession, shop_id: uuid.UUID, data: MobileSettingsWrite,
                        user_id: uuid.UUID | None, audit_context: AuditContext
                        ) -> MobileSettingsRead:
    quiet = data.settings.quiet_hours
    if quiet is not None and quiet.start == quiet.end:
        raise ApiError(422, "mobile_cs.empty_quiet_hours",
                       "Quiet hours need a start and an end that differ.")
    stored = await documents.save(session, shop_id, KIND, msgspec.to_builtins(data.settings),
                                  expected_version=data.version, user_id=user_id,
                                  audit_context=audit_context, error_prefix="mobile_cs")
    return MobileSettingsRead(data.settings, stored.version, stored.updated_at, stored.updated_by)

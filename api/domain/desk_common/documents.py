"""Small per-shop settings documents (decoration, preview, mobile CS) in ``shop_documents``.

Each kind has a msgspec schema that validates the whole document; this module only stores
it. Writers send the ``version`` they read: a stale one is a 409, so two admins editing the
same settings never silently overwrite each other (version 0: nothing saved yet).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.audit.services import record
from api.errors import ApiError

__all__ = ["StoredDocument", "load", "save", "version_conflict"]


@dataclass(frozen=True, slots=True)
class StoredDocument:
    doc: dict[str, Any] | None  # None: never saved, the caller shows its defaults
    version: int
    updated_at: datetime | None
    updated_by: uuid.UUID | None


def version_conflict(kind: str, current: int) -> ApiError:
    return ApiError(409, f"{kind}.version_conflict",
                    "These settings changed since you read them; reload and try again.",
                    {"current_version": current})


async def load(session: AsyncSession, shop_id: uuid.UUID, kind: str) -> StoredDocument:
    row = (await session.execute(text(
        "SELECT doc, version, updated_at, updated_by FROM shop_documents "
        "WHERE shop_id = :shop_id AND kind = :kind"), {"shop_id": shop_id, "kind": kind})).first()
    if row is None:
        return StoredDocument(None, 0, None, None)
    return StoredDocument(row.doc, row.version, row.updated_at, row.updated_by)


async def save(session: AsyncSession, shop_id: uuid.UUID, kind: str, doc: dict[str, Any], *,
               expected_version: int, user_id: uuid.UUID | None, audit_context: AuditContext,
               error_prefix: str) -> StoredDocument:
    """Replace the document if it is still at ``expected_version``; audited."""
    params = {"shop_id": shop_id, "kind": kind, "doc": json.dumps(doc, default=str),
              "by": user_id, "expected": expected_version}
    if expected_version == 0:
        row = (await session.execute(text(
            "INSERT INTO shop_documents (shop_id, kind, doc, updated_by) "
            "VALUES (:shop_id, :kind, CAST(:doc AS jsonb), :by) ON CONFLICT (shop_id, kind) "
            "DO NOTHING RETURNING doc, version, updated_at, updated_by"), params)).first()
    else:
        row = (await session.execute(text(
            "UPDATE shop_documents SET doc = CAST(:doc AS jsonb), version = version + 1, "
            "updated_by = :by, updated_at = now() "
            "WHERE shop_id = :shop_id AND kind = :kind AND version = :expected "
            "RETURNING doc, version, updated_at, updated_by"), params)).first()
    if row is None:
        raise version_conflict(error_prefix, (await load(session, shop_id, kind)).version)
    await record(session, audit_context, shop_id=shop_id, action=f"{error_prefix}.updated",
                 target=f"shop_document:{kind}", details={"version": row.version})
    return StoredDocument(row.doc, row.version, row.updated_at, row.updated_by)

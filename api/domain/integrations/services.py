"""A shop's integration keys: create (secret shown once), list, revoke.

Revoking journals an authorization change for the shop in the same transaction: every
process drops the shop's cached keys when it applies the change (``KeyCache.forget_shop``),
so the revoked key is refused on its next request everywhere.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.integration_keys import generate_key
from api.domain.audit import services as audit
from api.domain.audit.context import AuditContext
from api.domain.integrations.schemas import (
    IntegrationKeyCreate,
    IntegrationKeyCreated,
    IntegrationKeyRead,
)
from api.errors import ApiError
from api.pagination import Page, decode_cursor, encode_cursor, invalid_cursor
from rbac.catalog import INTEGRATION_SCOPES
from rbac.policy_store import record_change

__all__ = ["create_key", "list_keys", "revoke_key"]

_COLUMNS = "id, name, prefix, scopes, created_by, created_at, last_used_at, revoked_at"
_INSERT = text(
    "INSERT INTO integration_keys (shop_id, id, name, prefix, secret_hash, scopes, created_by) "
    f"VALUES (:shop_id, :id, :name, :prefix, :hash, :scopes, :created_by) RETURNING {_COLUMNS}")
_REVOKE = text(
    "UPDATE integration_keys SET revoked_at = now(), revoked_by = :by "
    "WHERE shop_id = :shop_id AND id = :id AND revoked_at IS NULL "
    f"RETURNING {_COLUMNS}")
_EXISTS = text("SELECT revoked_at FROM integration_keys WHERE shop_id = :shop_id AND id = :id")


def _read(row: Any) -> dict[str, Any]:
    return {**row._asdict(), "scopes": sorted(row.scopes)}


async def create_key(session: AsyncSession, shop_id: uuid.UUID, user_id: uuid.UUID | None,
                     data: IntegrationKeyCreate, ctx: AuditContext) -> IntegrationKeyCreated:
    """A new key holding ``data.scopes``; the token is returned here and nowhere else."""
    unknown = sorted(set(data.scopes) - INTEGRATION_SCOPES)
    if unknown:
        raise ApiError.unprocessable("integration_key.unknown_scope", "Unknown scope.",
                                     unknown=unknown, known=sorted(INTEGRATION_SCOPES))
    key = generate_key()
    row = (await session.execute(_INSERT, {
        "shop_id": shop_id, "id": key.key_id, "name": data.name.strip(), "prefix": key.prefix,
        "hash": key.secret_hash, "scopes": sorted(set(data.scopes)), "created_by": user_id,
    })).one()
    await audit.record(session, ctx, shop_id=shop_id, action="integration_key.created",
                       target=str(key.key_id),
                       details={"prefix": key.prefix, "scopes": sorted(set(data.scopes))})
    return IntegrationKeyCreated(**_read(row), token=key.token)


async def list_keys(session: AsyncSession, shop_id: uuid.UUID, *, limit: int,
                    cursor: str | None) -> Page[IntegrationKeyRead]:
    """The shop's keys, oldest first, revoked ones included (they say when)."""
    params: dict[str, Any] = {"shop_id": shop_id, "limit": limit + 1}
    where = ""
    after = decode_cursor(cursor, 2)
    if after is not None:
        try:
            params["at"], params["after_id"] = datetime.fromisoformat(after[0]), uuid.UUID(after[1])
            # a moment past datetime's range in UTC (9999-12-31 at -14:00) fails in asyncpg
            params["at"].astimezone(UTC)
        except (TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise invalid_cursor() from exc
        if params["at"].tzinfo is None:
            raise invalid_cursor()
        where = "AND (created_at, id) > (:at, :after_id) "
    rows = (await session.execute(text(
        f"SELECT {_COLUMNS} FROM integration_keys WHERE shop_id = :shop_id {where}"
        "ORDER BY created_at, id LIMIT :limit"), params)).all()
    items = [IntegrationKeyRead(**_read(row)) for row in rows[:limit]]
    more = len(rows) > limit
    last = items[-1] if items else None
    return Page(items=items, next_cursor=encode_cursor([last.created_at.isoformat(), str(last.id)])
                if more and last else None)


async def revoke_key(session: AsyncSession, shop_id: uuid.UUID, key_id: uuid.UUID,
                     user_id: uuid.UUID | None, ctx: AuditContext) -> IntegrationKeyRead:
    """Revoke the key: refused at once, in every process (journalled like a removal)."""
    row = (await session.execute(_REVOKE, {"shop_id": shop_id, "id": key_id, "by": user_id})).first()
    if row is None:
        existing = (await session.execute(_EXISTS, {"shop_id": shop_id, "id": key_id})).first()
        if existing is None:
            raise ApiError.not_found("integration_key")
        raise ApiError.conflict("integration_key.already_revoked",
                                "This integration key is already revoked.")
    await record_change(session, "shop", shop_id=shop_id)
    await audit.record(session, ctx, shop_id=shop_id, action="integration_key.revoked",
                       target=str(key_id), details={"prefix": row.prefix})
    return IntegrationKeyRead(**_read(row))

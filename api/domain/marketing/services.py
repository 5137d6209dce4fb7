"""Marketing apps: upserted by the store per app key, listed by key for admins."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.audit.services import record
from api.domain.marketing.schemas import MarketingApp, MarketingAppPush
from api.pagination import Page, decode_cursor, encode_cursor, invalid_cursor

__all__ = ["list_apps", "push_app"]


def _read(row: Any) -> MarketingApp:
    return MarketingApp(app_key=row.app_key, name=row.name, enabled=row.enabled,
                        config=row.config, updated_at=row.updated_at)


async def push_app(session: AsyncSession, shop_id: uuid.UUID, data: MarketingAppPush,
                   audit_context: AuditContext) -> MarketingApp:
    app_key = data.app_key
    row = (await session.execute(text(
        "INSERT INTO marketing_apps (shop_id, app_key, name, enabled, config) "
        "VALUES (:shop_id, :key, :name, :enabled, CAST(:config AS jsonb)) "
        "ON CONFLICT (shop_id, app_key) DO UPDATE SET name = EXCLUDED.name, "
        "enabled = EXCLUDED.enabled, config = EXCLUDED.config, updated_at = now() "
        "RETURNING app_key, name, enabled, config, updated_at"),
        {"shop_id": shop_id, "key": app_key, "name": data.name, "enabled": data.enabled,
         "config": json.dumps(data.config)})).one()
    await record(session, audit_context, shop_id=shop_id, action="marketing_app.synced",
                 target=f"marketing_app:{app_key}", details={"enabled": data.enabled})
    return _read(row)


async def list_apps(session: AsyncSession, shop_id: uuid.UUID, *, limit: int,
                    cursor: str | None, enabled: bool | None) -> Page[MarketingApp]:
    """By app key; the cursor carries the last key."""
    key = decode_cursor(cursor, 1)
    if key is not None and not isinstance(key[0], str):
        raise invalid_cursor()
    sql = ("SELECT app_key, name, enabled, config, updated_at FROM marketing_apps "
           "WHERE shop_id = :shop_id")
    params: dict[str, Any] = {"shop_id": shop_id, "limit": limit + 1}
    if enabled is not None:
        sql += " AND enabled = :enabled"
        params["enabled"] = enabled
    if key is not None:
        sql += " AND app_key > :after"
        params["after"] = key[0]
    rows = (await session.execute(text(sql + " ORDER BY app_key LIMIT :limit"), params)).all()
    items = [_read(r) for r in rows[:limit]]
    more = len(rows) > limit
    return Page(items=items, next_cursor=encode_cursor([items[-1].app_key]) if more else None)

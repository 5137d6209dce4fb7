"""Weibo binding (one account per shop) and mentions (upserted by the store's id)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.audit.services import record
from api.domain.desk_common.paging import newest_first
from api.domain.weibo.schemas import (
    MentionPush,
    MentionRead,
    WeiboAccount,
    WeiboAccountPush,
    WeiboRead,
)
from api.errors import ApiError
from api.pagination import Page

__all__ = ["bind", "list_mentions", "push_mention", "summary", "unbind"]


async def summary(session: AsyncSession, shop_id: uuid.UUID) -> WeiboRead:
    account = (await session.execute(text(
        "SELECT weibo_uid, screen_name, bound_at, updated_at FROM weibo_accounts "
        "WHERE shop_id = :shop_id"), {"shop_id": shop_id})).first()
    counts = (await session.execute(text(
        "SELECT count(*) AS total, max(posted_at) AS latest FROM weibo_mentions "
        "WHERE shop_id = :shop_id"), {"shop_id": shop_id})).one()
    return WeiboRead(bound=account is not None,
                     account=WeiboAccount(**account._asdict()) if account else None,
                     mentions_total=counts.total, latest_mention_at=counts.latest)


async def bind(session: AsyncSession, shop_id: uuid.UUID, data: WeiboAccountPush,
               audit_context: AuditContext) -> WeiboRead:
    await session.execute(text(
        "INSERT INTO weibo_accounts (shop_id, weibo_uid, screen_name) VALUES (:shop_id, :uid, "
        ":name) ON CONFLICT (shop_id) DO UPDATE SET screen_name = EXCLUDED.screen_name, "
        "bound_at = CASE WHEN weibo_accounts.weibo_uid = EXCLUDED.weibo_uid "
        "THEN weibo_accounts.bound_at ELSE now() END, weibo_uid = EXCLUDED.weibo_uid, "
        "updated_at = now()"), {"shop_id": shop_id, "uid": data.weibo_uid, "name": data.screen_name})
    await record(session, audit_context, shop_id=shop_id, action="weibo.bound",
                 details={"weibo_uid": data.weibo_uid})
    return await summary(session, shop_id)


async def unbind(session: AsyncSession, shop_id: uuid.UUID, audit_context: AuditContext) -> None:
    # Only the binding goes: the mentions already received stay readable.
    result = await session.execute(text(
        "DELETE FROM weibo_accounts WHERE shop_id = :shop_id RETURNING weibo_uid"),
        {"shop_id": shop_id})
    if result.first() is None:
        raise ApiError(404, "weibo.not_bound", "This shop has no Weibo account bound.")
    await record(session, audit_context, shop_id=shop_id, action="weibo.unbound")


async def push_mention(session: AsyncSession, shop_id: uuid.UUID, data: MentionPush
                       ) -> tuple[MentionRead, bool]:
    row = (await session.execute(text(
        "INSERT INTO weibo_mentions AS w (shop_id, id, platform_id, author_name, body, posted_at) "
        "VALUES (:shop_id, :id, :platform_id, :author, :body, :posted_at) "
        "ON CONFLICT (shop_id, platform_id) DO UPDATE SET author_name = EXCLUDED.author_name, "
        "body = EXCLUDED.body, posted_at = EXCLUDED.posted_at "
        "RETURNING id, platform_id, author_name, body, posted_at, (xmax = 0) AS inserted"),
        {"shop_id": shop_id, "id": uuid.uuid4(), "platform_id": data.platform_id,
         "author": data.author_name, "body": data.body, "posted_at": data.posted_at})).one()
    return _mention(row), bool(row.inserted)


def _mention(row: Any) -> MentionRead:
    return MentionRead(id=row.id, platform_id=row.platform_id, author_name=row.author_name,
                       body=row.body, posted_at=row.posted_at)


async def list_mentions(session: AsyncSession, shop_id: uuid.UUID, *, limit: int,
                        cursor: str | None) -> Page[MentionRead]:
    return await newest_first(
        session, "SELECT id, platform_id, author_name, body, posted_at FROM weibo_mentions "
        "WHERE shop_id = :shop_id", {"shop_id": shop_id}, ts="posted_at", id_col="id",
        limit=limit, cursor=cursor, build=_mention, key=lambda r: (r.posted_at, r.id))

"""Customer tags: created (customer_tags:create), assigned (customer_tags:assign), edited
and deleted (customer_tags:edit; agents may not, roles.md)."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.audit.services import record
from api.domain.customer_profile import errors
from api.domain.customer_profile.schemas import TagPatch
from api.domain.customer_profile.services import ensure_customer, keyset, page_of
from api.pagination import Page

__all__ = ["assign", "create_tag", "delete_tag", "list_tags", "unassign", "update_tag"]

_COLUMNS = "id, name, color, created_at"


async def create_tag(session: AsyncSession, shop_id: uuid.UUID, name: str, color: str,
                     user_id: uuid.UUID | None, audit_context: AuditContext) -> Any:
    try:
        async with session.begin_nested():
            row = (await session.execute(text(
                "INSERT INTO customer_tags (shop_id, id, name, color, created_by) "
                f"VALUES (:s, :id, :n, :c, :by) RETURNING {_COLUMNS}"),
                {"s": shop_id, "id": uuid.uuid4(), "n": name, "c": color,
                 "by": user_id})).one()
    except IntegrityError as exc:
        raise errors.tag_name_taken() from exc
    await record(session, audit_context, shop_id=shop_id, action="customer_tag.created",
                 target=f"customer_tag:{row.id}", details={"name": name})
    return row


async def update_tag(session: AsyncSession, shop_id: uuid.UUID, tag_id: uuid.UUID,
                     patch: TagPatch, audit_context: AuditContext) -> Any:
    changes = {k: v for k, v in msgspec.structs.asdict(patch).items() if v is not msgspec.UNSET}
    sets = "".join(f"{k} = :{k}, " for k in changes)
    try:
        async with session.begin_nested():
            row = (await session.execute(text(
                f"UPDATE customer_tags SET {sets}updated_at = now() "
                f"WHERE shop_id = :s AND id = :id RETURNING {_COLUMNS}"),
                {"s": shop_id, "id": tag_id, **changes})).first()
    except IntegrityError as exc:
        raise errors.tag_name_taken() from exc
    if row is None:
        raise errors.tag_not_found()
    await record(session, audit_context, shop_id=shop_id, action="customer_tag.updated",
                 target=f"customer_tag:{tag_id}", details=changes)
    return row


async def delete_tag(session: AsyncSession, shop_id: uuid.UUID, tag_id: uuid.UUID,
                     audit_context: AuditContext) -> None:
    """Deleting a tag takes it off every customer (the links cascade)."""
    row = (await session.execute(text(
        "DELETE FROM customer_tags WHERE shop_id = :s AND id = :id RETURNING name"),
        {"s": shop_id, "id": tag_id})).first()
    if row is None:
        raise errors.tag_not_found()
    await record(session, audit_context, shop_id=shop_id, action="customer_tag.deleted",
                 target=f"customer_tag:{tag_id}", details={"name": row.name})


async def list_tags(session: AsyncSession, shop_id: uuid.UUID, *, limit: int,
                    cursor: str | None) -> Page[Any]:
    params: dict[str, Any] = {"s": shop_id, "limit": limit + 1}
    extra = " AND (created_at, id) > (:c_at, :c_id)" if keyset(cursor, params) else ""
    rows = (await session.execute(text(
        f"SELECT {_COLUMNS} FROM customer_tags WHERE shop_id = :s{extra} "
        "ORDER BY created_at, id LIMIT :limit"), params)).all()
    return page_of(rows, limit)


async def _tag_exists(session: AsyncSession, shop_id: uuid.UUID, tag_id: uuid.UUID) -> None:
    if (await session.execute(text("SELECT 1 FROM customer_tags WHERE shop_id = :s AND id = :t"),
                              {"s": shop_id, "t": tag_id})).first() is None:
        raise errors.tag_not_found()


async def assign(session: AsyncSession, shop_id: uuid.UUID, customer_id: uuid.UUID,
                 tag_id: uuid.UUID, user_id: uuid.UUID | None, audit_context: AuditContext
                 ) -> None:
    """Idempotent: tagging twice (even at once) leaves one link."""
    await ensure_customer(session, shop_id, customer_id)
    await _tag_exists(session, shop_id, tag_id)
    await session.execute(text(
        "INSERT INTO customer_tag_links (shop_id, customer_id, tag_id, assigned_by) "
        "VALUES (:s, :c, :t, :by) ON CONFLICT DO NOTHING"),
        {"s": shop_id, "c": customer_id, "t": tag_id, "by": user_id})
    await record(session, audit_context, shop_id=shop_id, action="customer_tag.assigned",
                 target=f"customer:{customer_id}", details={"tag_id": str(tag_id)})


async def unassign(session: AsyncSession, shop_id: uuid.UUID, customer_id: uuid.UUID,
                   tag_id: uuid.UUID, audit_context: AuditContext) -> None:
    await ensure_customer(session, shop_id, customer_id)
    await _tag_exists(session, shop_id, tag_id)
    await session.execute(text(
        "DELETE FROM customer_tag_links WHERE shop_id = :s AND customer_id = :c "
        "AND tag_id = :t"), {"s": shop_id, "c": customer_id, "t": tag_id})
    await record(session, audit_context, shop_id=shop_id, action="customer_tag.unassigned",
                 target=f"customer:{customer_id}", details={"tag_id": str(tag_id)})

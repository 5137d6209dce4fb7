"""Product groups (商品分组): the shelves staff and buyers browse the catalog by.

Groups the store pushes carry its platform id; staff with product_groups:write arrange
groups directly, because a grouping is the desk's presentation of the catalog, not a state
of the store's listing that the store must confirm. Each change is announced on the event
log (``product_group.changed``) so the shop's systems can mirror it.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.audit.services import record
from api.domain.desk_common.paging import cursor_time
from api.domain.events.outbox import emit
from api.domain.products import errors
from api.domain.products.schemas import ProductGroupPatch, ProductGroupUpsert
from api.domain.products.services import get_product
from api.pagination import Page, decode_cursor, encode_cursor, invalid_cursor

__all__ = ["add_product", "create_group", "delete_group", "get_group", "list_groups",
           "remove_product", "update_group", "upsert_group"]

_COLUMNS = ("g.id, g.platform_group_id, g.name, g.position, g.created_at, g.updated_at, "
            "(SELECT count(*) FROM product_group_items i WHERE i.shop_id = g.shop_id "
            "AND i.group_id = g.id) AS product_count")


async def _changed(session: AsyncSession, shop_id: uuid.UUID, group_id: uuid.UUID,
                   change: str, audit_context: AuditContext, **details: Any) -> None:
    await emit(session, shop_id, "product_group.changed",
               {"group_id": str(group_id), "change": change, **details},
               permission="product_groups:read")
    await record(session, audit_context, shop_id=shop_id, action=f"product_group.{change}",
                 target=f"product_group:{group_id}", details=details)


async def get_group(session: AsyncSession, shop_id: uuid.UUID, group_id: uuid.UUID) -> Any:
    row = (await session.execute(text(
        f"SELECT {_COLUMNS} FROM product_groups g WHERE g.shop_id = :s AND g.id = :id"),
        {"s": shop_id, "id": group_id})).first()
    if row is None:
        raise errors.group_not_found()
    return row


async def _name_free(session: AsyncSession, shop_id: uuid.UUID, name: str,
                     except_id: uuid.UUID | None = None) -> None:
    taken = (await session.execute(text(
        "SELECT id FROM product_groups WHERE shop_id = :s AND name = :n"),
        {"s": shop_id, "n": name})).scalar_one_or_none()
    if taken is not None and taken != except_id:
        raise errors.group_name_taken()


async def upsert_group(session: AsyncSession, shop_id: uuid.UUID, data: ProductGroupUpsert,
                       audit_context: AuditContext) -> Any:
    try:
        async with session.begin_nested():
            row = (await session.execute(text(
                "INSERT INTO product_groups (shop_id, id, platform_group_id, name, position) "
                "VALUES (:s, :id, :pid, :n, :p) ON CONFLICT (shop_id, platform_group_id) "
                "DO UPDATE SET name = EXCLUDED.name, position = EXCLUDED.position, "
                "updated_at = now() RETURNING id"),
                {"s": shop_id, "id": uuid.uuid4(), "pid": data.platform_group_id,
                 "n": data.name, "p": data.position})).one()
    except IntegrityError as exc:  # the name belongs to another group
        raise errors.group_name_taken() from exc
    await _changed(session, shop_id, row.id, "upserted", audit_context,
                   platform_group_id=data.platform_group_id)
    return await get_group(session, shop_id, row.id)


async def create_group(session: AsyncSession, shop_id: uuid.UUID, name: str, position: int,
                       audit_context: AuditContext) -> Any:
    await _name_free(session, shop_id, name)
    try:
        async with session.begin_nested():
            row = (await session.execute(text(
                "INSERT INTO product_groups (shop_id, id, name, position) "
                "VALUES (:s, :id, :n, :p) RETURNING id"),
                {"s": shop_id, "id": uuid.uuid4(), "n": name, "p": position})).one()
    except IntegrityError as exc:  # created concurrently under the same name
        raise errors.group_name_taken() from exc
    await _changed(session, shop_id, row.id, "created", audit_context, name=name)
    return await get_group(session, shop_id, row.id)


async def update_group(session: AsyncSession, shop_id: uuid.UUID, group_id: uuid.UUID,
                       patch: ProductGroupPatch, audit_context: AuditContext) -> Any:
    await get_group(session, shop_id, group_id)
    changes = {k: v for k, v in msgspec.structs.asdict(patch).items() if v is not msgspec.UNSET}
    if "name" in changes:
        await _name_free(session, shop_id, changes["name"], group_id)
    if changes:
        try:
            async with session.begin_nested():
                await session.execute(text(
                    f"UPDATE product_groups SET {', '.join(f'{k} = :{k}' for k in changes)}, "
                    "updated_at = now() WHERE shop_id = :s AND id = :id"),
                    {"s": shop_id, "id": group_id, **changes})
        except IntegrityError as exc:
            raise errors.group_name_taken() from exc
        await _changed(session, shop_id, group_id, "updated", audit_context,
                       fields=sorted(changes))
    return await get_group(session, shop_id, group_id)


async def delete_group(session: AsyncSession, shop_id: uuid.UUID, group_id: uuid.UUID,
                       audit_context: AuditContext) -> None:
    deleted = (await session.execute(text(
        "DELETE FROM product_groups WHERE shop_id = :s AND id = :id RETURNING id"),
        {"s": shop_id, "id": group_id})).first()
    if deleted is None:
        raise errors.group_not_found()
    await _changed(session, shop_id, group_id, "deleted", audit_context)


async def add_product(session: AsyncSession, shop_id: uuid.UUID, group_id: uuid.UUID,
                      product_id: uuid.UUID, audit_context: AuditContext) -> Any:
    await get_group(session, shop_id, group_id)
    await get_product(session, shop_id, product_id)
    await session.execute(text(
        "INSERT INTO product_group_items (shop_id, group_id, product_id) VALUES (:s, :g, :p) "
        "ON CONFLICT DO NOTHING"), {"s": shop_id, "g": group_id, "p": product_id})
    await _changed(session, shop_id, group_id, "product_added", audit_context,
                   product_id=str(product_id))
    return await get_group(session, shop_id, group_id)


async def remove_product(session: AsyncSession, shop_id: uuid.UUID, group_id: uuid.UUID,
                         product_id: uuid.UUID, audit_context: AuditContext) -> Any:
    await get_group(session, shop_id, group_id)
    await session.execute(text(
        "DELETE FROM product_group_items WHERE shop_id = :s AND group_id = :g "
        "AND product_id = :p"), {"s": shop_id, "g": group_id, "p": product_id})
    await _changed(session, shop_id, group_id, "product_removed", audit_context,
                   product_id=str(product_id))
    return await get_group(session, shop_id, group_id)


async def list_groups(session: AsyncSession, shop_id: uuid.UUID, *, limit: int,
                      cursor: str | None) -> Page[Any]:
    """By (position, created_at, id)."""
    params: dict[str, Any] = {"s": shop_id, "limit": limit + 1}
    where = "g.shop_id = :s"
    key = decode_cursor(cursor, 3)
    if key is not None:
        try:
            params.update(c_pos=int(key[0]), c_at=cursor_time(key[1]),
                          c_id=uuid.UUID(key[2]))
        except (TypeError, ValueError) as exc:
            raise invalid_cursor() from exc
        if not -2**31 <= params["c_pos"] < 2**31:  # position is a PostgreSQL integer
            raise invalid_cursor()
        where += " AND (g.position, g.created_at, g.id) > (:c_pos, :c_at, :c_id)"
    rows = (await session.execute(text(
        f"SELECT {_COLUMNS} FROM product_groups g WHERE {where} "
        "ORDER BY g.position, g.created_at, g.id LIMIT :limit"), params)).all()
    items = rows[:limit]
    next_cursor = (encode_cursor([items[-1].position, items[-1].created_at.isoformat(),
                                  str(items[-1].id)]) if len(rows) > limit else None)
    return Page(items=items, next_cursor=next_cursor)

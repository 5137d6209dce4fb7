"""Products: the store's copy (upserted by platform id), and staff edits the store applies.

Editing (products:write) and publishing or unpublishing (products:publish) are store
actions, not direct changes: the storefront the buyer sees is the store's, it may refuse
(audit pending, stock locked by a promotion), and a direct local change would be silently
overwritten by the store's next push. The desk's copy changes when the store confirms.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.audit.services import record
from api.domain.products import errors
from api.domain.products.schemas import ProductPatch, ProductUpsert
from api.domain.store_actions import services as actions
from api.domain.store_actions.enums import ActionKind, ActionStatus
from api.domain.store_actions.errors import in_flight
from api.domain.store_actions.services import StoreAction
from api.pagination import Page, decode_cursor, page_of

__all__ = ["edit", "get_product", "list_products", "set_published", "upsert_product"]

COLUMNS = ("id, platform_product_id, title, description, price_minor, currency, stock, status, "
           "created_at, updated_at")


async def upsert_product(session: AsyncSession, shop_id: uuid.UUID, data: ProductUpsert,
                         audit_context: AuditContext) -> tuple[Any, bool]:
    row = (await session.execute(text(
        "INSERT INTO products AS p (shop_id, id, platform_product_id, title, description, "
        "price_minor, currency, stock, status) VALUES (:s, :id, :pid, :t, :d, :price, :cur, "
        ":stock, :status) ON CONFLICT (shop_id, platform_product_id) DO UPDATE SET "
        "title = EXCLUDED.title, description = EXCLUDED.description, "
        "price_minor = EXCLUDED.price_minor, currency = EXCLUDED.currency, "
        "stock = EXCLUDED.stock, status = EXCLUDED.status, updated_at = now() "
        f"RETURNING {COLUMNS}, (xmax = 0) AS created"),
        {"s": shop_id, "id": uuid.uuid4(), "pid": data.platform_product_id, "t": data.title,
         "d": data.description, "price": data.price_minor, "cur": data.currency,
         "stock": data.stock, "status": data.status})).one()
    if data.platform_group_ids is not None:
        # The store's groups for this product replace the store-made memberships; groups
        # the desk made itself (no platform id) keep theirs.
        await session.execute(text(
            "DELETE FROM product_group_items i USING product_groups g WHERE i.shop_id = :s "
            "AND i.product_id = :p AND g.shop_id = :s AND g.id = i.group_id "
            "AND g.platform_group_id IS NOT NULL"), {"s": shop_id, "p": row.id})
        await session.execute(text(
            "INSERT INTO product_group_items (shop_id, group_id, product_id) "
            "SELECT :s, g.id, :p FROM product_groups g WHERE g.shop_id = :s "
            "AND g.platform_group_id = ANY(:gids) ON CONFLICT DO NOTHING"),
            {"s": shop_id, "p": row.id, "gids": list(data.platform_group_ids)})
    await record(session, audit_context, shop_id=shop_id, action="product.upserted",
                 target=f"product:{row.id}",
                 details={"platform_product_id": data.platform_product_id,
                          "created": row.created})
    return row, bool(row.created)


async def get_product(session: AsyncSession, shop_id: uuid.UUID, product_id: uuid.UUID, *,
                      lock: bool = False) -> Any:
    row = (await session.execute(text(
        f"SELECT {COLUMNS} FROM products WHERE shop_id = :s AND id = :id"
        + (" FOR UPDATE" if lock else "")), {"s": shop_id, "id": product_id})).first()
    if row is None:
        raise errors.not_found()
    return row


async def list_products(session: AsyncSession, shop_id: uuid.UUID, *, limit: int,
                        cursor: str | None, status: str | None = None,
                        group_id: uuid.UUID | None = None) -> Page[Any]:
    """Oldest first by (created_at, id); optionally one status or one group's products."""
    where = ["p.shop_id = :s"]
    params: dict[str, Any] = {"s": shop_id, "limit": limit + 1}
    if status is not None:
        where.append("p.status = :status")
        params["status"] = status
    if group_id is not None:
        where.append("EXISTS (SELECT 1 FROM product_group_items i WHERE i.shop_id = :s "
                     "AND i.group_id = :g AND i.product_id = p.id)")
        params["g"] = group_id
    after = decode_cursor(cursor, (datetime, uuid.UUID))
    if after is not None:
        params["c_at"], params["c_id"] = after
        where.append("(p.created_at, p.id) > (:c_at, :c_id)")
    cols = ", ".join(f"p.{c.strip()}" for c in COLUMNS.split(","))
    rows = (await session.execute(text(
        f"SELECT {cols} FROM products p WHERE {' AND '.join(where)} "
        "ORDER BY p.created_at, p.id LIMIT :limit"), params)).all()
    return page_of(rows, limit, lambda row: [row.created_at, row.id])


async def _ask(session: AsyncSession, shop_id: uuid.UUID, product: Any, kind: ActionKind,
               payload: dict[str, Any], user_id: uuid.UUID | None, key: str | None,
               audit_context: AuditContext) -> StoreAction:
    return await actions.request_action(
        session, shop_id, kind=kind.value, target_type="product", target_id=product.id,
        payload={"platform_product_id": product.platform_product_id, **payload},
        requested_by=user_id, idempotency_key=key, audit_context=audit_context)


async def _repeat(session: AsyncSession, shop_id: uuid.UUID, key: str | None
                  ) -> StoreAction | None:
    existing = await actions.find_by_key(session, shop_id, key)
    return existing if existing and existing.status != ActionStatus.FAILED else None


async def edit(session: AsyncSession, shop_id: uuid.UUID, product_id: uuid.UUID,
               patch: ProductPatch, *, user_id: uuid.UUID | None, key: str | None,
               audit_context: AuditContext) -> StoreAction:
    product = await get_product(session, shop_id, product_id, lock=True)
    repeat = await _repeat(session, shop_id, key)
    if repeat is not None:
        return await _ask(session, shop_id, product, ActionKind.PRODUCT_UPDATE,
                          {"changes": repeat.payload.get("changes", {})}, user_id, key,
                          audit_context)
    changes = {k: v for k, v in msgspec.structs.asdict(patch).items()
               if v is not msgspec.UNSET and getattr(product, k) != v}
    if not changes:
        raise errors.nothing_to_change()
    return await _ask(session, shop_id, product, ActionKind.PRODUCT_UPDATE,
                      {"changes": changes}, user_id, key, audit_context)


async def set_published(session: AsyncSession, shop_id: uuid.UUID, product_id: uuid.UUID,
                        publish: bool, *, user_id: uuid.UUID | None, key: str | None,
                        audit_context: AuditContext) -> StoreAction:
    """上架 / 下架, asked of the store."""
    product = await get_product(session, shop_id, product_id, lock=True)
    kind = ActionKind.PRODUCT_PUBLISH if publish else ActionKind.PRODUCT_UNPUBLISH
    if await _repeat(session, shop_id, key) is None:
        # Publish and unpublish exclude each other while either waits for the store.
        waiting = await actions.in_flight_of(
            session, shop_id, "product", product.id,
            (ActionKind.PRODUCT_PUBLISH.value, ActionKind.PRODUCT_UNPUBLISH.value))
        if waiting is not None:
            raise in_flight(waiting.id)
        target = "published" if publish else "unpublished"
        if product.status == target:
            raise errors.already(target)
        if publish and product.stock == 0:
            raise errors.out_of_stock()
    return await _ask(session, shop_id, product, kind, {}, user_id, key, audit_context)


# -- the store's answer ------------------------------------------------------------------

_EDITABLE = ("title", "description", "price_minor", "stock")


async def _edited(session: AsyncSession, action: StoreAction, _: AuditContext) -> None:
    changes = {k: v for k, v in action.payload.get("changes", {}).items() if k in _EDITABLE}
    if not changes:
        return
    sets = ", ".join(f"{k} = :{k}" for k in changes)
    await session.execute(text(
        f"UPDATE products SET {sets}, updated_at = now() WHERE shop_id = :s AND id = :id"),
        {"s": action.shop_id, "id": action.target_id, **changes})


def _status_effect(status: str):  # type: ignore[no-untyped-def]
    async def effect(session: AsyncSession, action: StoreAction, _: AuditContext) -> None:
        await session.execute(text(
            "UPDATE products SET status = :st, updated_at = now() "
            "WHERE shop_id = :s AND id = :id"),
            {"s": action.shop_id, "id": action.target_id, "st": status})
    return effect


for _kind in (ActionKind.PRODUCT_UPDATE, ActionKind.PRODUCT_PUBLISH,
              ActionKind.PRODUCT_UNPUBLISH):
    actions.readable_with(_kind.value, "products:read")
actions.on_applied(ActionKind.PRODUCT_UPDATE.value, _edited)
actions.on_applied(ActionKind.PRODUCT_PUBLISH.value, _status_effect("published"))
actions.on_applied(ActionKind.PRODUCT_UNPUBLISH.value, _status_effect("unpublished"))

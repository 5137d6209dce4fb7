"""Distribution orders: an upsert by the store's id, and the admins' list."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.audit.services import record
from api.domain.desk_common.paging import newest_first
from api.domain.distribution.schemas import (
    DistributionOrderPush,
    DistributionOrderPushed,
    DistributionOrderRead,
    DistributionStatus,
)
from api.pagination import Page

__all__ = ["list_orders", "push_order"]

_COLUMNS = ("id, platform_id, supplier_name, status, item_count, total_minor, currency, "
            "placed_at, updated_at")


def _read(row: Any) -> DistributionOrderRead:
    return DistributionOrderRead(
        id=row.id, platform_id=row.platform_id, supplier_name=row.supplier_name,
        status=DistributionStatus(row.status), item_count=row.item_count,
        total_minor=row.total_minor, currency=row.currency, placed_at=row.placed_at,
        updated_at=row.updated_at)


async def push_order(session: AsyncSession, shop_id: uuid.UUID, data: DistributionOrderPush,
                     audit_context: AuditContext) -> DistributionOrderPushed:
    row = (await session.execute(text(
        f"INSERT INTO distribution_orders AS d (shop_id, id, platform_id, supplier_name, status, "
        f"item_count, total_minor, currency, placed_at) VALUES (:shop_id, :id, :platform_id, "
        f":supplier, :status, :items, :total, :currency, :placed_at) "
        f"ON CONFLICT (shop_id, platform_id) DO UPDATE SET supplier_name = EXCLUDED.supplier_name, "
        f"status = EXCLUDED.status, item_count = EXCLUDED.item_count, "
        f"total_minor = EXCLUDED.total_minor, currency = EXCLUDED.currency, "
        f"placed_at = EXCLUDED.placed_at, updated_at = now() "
        f"RETURNING {_COLUMNS}, (xmax = 0) AS inserted"),
        {"shop_id": shop_id, "id": uuid.uuid4(), "platform_id": data.platform_id,
         "supplier": data.supplier_name, "status": data.status.value, "items": data.item_count,
         "total": data.total_minor, "currency": data.currency, "placed_at": data.placed_at}
    )).one()
    if row.inserted:
        await record(session, audit_context, shop_id=shop_id, action="distribution_order.received",
                     target=f"distribution_order:{row.id}",
                     details={"platform_id": data.platform_id})
    return DistributionOrderPushed(order=_read(row), created=bool(row.inserted))


async def list_orders(session: AsyncSession, shop_id: uuid.UUID, *, limit: int,
                      cursor: str | None, status: DistributionStatus | None
                      ) -> Page[DistributionOrderRead]:
    sql = f"SELECT {_COLUMNS} FROM distribution_orders WHERE shop_id = :shop_id"
    params: dict[str, Any] = {"shop_id": shop_id}
    if status is not None:
        sql += " AND status = :status"
        params["status"] = status.value
    return await newest_first(session, sql, params, ts="placed_at", id_col="id", limit=limit,
                              cursor=cursor, build=_read, key=lambda r: (r.placed_at, r.id))

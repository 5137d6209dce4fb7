"""Trade and logistics over the orders the store pushed (``orders``, migration 0006).

The stage is derived from the order's status, so it can never disagree with it; the list
is newest first by when the order was placed.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.desk_common.paging import newest_first
from api.domain.trade.schemas import Stage, StageCount, TradeRow, TradeSummary
from api.pagination import Page

__all__ = ["STATUSES", "list_trades", "summary"]

STATUSES: dict[Stage, tuple[str, ...]] = {
    Stage.AWAITING_PAYMENT: ("pending_payment",),
    Stage.AWAITING_SHIPMENT: ("paid",),
    Stage.IN_TRANSIT: ("shipped",),
    Stage.DELIVERED: ("signed",),
    Stage.CLOSED: ("closed", "refunded"),
}
_STAGE_OF = {status: stage for stage, statuses in STATUSES.items() for status in statuses}
_COLUMNS = ("id, platform_order_id, status, total_minor, currency, carrier, tracking_number, "
            "placed_at, paid_at, shipped_at, signed_at, refused_at, disputed")


def _read(row: Any) -> TradeRow:
    return TradeRow(order_id=row.id, platform_order_id=row.platform_order_id,
                    stage=_STAGE_OF[row.status], status=row.status, total_minor=row.total_minor,
                    currency=row.currency.strip(), carrier=row.carrier,
                    tracking_number=row.tracking_number, placed_at=row.placed_at,
                    paid_at=row.paid_at, shipped_at=row.shipped_at, signed_at=row.signed_at,
                    refused_at=row.refused_at, disputed=row.disputed)


async def list_trades(session: AsyncSession, shop_id: uuid.UUID, *, limit: int,
                      cursor: str | None, stage: Stage | None, carrier: str | None,
                      tracking_number: str | None) -> Page[TradeRow]:
    sql = f"SELECT {_COLUMNS} FROM orders WHERE shop_id = :shop_id"
    params: dict[str, Any] = {"shop_id": shop_id}
    if stage is not None:
        sql += " AND status = ANY(:statuses)"
        params["statuses"] = list(STATUSES[stage])
    if carrier is not None:
        sql += " AND carrier = :carrier"
        params["carrier"] = carrier
    if tracking_number is not None:
        sql += " AND tracking_number = :tracking"
        params["tracking"] = tracking_number
    return await newest_first(session, sql, params, ts="placed_at", id_col="id", limit=limit,
                              cursor=cursor, build=_read, key=lambda r: (r.placed_at, r.id))


async def summary(session: AsyncSession, shop_id: uuid.UUID) -> TradeSummary:
    rows = await session.execute(text(
        "SELECT status, count(*) AS n FROM orders WHERE shop_id = :shop_id GROUP BY status"),
        {"shop_id": shop_id})
    counts = dict.fromkeys(Stage, 0)
    for row in rows:
        counts[_STAGE_OF[row.status]] += row.n
    return TradeSummary(stages=[StageCount(stage, n) for stage, n in counts.items()])

"""After-sales cases (维权 and friends): the 5W1H record an agent keeps while handling it.

A case belongs to an order and, when it came up in one, links to its conversation (a
foreign key inside the shop); the conversation must be with the order's customer.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.after_sales import errors
from api.domain.after_sales.enums import CaseStatus
from api.domain.after_sales.schemas import CaseIn, CasePatch
from api.domain.audit.context import AuditContext
from api.domain.audit.services import record
from api.domain.orders.services import get_order
from api.pagination import Page, decode_cursor, page_of

__all__ = ["create_case", "get_case", "list_cases", "resolve_case", "update_case"]

_COLUMNS = ('id, order_id, conversation_id, kind, status, what, why, who, '
            'when_text AS "when", where_text AS "where", how, resolution, opened_by, '
            'handled_by, resolved_at, created_at, updated_at')
# API field -> column, for the 5W1H texts (when/where are SQL keywords).
_TEXT_COLUMNS = {"what": "what", "why": "why", "who": "who", "when": "when_text",
                 "where": "where_text", "how": "how"}


async def _check_conversation(session: AsyncSession, shop_id: uuid.UUID,
                              conversation_id: uuid.UUID | None, order: Any) -> None:
    if conversation_id is None:
        return
    customer = (await session.execute(text(
        "SELECT customer_id FROM conversations WHERE shop_id = :s AND id = :c"),
        {"s": shop_id, "c": conversation_id})).first()
    if customer is None:
        raise errors.unknown_conversation()
    if order.customer_id is not None and customer.customer_id != order.customer_id:
        raise errors.conversation_customer_mismatch()


async def create_case(session: AsyncSession, shop_id: uuid.UUID, data: CaseIn,
                      user_id: uuid.UUID | None, audit_context: AuditContext) -> Any:
    order = await get_order(session, shop_id, data.order_id)
    await _check_conversation(session, shop_id, data.conversation_id, order)
    row = (await session.execute(text(
        "INSERT INTO after_sales_cases (shop_id, id, order_id, conversation_id, kind, what, "
        "why, who, when_text, where_text, how, opened_by, handled_by) VALUES (:s, :id, :o, "
        ":c, :kind, :what, :why, :who, :when, :where, :how, :by, :by) "
        f"RETURNING {_COLUMNS}"),
        {"s": shop_id, "id": uuid.uuid4(), "o": data.order_id, "c": data.conversation_id,
         "kind": data.kind.value, "what": data.what, "why": data.why, "who": data.who,
         "when": data.when, "where": data.where, "how": data.how, "by": user_id})).one()
    await record(session, audit_context, shop_id=shop_id, action="after_sales.case_opened",
                 target=f"after_sales_case:{row.id}",
                 details={"order_id": str(data.order_id), "kind": data.kind.value})
    return row


async def get_case(session: AsyncSession, shop_id: uuid.UUID, case_id: uuid.UUID, *,
                   lock: bool = False) -> Any:
    row = (await session.execute(text(
        f"SELECT {_COLUMNS} FROM after_sales_cases WHERE shop_id = :s AND id = :id"
        + (" FOR UPDATE" if lock else "")), {"s": shop_id, "id": case_id})).first()
    if row is None:
        raise errors.case_not_found()
    return row


async def update_case(session: AsyncSession, shop_id: uuid.UUID, case_id: uuid.UUID,
                      data: CasePatch, user_id: uuid.UUID | None,
                      audit_context: AuditContext) -> Any:
    case = await get_case(session, shop_id, case_id, lock=True)
    if case.status != CaseStatus.OPEN:
        raise errors.case_closed(case.status)
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    if "conversation_id" in changes:
        await _check_conversation(session, shop_id, changes["conversation_id"],
                                  await get_order(session, shop_id, case.order_id))
    if not changes:
        return case
    sets = [f"{_TEXT_COLUMNS.get(k, k)} = :{k}" for k in changes]
    row = (await session.execute(text(
        f"UPDATE after_sales_cases SET {', '.join(sets)}, handled_by = :by, "
        f"updated_at = now() WHERE shop_id = :s AND id = :id RETURNING {_COLUMNS}"),
        {"s": shop_id, "id": case_id, "by": user_id, **changes})).one()
    await record(session, audit_context, shop_id=shop_id, action="after_sales.case_updated",
                 target=f"after_sales_case:{case_id}", details={"fields": sorted(changes)})
    return row


async def resolve_case(session: AsyncSession, shop_id: uuid.UUID, case_id: uuid.UUID,
                       status: CaseStatus, resolution: str, user_id: uuid.UUID | None,
                       audit_context: AuditContext) -> Any:
    case = await get_case(session, shop_id, case_id, lock=True)
    if case.status != CaseStatus.OPEN:
        raise errors.case_closed(case.status)
    if status is CaseStatus.OPEN:
        return case
    row = (await session.execute(text(
        "UPDATE after_sales_cases SET status = :st, resolution = :r, handled_by = :by, "
        "resolved_at = now(), updated_at = now() WHERE shop_id = :s AND id = :id "
        f"RETURNING {_COLUMNS}"),
        {"s": shop_id, "id": case_id, "st": status.value, "r": resolution,
         "by": user_id})).one()
    await record(session, audit_context, shop_id=shop_id, action="after_sales.case_resolved",
                 target=f"after_sales_case:{case_id}", details={"status": status.value})
    return row


async def list_cases(session: AsyncSession, shop_id: uuid.UUID, *, limit: int,
                     cursor: str | None, status: str | None, order_id: uuid.UUID | None
                     ) -> Page[Any]:
    """Newest first by (created_at, id)."""
    where, params = ["shop_id = :s"], {"s": shop_id, "limit": limit + 1}
    if status is not None:
        where.append("status = :status")
        params["status"] = status
    if order_id is not None:
        where.append("order_id = :order_id")
        params["order_id"] = order_id
    after = decode_cursor(cursor, (datetime, uuid.UUID))
    if after is not None:
        params["c_at"], params["c_id"] = after
        where.append("(created_at, id) < (:c_at, :c_id)")
    rows = (await session.execute(text(
        f"SELECT {_COLUMNS} FROM after_sales_cases WHERE {' AND '.join(where)} "
        "ORDER BY created_at DESC, id DESC LIMIT :limit"), params)).all()
    return page_of(rows, limit, lambda row: [row.created_at, row.id])

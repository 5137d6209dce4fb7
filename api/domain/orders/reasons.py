"""The shop's close reasons and the store limits the desk checks before asking the store.

A shop starts with seed 002's three cancellations (买家下单错误, 缺货, 地址错误); they are
written for the shop the first time its list is read or edited, so the shop may rename or
retire them like its own. Retired reasons stay (old orders name them) but cannot be chosen.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.audit.services import record
from api.domain.orders import errors

__all__ = ["DEFAULT_REASONS", "DEFAULT_REFUSAL_WINDOW_HOURS", "active_reason", "get_settings",
           "list_reasons", "put_reason", "put_settings"]

DEFAULT_REASONS = (
    ("wrong_order", "买家下单错误 (wrong order)"),
    ("out_of_stock", "缺货 (out of stock)"),
    ("wrong_address", "地址错误 (wrong address, cannot deliver)"),
)
DEFAULT_REFUSAL_WINDOW_HOURS = 168


async def _ensure_defaults(session: AsyncSession, shop_id: uuid.UUID) -> None:
    # Only a shop with no reasons at all gets the defaults: a shop that deleted one keeps
    # it deleted (retired rows stay, so the table is never empty again).
    exists = (await session.execute(text(
        "SELECT 1 FROM order_close_reasons WHERE shop_id = :s LIMIT 1"), {"s": shop_id})).first()
    if exists:
        return
    for position, (code, label) in enumerate(DEFAULT_REASONS):
        await session.execute(text(
            "INSERT INTO order_close_reasons (shop_id, code, label, position) "
            "VALUES (:s, :c, :l, :p) ON CONFLICT DO NOTHING"),
            {"s": shop_id, "c": code, "l": label, "p": position})


async def list_reasons(session: AsyncSession, shop_id: uuid.UUID) -> list[Any]:
    """All of the shop's reasons, active or not (a short list: it is bounded by the shop)."""
    await _ensure_defaults(session, shop_id)
    return list((await session.execute(text(
        "SELECT code, label, active, position FROM order_close_reasons WHERE shop_id = :s "
        "ORDER BY position, code"), {"s": shop_id})).all())


async def active_reason(session: AsyncSession, shop_id: uuid.UUID, code: str) -> Any:
    await _ensure_defaults(session, shop_id)
    row = (await session.execute(text(
        "SELECT code, label FROM order_close_reasons WHERE shop_id = :s AND code = :c "
        "AND active"), {"s": shop_id, "c": code})).first()
    if row is None:
        raise errors.unknown_close_reason(code)
    return row


async def put_reason(session: AsyncSession, shop_id: uuid.UUID, code: str, *, label: str,
                     active: bool, position: int, audit_context: AuditContext) -> Any:
    await _ensure_defaults(session, shop_id)
    row = (await session.execute(text(
        "INSERT INTO order_close_reasons (shop_id, code, label, active, position) "
        "VALUES (:s, :c, :l, :a, :p) ON CONFLICT (shop_id, code) DO UPDATE SET "
        "label = EXCLUDED.label, active = EXCLUDED.active, position = EXCLUDED.position "
        "RETURNING code, label, active, position"),
        {"s": shop_id, "c": code, "l": label, "a": active, "p": position})).one()
    await record(session, audit_context, shop_id=shop_id, action="order_close_reason.saved",
                 target=f"order_close_reason:{code}", details={"label": label, "active": active})
    return row


async def get_settings(session: AsyncSession, shop_id: uuid.UUID) -> int:
    hours = (await session.execute(text(
        "SELECT refusal_window_hours FROM commerce_settings WHERE shop_id = :s"),
        {"s": shop_id})).scalar_one_or_none()
    return DEFAULT_REFUSAL_WINDOW_HOURS if hours is None else hours


async def put_settings(session: AsyncSession, shop_id: uuid.UUID, hours: int,
                       audit_context: AuditContext) -> int:
    await session.execute(text(
        "INSERT INTO commerce_settings (shop_id, refusal_window_hours) VALUES (:s, :h) "
        "ON CONFLICT (shop_id) DO UPDATE SET refusal_window_hours = EXCLUDED.refusal_window_hours,"
        " updated_at = now()"), {"s": shop_id, "h": hours})
    await record(session, audit_context, shop_id=shop_id, action="commerce_settings.saved",
                 details={"refusal_window_hours": hours})
    return hours

"""Levels and their rules (level_rules:write), a customer's level (customer_levels:set),
and points rules (points_rules:write)."""

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
from api.domain.customer_profile.schemas import LevelIn, LevelPatch, PointsRuleIn, PointsRulePatch
from api.domain.customer_profile.services import ensure_customer

__all__ = ["create_level", "create_rule", "delete_level", "delete_rule", "list_levels",
           "list_rules", "set_level", "update_level", "update_rule"]

_LEVEL = "id, name, rank, min_points"
_RULE = "id, name, trigger, points, per_minor_units, active"


def _changes(patch: msgspec.Struct) -> dict[str, Any]:
    return {k: v for k, v in msgspec.structs.asdict(patch).items() if v is not msgspec.UNSET}


async def _write(session: AsyncSession, sql: str, params: dict[str, Any],
                 taken: Any) -> Any:
    try:
        async with session.begin_nested():
            return (await session.execute(text(sql), params)).first()
    except IntegrityError as exc:  # a unique name or rank; the savepoint keeps the request
        raise taken() from exc


async def list_levels(session: AsyncSession, shop_id: uuid.UUID) -> list[Any]:
    """A shop's levels by rank (a short list the shop defines: bounded, not paginated)."""
    return list((await session.execute(text(
        f"SELECT {_LEVEL} FROM customer_levels WHERE shop_id = :s ORDER BY rank LIMIT 1001"),
        {"s": shop_id})).all())


async def create_level(session: AsyncSession, shop_id: uuid.UUID, data: LevelIn,
                       audit_context: AuditContext) -> Any:
    row = await _write(session, "INSERT INTO customer_levels (shop_id, id, name, rank, "
                       f"min_points) VALUES (:s, :id, :n, :r, :m) RETURNING {_LEVEL}",
                       {"s": shop_id, "id": uuid.uuid4(), "n": data.name, "r": data.rank,
                        "m": data.min_points}, errors.level_taken)
    await record(session, audit_context, shop_id=shop_id, action="customer_level.created",
                 target=f"customer_level:{row.id}", details=msgspec.structs.asdict(data))
    return row


async def update_level(session: AsyncSession, shop_id: uuid.UUID, level_id: uuid.UUID,
                       patch: LevelPatch, audit_context: AuditContext) -> Any:
    changes = _changes(patch)
    sets = "".join(f"{k} = :{k}, " for k in changes)
    row = await _write(session, f"UPDATE customer_levels SET {sets}updated_at = now() "
                       f"WHERE shop_id = :s AND id = :id RETURNING {_LEVEL}",
                       {"s": shop_id, "id": level_id, **changes}, errors.level_taken)
    if row is None:
        raise errors.level_not_found()
    await record(session, audit_context, shop_id=shop_id, action="customer_level.updated",
                 target=f"customer_level:{level_id}", details=changes)
    return row


async def delete_level(session: AsyncSession, shop_id: uuid.UUID, level_id: uuid.UUID,
                       audit_context: AuditContext) -> None:
    in_use = (await session.execute(text(
        "SELECT 1 FROM customer_profiles WHERE shop_id = :s AND level_id = :l LIMIT 1"),
        {"s": shop_id, "l": level_id})).first()
    if in_use:
        raise errors.level_in_use()
    row = await _write(session, "DELETE FROM customer_levels WHERE shop_id = :s AND id = :id "
                       "RETURNING id", {"s": shop_id, "id": level_id}, errors.level_in_use)
    if row is None:
        raise errors.level_not_found()
    await record(session, audit_context, shop_id=shop_id, action="customer_level.deleted",
                 target=f"customer_level:{level_id}")


async def set_level(session: AsyncSession, shop_id: uuid.UUID, customer_id: uuid.UUID,
                    level_id: uuid.UUID | None, audit_context: AuditContext) -> None:
    """给客户设置等级 (``None`` clears it)."""
    await ensure_customer(session, shop_id, customer_id)
    if level_id is not None and (await session.execute(text(
            "SELECT 1 FROM customer_levels WHERE shop_id = :s AND id = :l"),
            {"s": shop_id, "l": level_id})).first() is None:
        raise errors.level_not_found()
    await session.execute(text(
        "INSERT INTO customer_profiles (shop_id, customer_id, level_id) VALUES (:s, :c, :l) "
        "ON CONFLICT (shop_id, customer_id) DO UPDATE SET level_id = EXCLUDED.level_id, "
        "updated_at = now()"), {"s": shop_id, "c": customer_id, "l": level_id})
    await record(session, audit_context, shop_id=shop_id, action="customer_level.set",
                 target=f"customer:{customer_id}",
                 details={"level_id": str(level_id) if level_id else None})


async def list_rules(session: AsyncSession, shop_id: uuid.UUID) -> list[Any]:
    """A shop's points rules (a short list the shop defines: bounded, not paginated)."""
    return list((await session.execute(text(
        f"SELECT {_RULE} FROM points_rules WHERE shop_id = :s ORDER BY name LIMIT 1000"),
        {"s": shop_id})).all())


async def create_rule(session: AsyncSession, shop_id: uuid.UUID, data: PointsRuleIn,
                      audit_context: AuditContext) -> Any:
    row = await _write(session, "INSERT INTO points_rules (shop_id, id, name, trigger, points, "
                       "per_minor_units, active) VALUES (:s, :id, :n, :t, :p, :u, :a) "
                       f"RETURNING {_RULE}",
                       {"s": shop_id, "id": uuid.uuid4(), "n": data.name, "t": data.trigger,
                        "p": data.points, "u": data.per_minor_units, "a": data.active},
                       errors.rule_taken)
    await record(session, audit_context, shop_id=shop_id, action="points_rule.created",
                 target=f"points_rule:{row.id}", details=msgspec.structs.asdict(data))
    return row


async def update_rule(session: AsyncSession, shop_id: uuid.UUID, rule_id: uuid.UUID,
                      patch: PointsRulePatch, audit_context: AuditContext) -> Any:
    changes = _changes(patch)
    sets = "".join(f"{k} = :{k}, " for k in changes)
    row = await _write(session, f"UPDATE points_rules SET {sets}updated_at = now() "
                       f"WHERE shop_id = :s AND id = :id RETURNING {_RULE}",
                       {"s": shop_id, "id": rule_id, **changes}, errors.rule_taken)
    if row is None:
        raise errors.rule_not_found()
    await record(session, audit_context, shop_id=shop_id, action="points_rule.updated",
                 target=f"points_rule:{rule_id}", details=changes)
    return row


async def delete_rule(session: AsyncSession, shop_id: uuid.UUID, rule_id: uuid.UUID,
                      audit_context: AuditContext) -> None:
    """A rule the ledger cites cannot be deleted (the ledger is history): it is retired."""
    cited = (await session.execute(text(
        "SELECT 1 FROM points_ledger WHERE shop_id = :s AND rule_id = :r LIMIT 1"),
        {"s": shop_id, "r": rule_id})).first()
    sql = ("UPDATE points_rules SET active = false, updated_at = now() "
           "WHERE shop_id = :s AND id = :id RETURNING id") if cited else (
           "DELETE FROM points_rules WHERE shop_id = :s AND id = :id RETURNING id")
    row = (await session.execute(text(sql), {"s": shop_id, "id": rule_id})).first()
    if row is None:
        raise errors.rule_not_found()
    await record(session, audit_context, shop_id=shop_id, action="points_rule.deleted",
                 target=f"points_rule:{rule_id}", details={"retired": bool(cited)})

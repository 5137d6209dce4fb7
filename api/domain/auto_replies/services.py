"""Keyword auto-reply rules and the shop's hosting settings (信息托管). Never commits.

Keywords are stored twice: as written (shown back) and normalized (``keywords_norm``:
casefolded, whitespace collapsed), which is what the engine compares, so matching in SQL
is a plain equality or ``strpos``.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.auto_replies.content import Content, normalize
from api.domain.auto_replies.enums import WEEKDAY_NUMBERS, MatchKind, Weekday
from api.domain.auto_replies.errors import duplicate_weekday, empty_window, rule_not_found
from api.domain.auto_replies.schemas import (
    AutoReplyRuleCreate,
    AutoReplyRuleRead,
    AutoReplyRuleUpdate,
    HostingRead,
    HostingWrite,
    WindowSpec,
)
from api.pagination import Page, decode_cursor, encode_cursor, invalid_cursor

__all__ = ["create_rule", "delete_rule", "get_hosting", "get_rule", "list_rules", "put_hosting",
           "update_rule"]

_COLS = "id, name, match, keywords, content, priority, enabled, created_at, updated_at"
_WEEKDAYS = {number: day for day, number in WEEKDAY_NUMBERS.items()}


def _content_json(content: Content) -> str:
    return json.dumps(msgspec.to_builtins(content), ensure_ascii=False, separators=(",", ":"))


def _rule(row: Any) -> AutoReplyRuleRead:
    return AutoReplyRuleRead(id=row.id, name=row.name, match=MatchKind(row.match), keywords=row.keywords,
                    content=msgspec.convert(row.content, Content), priority=row.priority,
                    enabled=row.enabled, created_at=row.created_at, updated_at=row.updated_at)


def _keywords(keywords: list[str]) -> tuple[list[str], list[str]]:
    """Keywords as written and as compared, duplicates (after normalizing) dropped."""
    kept: dict[str, str] = {}
    for keyword in keywords:
        kept.setdefault(normalize(keyword), keyword.strip())
    return list(kept.values()), list(kept)


async def list_rules(session: AsyncSession, shop_id: uuid.UUID, *, limit: int,
                     cursor: str | None) -> Page[AutoReplyRuleRead]:
    params: dict[str, Any] = {"shop_id": shop_id, "limit": limit + 1}
    where = "shop_id = :shop_id"
    key = decode_cursor(cursor, (datetime, uuid.UUID))  # aware time, uuid: else 400
    if key is not None:
        params["after_at"], params["after_id"] = key
        try:  # a moment past datetime's range in UTC (9999-12-31 at -14:00) fails in asyncpg
            params["after_at"].astimezone(UTC)
        except OverflowError as exc:
            raise invalid_cursor() from exc
        where += " AND (created_at, id) > (:after_at, :after_id)"
    rows = (await session.execute(text(
        f"SELECT {_COLS} FROM auto_reply_rules WHERE {where} ORDER BY created_at, id "
        "LIMIT :limit"), params)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = (encode_cursor([rows[-1].created_at.isoformat(), str(rows[-1].id)])
                   if more else None)
    return Page(items=[_rule(r) for r in rows], next_cursor=next_cursor)


async def get_rule(session: AsyncSession, shop_id: uuid.UUID, rule_id: uuid.UUID) -> AutoReplyRuleRead:
    row = (await session.execute(text(
        f"SELECT {_COLS} FROM auto_reply_rules WHERE shop_id = :shop_id AND id = :id"),
        {"shop_id": shop_id, "id": rule_id})).first()
    if row is None:
        raise rule_not_found()
    return _rule(row)


async def create_rule(session: AsyncSession, shop_id: uuid.UUID, actor: uuid.UUID | None,
                      data: AutoReplyRuleCreate) -> AutoReplyRuleRead:
    keywords, norm = _keywords(data.keywords)
    row = (await session.execute(text(
        "INSERT INTO auto_reply_rules (shop_id, id, name, match, keywords, keywords_norm, "
        "priority, content, enabled, created_by) VALUES (:shop_id, :id, :name, :match, "
        ":keywords, :norm, :priority, CAST(:content AS jsonb), :enabled, :actor) "
        f"RETURNING {_COLS}"),
        {"shop_id": shop_id, "id": uuid.uuid4(), "name": data.name, "match": data.match.value,
         "keywords": keywords, "norm": norm, "priority": data.priority,
         "content": _content_json(data.content), "enabled": data.enabled, "actor": actor})).one()
    return _rule(row)


async def update_rule(session: AsyncSession, shop_id: uuid.UUID, rule_id: uuid.UUID,
                      data: AutoReplyRuleUpdate) -> AutoReplyRuleRead:
    sets = ["updated_at = now()"]
    params: dict[str, Any] = {"shop_id": shop_id, "id": rule_id}
    for field in ("name", "priority", "enabled"):
        value = getattr(data, field)
        if value is not msgspec.UNSET:
            sets.append(f"{field} = :{field}")
            params[field] = value
    if data.match is not msgspec.UNSET:
        sets.append("match = :match")
        params["match"] = data.match.value
    if data.keywords is not msgspec.UNSET:
        params["keywords"], params["norm"] = _keywords(data.keywords)
        sets.append("keywords = :keywords, keywords_norm = :norm")
    if data.content is not msgspec.UNSET:
        sets.append("content = CAST(:content AS jsonb)")
        params["content"] = _content_json(data.content)
    row = (await session.execute(text(
        f"UPDATE auto_reply_rules SET {', '.join(sets)} WHERE shop_id = :shop_id AND id = :id "
        f"RETURNING {_COLS}"), params)).first()
    if row is None:
        raise rule_not_found()
    return _rule(row)


async def delete_rule(session: AsyncSession, shop_id: uuid.UUID, rule_id: uuid.UUID) -> None:
    row = (await session.execute(text(
        "DELETE FROM auto_reply_rules WHERE shop_id = :shop_id AND id = :id RETURNING id"),
        {"shop_id": shop_id, "id": rule_id})).first()
    if row is None:
        raise rule_not_found()


def _weekday_numbers(days: list[Weekday]) -> list[int]:
    seen: list[int] = []
    for day in days:
        number = WEEKDAY_NUMBERS[day]
        if number in seen:
            raise duplicate_weekday(day.value)
        seen.append(number)
    return sorted(seen)


async def get_hosting(session: AsyncSession, shop_id: uuid.UUID) -> HostingRead:
    row = (await session.execute(text(
        "SELECT enabled, content, windows, weekdays, wait_minutes, throttle_minutes, updated_at "
        "FROM hosting_settings WHERE shop_id = :shop_id"), {"shop_id": shop_id})).first()
    if row is None:
        return HostingRead(configured=False, enabled=False, content=None, windows=[],
                           weekdays=list(Weekday), wait_minutes=0, throttle_minutes=60,
                           updated_at=None)
    return HostingRead(
        configured=True, enabled=row.enabled, content=msgspec.convert(row.content, Content),
        windows=[WindowSpec(w["start"], w["end"]) for w in row.windows],
        weekdays=[Weekday(_WEEKDAYS[n]) for n in row.weekdays], wait_minutes=row.wait_minutes,
        throttle_minutes=row.throttle_minutes, updated_at=row.updated_at)


async def put_hosting(session: AsyncSession, shop_id: uuid.UUID, actor: uuid.UUID | None,
                      data: HostingWrite) -> HostingRead:
    """Replace the shop's hosting settings (one row per shop, upserted)."""
    for index, window in enumerate(data.windows):
        if window.start == window.end:
            raise empty_window(index)
    weekdays = _weekday_numbers(data.weekdays)
    await session.execute(text(
        "INSERT INTO hosting_settings AS h (shop_id, enabled, content, windows, weekdays, "
        "wait_minutes, throttle_minutes, updated_by, updated_at) VALUES (:shop_id, :enabled, "
        "CAST(:content AS jsonb), CAST(:windows AS jsonb), :weekdays, :wait, :throttle, :actor, "
        "now()) ON CONFLICT (shop_id) DO UPDATE SET enabled = EXCLUDED.enabled, "
        "content = EXCLUDED.content, windows = EXCLUDED.windows, weekdays = EXCLUDED.weekdays, "
        "wait_minutes = EXCLUDED.wait_minutes, throttle_minutes = EXCLUDED.throttle_minutes, "
        "updated_by = EXCLUDED.updated_by, updated_at = now()"),
        {"shop_id": shop_id, "enabled": data.enabled, "content": _content_json(data.content),
         "windows": json.dumps([{"start": w.start, "end": w.end} for w in data.windows]),
         "weekdays": weekdays, "wait": data.wait_minutes, "throttle": data.throttle_minutes,
         "actor": actor})
    return await get_hosting(session, shop_id)

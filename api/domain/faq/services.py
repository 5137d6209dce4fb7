"""The FAQ library: entries by problem type, searchable. Services never commit.

Search is one generated column (problem type, cause, answer, action) found through its
bigrams (``quick_phrases.search.GramTable``): works for Chinese text, where an english
tsvector would not split words, and an index serves it under RLS, where no ILIKE or
trigram operator may use one.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.faq.errors import entry_not_found
from api.domain.faq.schemas import EntryCreate, EntryRead, EntryUpdate
from api.domain.quick_phrases.search import GramTable
from api.pagination import Page, decode_cursor, encode_cursor

__all__ = ["create_entry", "delete_entry", "get_entry", "list_entries", "update_entry"]

_COLS = "id, problem_type, cause, answer, action, created_at, updated_at"
_GRAMS = GramTable("faq_entry_grams", "entry_id")


def _search_text(row: Any) -> str:
    """The generated ``search_text`` column, as the recheck sees it."""
    return " ".join((row.problem_type, row.cause, row.answer, row.action))


def _entry(row: Any) -> EntryRead:
    return EntryRead(id=row.id, problem_type=row.problem_type, cause=row.cause,
                     answer=row.answer, action=row.action, created_at=row.created_at,
                     updated_at=row.updated_at)


async def list_entries(session: AsyncSession, shop_id: uuid.UUID, *, q: str | None,
                       problem_type: str | None, limit: int, cursor: str | None
                       ) -> Page[EntryRead]:
    """Entries by problem type; ``q`` finds text anywhere in an entry."""
    where = ["shop_id = :shop_id"]
    params: dict[str, Any] = {"shop_id": shop_id, "limit": limit + 1}
    if q:
        where.append(_GRAMS.condition(q, "search_text", params))
    if problem_type is not None:
        where.append("problem_type = :problem_type")
        params["problem_type"] = problem_type
    # Typed kinds: a forged string (NUL inside) is a 400 here, not a 500 from PostgreSQL.
    key = decode_cursor(cursor, (str, uuid.UUID))
    if key is not None:
        params["after_type"], params["after_id"] = key
        where.append("(problem_type, id) > (:after_type, :after_id)")
    rows = (await session.execute(text(
        f"SELECT {_COLS} FROM faq_entries WHERE {' AND '.join(where)} "
        "ORDER BY problem_type, id LIMIT :limit"), params)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor([rows[-1].problem_type, str(rows[-1].id)]) if more else None
    return Page(items=[_entry(r) for r in rows], next_cursor=next_cursor)


async def get_entry(session: AsyncSession, shop_id: uuid.UUID, entry_id: uuid.UUID) -> EntryRead:
    row = (await session.execute(text(
        f"SELECT {_COLS} FROM faq_entries WHERE shop_id = :shop_id AND id = :id"),
        {"shop_id": shop_id, "id": entry_id})).first()
    if row is None:
        raise entry_not_found()
    return _entry(row)


async def create_entry(session: AsyncSession, shop_id: uuid.UUID, actor: uuid.UUID | None,
                       data: EntryCreate) -> EntryRead:
    row = (await session.execute(text(
        "INSERT INTO faq_entries (shop_id, id, problem_type, cause, answer, action, created_by, "
        "updated_by) VALUES (:shop_id, :id, :problem_type, :cause, :answer, :action, :actor, "
        f":actor) RETURNING {_COLS}"),
        {"shop_id": shop_id, "id": uuid.uuid4(), "problem_type": data.problem_type,
         "cause": data.cause, "answer": data.answer, "action": data.action,
         "actor": actor})).one()
    await _GRAMS.store(session, shop_id, row.id, _search_text(row))
    return _entry(row)


async def update_entry(session: AsyncSession, shop_id: uuid.UUID, actor: uuid.UUID | None,
                       entry_id: uuid.UUID, data: EntryUpdate) -> EntryRead:
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    sets = ", ".join([f"{c} = :{c}" for c in changes] + ["updated_by = :actor",
                                                          "updated_at = now()"])
    row = (await session.execute(text(
        f"UPDATE faq_entries SET {sets} WHERE shop_id = :shop_id AND id = :id RETURNING {_COLS}"),
        {**changes, "shop_id": shop_id, "id": entry_id, "actor": actor})).first()
    if row is None:
        raise entry_not_found()
    if changes:
        await _GRAMS.store(session, shop_id, row.id, _search_text(row), replace=True)
    return _entry(row)


async def delete_entry(session: AsyncSession, shop_id: uuid.UUID, entry_id: uuid.UUID) -> None:
    row = (await session.execute(text(
        "DELETE FROM faq_entries WHERE shop_id = :shop_id AND id = :id RETURNING id"),
        {"shop_id": shop_id, "id": entry_id})).first()
    if row is None:
        raise entry_not_found()

"""Quick phrases and their groups, shop-wide (owner NULL) or one member's own.

``owner`` is ``None`` for the shop's phrases and the member's user id for personal ones;
every statement names both ``shop_id`` and the owner, so a personal phrase of someone else
is simply not found (404), like another shop's. Search goes through the phrases' bigrams
(``search.GramTable``), which indexes serve under RLS. Services never commit.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.quick_phrases.enums import ListScope, PhraseScope
from api.domain.quick_phrases.errors import CONSTRAINT_CODES, group_not_found, phrase_not_found
from api.domain.quick_phrases.schemas import (
    QuickPhraseCreate,
    QuickPhraseGroupRead,
    QuickPhraseRead,
    QuickPhraseUpdate,
)
from api.domain.quick_phrases.search import GramTable
from api.errors import ApiError
from api.pagination import Page, decode_cursor, encode_cursor

__all__ = ["create_group", "create_phrase", "delete_group", "delete_phrase", "list_groups", "list_phrases", "rename_group", "update_phrase"]

_PHRASE_COLS = "id, owner_id, group_id, shortcut, body, created_at, updated_at"
# owner IS NOT DISTINCT FROM :owner: one statement serves the shop's scope (NULL) and a
# member's own; the partial unique indexes keep each scope's shortcuts apart.
_SAME_OWNER = "owner_id IS NOT DISTINCT FROM CAST(:owner AS uuid)"


# Search matches the shortcut or the text: both feed one bigram set per phrase.
_GRAMS = GramTable("quick_phrase_grams", "phrase_id")
_SEARCH_COLUMN = "(shortcut || chr(10) || body)"


def _scope(owner_id: uuid.UUID | None) -> PhraseScope:
    return PhraseScope.SHOP if owner_id is None else PhraseScope.PERSONAL


def _phrase(row: Any) -> QuickPhraseRead:
    return QuickPhraseRead(id=row.id, scope=_scope(row.owner_id), group_id=row.group_id,
                      shortcut=row.shortcut, body=row.body, created_at=row.created_at,
                      updated_at=row.updated_at)


def _group(row: Any) -> QuickPhraseGroupRead:
    return QuickPhraseGroupRead(id=row.id, scope=_scope(row.owner_id), name=row.name,
                     created_at=row.created_at)


async def _unique(session: AsyncSession, statement: Any, params: dict[str, Any]) -> Any:
    """Run a write that a concurrent writer may beat to a unique key: 409 with its code."""
    try:
        async with session.begin_nested():
            return (await session.execute(statement, params)).first()
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)
        if constraint == "fk_quick_phrases_group":
            raise group_not_found() from exc  # the group was deleted meanwhile
        if constraint not in CONSTRAINT_CODES:
            raise
        code, message = CONSTRAINT_CODES[constraint]
        raise ApiError(409, code, message) from exc


async def _check_group(session: AsyncSession, shop_id: uuid.UUID, owner: uuid.UUID | None,
                       group_id: uuid.UUID | None) -> None:
    """A phrase goes only into a group of its own scope."""
    if group_id is None:
        return
    found = (await session.execute(text(
        f"SELECT 1 FROM quick_phrase_groups WHERE shop_id = :shop_id AND id = :id AND {_SAME_OWNER}"),
        {"shop_id": shop_id, "id": group_id, "owner": owner})).first()
    if found is None:
        raise group_not_found()


async def list_phrases(session: AsyncSession, shop_id: uuid.UUID, me: uuid.UUID | None, *,
                       scope: ListScope, group_id: uuid.UUID | None, q: str | None,
                       limit: int, cursor: str | None) -> Page[QuickPhraseRead]:
    """The shop's phrases and/or the caller's own, by shortcut; ``q`` searches both texts."""
    where = ["shop_id = :shop_id"]
    params: dict[str, Any] = {"shop_id": shop_id, "me": me, "limit": limit + 1}
    if scope is ListScope.SHOP or me is None:
        where.append("owner_id IS NULL")
    elif scope is ListScope.PERSONAL:
        where.append("owner_id = :me")
    else:
        where.append("(owner_id IS NULL OR owner_id = :me)")
    if group_id is not None:
        where.append("group_id = :group_id")
        params["group_id"] = group_id
    if q:
        where.append(_GRAMS.condition(q, _SEARCH_COLUMN, params))
    # Typed kinds: a forged string (NUL inside) is a 400 here, not a 500 from PostgreSQL.
    key = decode_cursor(cursor, (str, uuid.UUID))
    if key is not None:
        params["after_shortcut"], params["after_id"] = key
        where.append("(shortcut, id) > (:after_shortcut, :after_id)")
    rows = (await session.execute(text(
        f"SELECT {_PHRASE_COLS} FROM quick_phrases WHERE {' AND '.join(where)} "
        "ORDER BY shortcut, id LIMIT :limit"), params)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor([rows[-1].shortcut, str(rows[-1].id)]) if more else None
    return Page(items=[_phrase(r) for r in rows], next_cursor=next_cursor)


async def create_phrase(session: AsyncSession, shop_id: uuid.UUID, owner: uuid.UUID | None,
                        actor: uuid.UUID | None, data: QuickPhraseCreate) -> QuickPhraseRead:
    await _check_group(session, shop_id, owner, data.group_id)
    row = await _unique(session, text(
        "INSERT INTO quick_phrases (shop_id, id, owner_id, group_id, shortcut, body, created_by) "
        "VALUES (:shop_id, :id, :owner, :group_id, :shortcut, :body, :actor) "
        f"RETURNING {_PHRASE_COLS}"),
        {"shop_id": shop_id, "id": uuid.uuid4(), "owner": owner, "group_id": data.group_id,
         "shortcut": data.shortcut, "body": data.body, "actor": actor})
    await _GRAMS.store(session, shop_id, row.id, f"{row.shortcut}\n{row.body}")
    return _phrase(row)


async def update_phrase(session: AsyncSession, shop_id: uuid.UUID, owner: uuid.UUID | None,
                        phrase_id: uuid.UUID, data: QuickPhraseUpdate) -> QuickPhraseRead:
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    if "group_id" in changes:
        await _check_group(session, shop_id, owner, changes["group_id"])
    sets = ", ".join([f"{column} = :{column}" for column in changes] + ["updated_at = now()"])
    row = await _unique(session, text(
        f"UPDATE quick_phrases SET {sets} WHERE shop_id = :shop_id AND id = :id AND {_SAME_OWNER} "
        f"RETURNING {_PHRASE_COLS}"),
        {**changes, "shop_id": shop_id, "id": phrase_id, "owner": owner})
    if row is None:
        raise phrase_not_found()
    if "shortcut" in changes or "body" in changes:
        await _GRAMS.store(session, shop_id, row.id, f"{row.shortcut}\n{row.body}",
                           replace=True)
    return _phrase(row)


async def delete_phrase(session: AsyncSession, shop_id: uuid.UUID, owner: uuid.UUID | None,
                        phrase_id: uuid.UUID) -> None:
    result = await session.execute(text(
        f"DELETE FROM quick_phrases WHERE shop_id = :shop_id AND id = :id AND {_SAME_OWNER} "
        "RETURNING id"), {"shop_id": shop_id, "id": phrase_id, "owner": owner})
    if result.first() is None:
        raise phrase_not_found()


async def list_groups(session: AsyncSession, shop_id: uuid.UUID, me: uuid.UUID | None, *,
                      scope: ListScope, limit: int, cursor: str | None) -> Page[QuickPhraseGroupRead]:
    where = ["shop_id = :shop_id"]
    if scope is ListScope.SHOP or me is None:
        where.append("owner_id IS NULL")
    elif scope is ListScope.PERSONAL:
        where.append("owner_id = :me")
    else:
        where.append("(owner_id IS NULL OR owner_id = :me)")
    params: dict[str, Any] = {"shop_id": shop_id, "me": me, "limit": limit + 1}
    # Typed kinds: a forged string (NUL inside) is a 400 here, not a 500 from PostgreSQL.
    key = decode_cursor(cursor, (str, uuid.UUID))
    if key is not None:
        params["after_name"], params["after_id"] = key
        where.append("(name, id) > (:after_name, :after_id)")
    rows = (await session.execute(text(
        f"SELECT id, owner_id, name, created_at FROM quick_phrase_groups "
        f"WHERE {' AND '.join(where)} ORDER BY name, id LIMIT :limit"), params)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor([rows[-1].name, str(rows[-1].id)]) if more else None
    return Page(items=[_group(r) for r in rows], next_cursor=next_cursor)


async def create_group(session: AsyncSession, shop_id: uuid.UUID, owner: uuid.UUID | None,
                       name: str) -> QuickPhraseGroupRead:
    row = await _unique(session, text(
        "INSERT INTO quick_phrase_groups (shop_id, id, owner_id, name) "
        "VALUES (:shop_id, :id, :owner, :name) RETURNING id, owner_id, name, created_at"),
        {"shop_id": shop_id, "id": uuid.uuid4(), "owner": owner, "name": name})
    return _group(row)


async def rename_group(session: AsyncSession, shop_id: uuid.UUID, owner: uuid.UUID | None,
                       group_id: uuid.UUID, name: str) -> QuickPhraseGroupRead:
    row = await _unique(session, text(
        f"UPDATE quick_phrase_groups SET name = :name WHERE shop_id = :shop_id AND id = :id "
        f"AND {_SAME_OWNER} RETURNING id, owner_id, name, created_at"),
        {"shop_id": shop_id, "id": group_id, "owner": owner, "name": name})
    if row is None:
        raise group_not_found()
    return _group(row)


async def delete_group(session: AsyncSession, shop_id: uuid.UUID, owner: uuid.UUID | None,
                       group_id: uuid.UUID) -> None:
    """Delete a group; its phrases stay, ungrouped."""
    params = {"shop_id": shop_id, "id": group_id, "owner": owner}
    found = (await session.execute(text(
        f"SELECT 1 FROM quick_phrase_groups WHERE shop_id = :shop_id AND id = :id AND {_SAME_OWNER} "
        "FOR UPDATE"), params)).first()
    if found is None:
        raise group_not_found()
    await session.execute(text(
        "UPDATE quick_phrases SET group_id = NULL, updated_at = now() "
        "WHERE shop_id = :shop_id AND group_id = :id"), params)
    await session.execute(text(
        "DELETE FROM quick_phrase_groups WHERE shop_id = :shop_id AND id = :id"), params)

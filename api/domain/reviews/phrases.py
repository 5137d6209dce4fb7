"""The shop's forbidden phrases for public replies, and its negative-review threshold.

Seed 002 calls rewards or threats tied to a rating violations ("不好评就给差评、好评送大额
优惠券"). A shop starts with the defaults below, written the first time its settings are
read, and edits the list freely. Matching is on a normal form (NFKC, case-folded, no white
space) so full-width letters or inserted spaces do not slip past.
"""

from __future__ import annotations

import unicodedata
import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.audit.services import record
from api.domain.reviews import errors

__all__ = ["DEFAULT_PHRASES", "DEFAULT_THRESHOLD", "add_phrase", "delete_phrase",
           "find_forbidden", "list_phrases", "normalize", "settings", "update_threshold"]

DEFAULT_THRESHOLD = 3  # 1-2 差评, 3 中评 on the store's five-star scale
DEFAULT_PHRASES = (
    "好评返现", "好评送", "好评有礼", "五星好评返", "追评返现", "晒图返现", "必须好评",
    "不好评不发货", "不给好评", "差评就", "删差评", "删除差评", "改好评返",
    "cash back for a good review", "cashback for a review", "refund for a 5-star",
    "gift for a 5-star", "for a five-star review", "for a 5-star review",
    "must leave a good review", "remove your bad review", "delete your negative review",
    "or we will report you",
)


def normalize(value: str) -> str:
    return "".join(unicodedata.normalize("NFKC", value).casefold().split())


async def _ensure(session: AsyncSession, shop_id: uuid.UUID) -> int:
    """The shop's threshold; on first use, create the settings row and the default list."""
    row = (await session.execute(text(
        "SELECT negative_threshold FROM review_settings WHERE shop_id = :shop_id"),
        {"shop_id": shop_id})).first()
    if row is not None:
        return int(row.negative_threshold)
    created = (await session.execute(text(
        "INSERT INTO review_settings (shop_id, negative_threshold) VALUES (:shop_id, :t) "
        "ON CONFLICT (shop_id) DO NOTHING RETURNING negative_threshold"),
        {"shop_id": shop_id, "t": DEFAULT_THRESHOLD})).first()
    if created is None:  # a concurrent first use created them
        return await _ensure(session, shop_id)
    await session.execute(text(
        "INSERT INTO review_forbidden_phrases (shop_id, id, phrase, normalized) "
        "VALUES (:shop_id, :id, :phrase, :normalized) ON CONFLICT DO NOTHING"),
        [{"shop_id": shop_id, "id": uuid.uuid4(), "phrase": p, "normalized": normalize(p)}
         for p in DEFAULT_PHRASES])
    return DEFAULT_THRESHOLD


async def settings(session: AsyncSession, shop_id: uuid.UUID) -> int:
    return await _ensure(session, shop_id)


async def update_threshold(session: AsyncSession, shop_id: uuid.UUID, threshold: int,
                           user_id: uuid.UUID | None, audit_context: AuditContext) -> int:
    before = await _ensure(session, shop_id)
    await session.execute(text(
        "UPDATE review_settings SET negative_threshold = :t, updated_by = :by, updated_at = now() "
        "WHERE shop_id = :shop_id"), {"shop_id": shop_id, "t": threshold, "by": user_id})
    if before != threshold:
        await record(session, audit_context, shop_id=shop_id, action="review.settings_updated",
                     details={"negative_threshold": {"from": before, "to": threshold}})
    return threshold


async def list_phrases(session: AsyncSession, shop_id: uuid.UUID) -> list[Any]:
    """The whole list (bounded in practice: a shop curates tens of phrases), oldest first."""
    await _ensure(session, shop_id)
    return list((await session.execute(text(
        "SELECT id, phrase, normalized, created_at FROM review_forbidden_phrases "
        "WHERE shop_id = :shop_id ORDER BY created_at, id"), {"shop_id": shop_id})).all())


async def add_phrase(session: AsyncSession, shop_id: uuid.UUID, phrase: str,
                     user_id: uuid.UUID | None, audit_context: AuditContext) -> Any:
    await _ensure(session, shop_id)
    phrase = phrase.strip()
    normalized = normalize(phrase)
    if not normalized or len(normalized) > 100:
        raise errors.phrase_empty()
    try:
        async with session.begin_nested():
            row = (await session.execute(text(
                "INSERT INTO review_forbidden_phrases (shop_id, id, phrase, normalized, created_by) "
                "VALUES (:shop_id, :id, :phrase, :normalized, :by) "
                "RETURNING id, phrase, normalized, created_at"),
                {"shop_id": shop_id, "id": uuid.uuid4(), "phrase": phrase,
                 "normalized": normalized, "by": user_id})).one()
    except IntegrityError as exc:
        raise errors.phrase_exists() from exc
    await record(session, audit_context, shop_id=shop_id, action="review.phrase_added",
                 target=f"review_phrase:{row.id}", details={"phrase": phrase})
    return row


async def delete_phrase(session: AsyncSession, shop_id: uuid.UUID, phrase_id: uuid.UUID,
                        audit_context: AuditContext) -> None:
    row = (await session.execute(text(
        "DELETE FROM review_forbidden_phrases WHERE shop_id = :shop_id AND id = :id "
        "RETURNING phrase"), {"shop_id": shop_id, "id": phrase_id})).first()
    if row is None:
        raise errors.phrase_not_found()
    await record(session, audit_context, shop_id=shop_id, action="review.phrase_deleted",
                 target=f"review_phrase:{phrase_id}", details={"phrase": row.phrase})


async def find_forbidden(session: AsyncSession, shop_id: uuid.UUID, reply: str) -> str | None:
    """The first of the shop's phrases the reply contains, as the shop wrote it."""
    body = normalize(reply)
    for row in await list_phrases(session, shop_id):
        if row.normalized in body:
            return str(row.phrase)
    return None

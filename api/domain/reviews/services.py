"""Reviews: the store pushes them in, staff reply once in public and follow up negatives.

A push is an upsert by the store's id: the same push twice changes nothing; a changed push
(the buyer amended the review) bumps ``revision`` and, if a follow-up is open, records the
amendment there. A review at or below the shop's threshold opens its follow-up (中差评: apologise,
fix, invite the buyer to amend, seed 002). A public reply is checked against the shop's
forbidden phrases, stored once (the primary key is the review) and sent to the store as a
store action.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.audit.services import record
from api.domain.desk_common.paging import newest_first
from api.domain.reviews import errors, phrases
from api.domain.reviews.enums import FollowUpStatus
from api.domain.reviews.schemas import (
    FollowUpRead,
    FollowUpUpdate,
    ReplyRead,
    ReviewPush,
    ReviewPushed,
    ReviewRead,
)
from api.domain.store_actions.services import readable_with, request_action
from api.pagination import Page

__all__ = ["REPLY_ACTION", "get_review", "list_reviews", "push_review", "reply",
           "retry_reply", "update_follow_up"]

REPLY_ACTION = "review.reply"
readable_with(REPLY_ACTION, "reviews:manage")  # agents, without it, never see replies

_SELECT = """
SELECT r.id, r.platform_id, r.platform_order_id, r.rating, r.body, r.buyer_name,
       r.reviewed_at, r.revision,
       p.body AS reply_body, p.author_id AS reply_author, p.action_id AS reply_action,
       p.created_at AS reply_at, a.status AS action_status, a.reason AS action_reason,
       f.status AS f_status, f.original_rating, f.apologized_at, f.apology_note, f.fixed_at,
       f.fix_note, f.amended_at, f.amended_rating, f.opened_at, f.updated_at AS f_updated_at
  FROM reviews r
  LEFT JOIN review_replies p ON p.shop_id = r.shop_id AND p.review_id = r.id
  LEFT JOIN store_actions a ON a.shop_id = p.shop_id AND a.id = p.action_id
  LEFT JOIN review_follow_ups f ON f.shop_id = r.shop_id AND f.review_id = r.id
 WHERE r.shop_id = :shop_id"""


def _read(row: Any, threshold: int) -> ReviewRead:
    reply = None
    if row.reply_body is not None:
        reply = ReplyRead(body=row.reply_body, author_id=row.reply_author,
                          action_id=row.reply_action, action_status=row.action_status,
                          action_reason=row.action_reason, created_at=row.reply_at)
    follow_up = None
    if row.f_status is not None:
        follow_up = FollowUpRead(
            status=FollowUpStatus(row.f_status), original_rating=row.original_rating,
            apologized_at=row.apologized_at, apology_note=row.apology_note,
            fixed_at=row.fixed_at, fix_note=row.fix_note,
            buyer_amended=row.amended_at is not None, amended_at=row.amended_at,
            amended_rating=row.amended_rating, opened_at=row.opened_at,
            updated_at=row.f_updated_at)
    return ReviewRead(id=row.id, platform_id=row.platform_id,
                      platform_order_id=row.platform_order_id, rating=row.rating,
                      negative=row.rating <= threshold, body=row.body, buyer_name=row.buyer_name,
                      reviewed_at=row.reviewed_at, revision=row.revision, reply=reply,
                      follow_up=follow_up)


async def _load(session: AsyncSession, shop_id: uuid.UUID, review_id: uuid.UUID) -> Any:
    row = (await session.execute(text(_SELECT + " AND r.id = :id"),
                                 {"shop_id": shop_id, "id": review_id})).first()
    if row is None:
        raise errors.review_not_found()
    return row


async def get_review(session: AsyncSession, shop_id: uuid.UUID, review_id: uuid.UUID
                     ) -> ReviewRead:
    threshold = await phrases.settings(session, shop_id)
    return _read(await _load(session, shop_id, review_id), threshold)


async def list_reviews(session: AsyncSession, shop_id: uuid.UUID, *, limit: int,
                       cursor: str | None, negative: bool | None, replied: bool | None,
                       follow_up: FollowUpStatus | None) -> Page[ReviewRead]:
    """Newest first; filters: negative (by the current threshold), replied, follow-up status."""
    threshold = await phrases.settings(session, shop_id)
    sql, params = _SELECT, {"shop_id": shop_id, "threshold": threshold}
    if negative is not None:
        sql += " AND r.rating <= :threshold" if negative else " AND r.rating > :threshold"
    if replied is not None:
        sql += " AND p.review_id IS NOT NULL" if replied else " AND p.review_id IS NULL"
    if follow_up is not None:
        sql += " AND f.status = :f_status"
        params["f_status"] = follow_up.value
    return await newest_first(session, sql, params, ts="r.reviewed_at", id_col="r.id",
                              limit=limit, cursor=cursor, build=lambda r: _read(r, threshold),
                              key=lambda r: (r.reviewed_at, r.id))


async def push_review(session: AsyncSession, shop_id: uuid.UUID, data: ReviewPush,
                      audit_context: AuditContext) -> ReviewPushed:
    threshold = await phrases.settings(session, shop_id)
    before = (await session.execute(text(
        "SELECT rating, body FROM reviews WHERE shop_id = :shop_id AND platform_id = :p "
        "FOR UPDATE"), {"shop_id": shop_id, "p": data.platform_id})).first()
    params = {"shop_id": shop_id, "id": uuid.uuid4(), "platform_id": data.platform_id,
              "order": data.platform_order_id, "rating": data.rating, "body": data.body,
              "buyer": data.buyer_name, "at": data.reviewed_at}
    # A no-op re-push matches neither branch of RETURNING: the row is read afterwards.
    row = (await session.execute(text(
        "INSERT INTO reviews AS r (shop_id, id, platform_id, platform_order_id, rating, body, "
        "buyer_name, reviewed_at) VALUES (:shop_id, :id, :platform_id, :order, :rating, :body, "
        ":buyer, :at) ON CONFLICT (shop_id, platform_id) DO UPDATE SET "
        "rating = EXCLUDED.rating, body = EXCLUDED.body, buyer_name = EXCLUDED.buyer_name, "
        "platform_order_id = EXCLUDED.platform_order_id, reviewed_at = EXCLUDED.reviewed_at, "
        "revision = r.revision + 1, updated_at = now() "
        "WHERE (r.rating, r.body, r.buyer_name, r.platform_order_id, r.reviewed_at) "
        "IS DISTINCT FROM (EXCLUDED.rating, EXCLUDED.body, EXCLUDED.buyer_name, "
        "EXCLUDED.platform_order_id, EXCLUDED.reviewed_at) "
        "RETURNING r.id, r.revision, (xmax = 0) AS inserted"), params)).first()
    created = bool(row and row.inserted)
    changed = row is not None
    if row is None:
        review_id = (await session.execute(text(
            "SELECT id FROM reviews WHERE shop_id = :shop_id AND platform_id = :p"),
            {"shop_id": shop_id, "p": data.platform_id})).scalar_one()
    else:
        review_id = row.id
    # Only a new rating or text is the buyer's amendment (a renamed buyer is not).
    if before is not None and (before.rating, before.body) != (data.rating, data.body):
        await session.execute(text(
            "UPDATE review_follow_ups SET amended_at = now(), amended_rating = :rating, "
            "updated_at = now() WHERE shop_id = :shop_id AND review_id = :id AND status = 'open'"),
            {"shop_id": shop_id, "id": review_id, "rating": data.rating})
    if changed and data.rating <= threshold:
        await session.execute(text(
            "INSERT INTO review_follow_ups (shop_id, review_id, original_rating) "
            "VALUES (:shop_id, :id, :rating) ON CONFLICT (shop_id, review_id) DO NOTHING"),
            {"shop_id": shop_id, "id": review_id, "rating": data.rating})
    if changed:
        await record(session, audit_context, shop_id=shop_id,
                     action="review.received" if created else "review.amended",
                     target=f"review:{review_id}",
                     details={"platform_id": data.platform_id, "rating": data.rating})
    review = _read(await _load(session, shop_id, review_id), threshold)
    return ReviewPushed(review=review, created=created, changed=changed)


def _reply_payload(row: Any, body: str) -> dict[str, Any]:
    return {"platform_review_id": row.platform_id, "body": body}


async def reply(session: AsyncSession, shop_id: uuid.UUID, review_id: uuid.UUID, body: str,
                user_id: uuid.UUID, audit_context: AuditContext) -> ReviewRead:
    """The one public reply: refused if it contains a forbidden phrase or one exists."""
    row = (await session.execute(text(
        "SELECT id, platform_id FROM reviews WHERE shop_id = :shop_id AND id = :id FOR UPDATE"),
        {"shop_id": shop_id, "id": review_id})).first()
    if row is None:
        raise errors.review_not_found()
    body = body.strip()
    if not body:
        raise errors.reply_empty()
    phrase = await phrases.find_forbidden(session, shop_id, body)
    if phrase is not None:
        raise errors.forbidden_phrase(phrase)
    # The review's row lock above serialises two replies; the key is the last word.
    inserted = (await session.execute(text(
        "INSERT INTO review_replies (shop_id, review_id, body, author_id) "
        "VALUES (:shop_id, :id, :body, :by) ON CONFLICT (shop_id, review_id) DO NOTHING "
        "RETURNING review_id"), {"shop_id": shop_id, "id": review_id, "body": body,
                                 "by": user_id})).first()
    if inserted is None:
        raise errors.already_replied()
    action = await request_action(
        session, shop_id, kind=REPLY_ACTION, target_type="review", target_id=review_id,
        payload=_reply_payload(row, body), requested_by=user_id,
        idempotency_key=f"{REPLY_ACTION}:{review_id}", audit_context=audit_context)
    await session.execute(text(
        "UPDATE review_replies SET action_id = :a WHERE shop_id = :shop_id AND review_id = :id"),
        {"shop_id": shop_id, "id": review_id, "a": action.id})
    await record(session, audit_context, shop_id=shop_id, action="review.replied",
                 target=f"review:{review_id}", details={"action_id": str(action.id)})
    return await get_review(session, shop_id, review_id)


async def retry_reply(session: AsyncSession, shop_id: uuid.UUID, review_id: uuid.UUID,
                      user_id: uuid.UUID, audit_context: AuditContext) -> ReviewRead:
    """Send the stored reply to the store again after the store failed it."""
    row = await _load(session, shop_id, review_id)
    if row.reply_body is None:
        raise errors.no_reply()
    if row.action_status != "failed":
        raise errors.reply_not_failed(row.action_status)
    await request_action(
        session, shop_id, kind=REPLY_ACTION, target_type="review", target_id=review_id,
        payload=_reply_payload(row, row.reply_body), requested_by=user_id,
        idempotency_key=f"{REPLY_ACTION}:{review_id}", audit_context=audit_context)
    return await get_review(session, shop_id, review_id)


async def update_follow_up(session: AsyncSession, shop_id: uuid.UUID, review_id: uuid.UUID,
                           data: FollowUpUpdate, user_id: uuid.UUID,
                           audit_context: AuditContext) -> ReviewRead:
    await _load(session, shop_id, review_id)  # 404 for another shop's or an unknown review
    current = (await session.execute(text(
        "SELECT status, apologized_at, fixed_at FROM review_follow_ups "
        "WHERE shop_id = :shop_id AND review_id = :id FOR UPDATE"),
        {"shop_id": shop_id, "id": review_id})).first()
    if current is None:
        raise errors.no_follow_up()
    sets, params = [], {"shop_id": shop_id, "id": review_id, "by": user_id}
    apologized = current.apologized_at is not None if data.apologized is None else data.apologized
    fixed = current.fixed_at is not None if data.fixed is None else data.fixed
    if data.apologized is not None:
        sets.append("apologized_at = " + ("coalesce(apologized_at, now())" if apologized
                                          else "NULL"))
    if data.fixed is not None:
        sets.append("fixed_at = " + ("coalesce(fixed_at, now())" if fixed else "NULL"))
    for field in ("apology_note", "fix_note"):
        value = getattr(data, field)
        if value is not None:
            sets.append(f"{field} = :{field}")
            params[field] = value
    if data.status is not None:
        if data.status is FollowUpStatus.CLOSED and not (apologized and fixed):
            raise errors.follow_up_incomplete()
        sets.append("status = :status")
        params["status"] = data.status.value
    if sets:
        await session.execute(text(
            f"UPDATE review_follow_ups SET {', '.join(sets)}, updated_by = :by, "
            f"updated_at = now() WHERE shop_id = :shop_id AND review_id = :id"), params)
        await record(session, audit_context, shop_id=shop_id, action="review.follow_up_updated",
                     target=f"review:{review_id}",
                     details={k: v for k, v in {
                         "apologized": data.apologized, "fixed": data.fixed,
                         "status": data.status}.items() if v is not None})
    return await get_review(session, shop_id, review_id)

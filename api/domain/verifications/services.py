"""Issuing and redeeming verification codes (核销), exactly once.

- The store issues a code for one of its orders (key scope ``catalog:write``): 16 random
  digits, shown once; only ``sha256(shop id || code)`` is kept. Finding a code is an index
  probe on that digest, never a character-by-character comparison, so timing tells nothing.
- Redemption flips ``issued`` to ``redeemed`` in one conditional UPDATE: of two concurrent
  redemptions the second waits for the first's row lock, re-checks, and finds it redeemed.
- Failed redemptions (unknown, expired, already redeemed) are rows in
  ``verification_attempts``; past ``MAX_FAILURES`` in ``WINDOW`` a member is refused with 429
  until the window moves on. A member's redemptions run one at a time (an advisory lock), so
  parallel guesses cannot overrun the budget.
- A redemption is a store action (the store must learn the voucher is used). If the store
  fails it, the code is issued again; redeeming it again retries the same action.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.audit.services import record
from api.domain.desk_common.paging import newest_first
from api.domain.store_actions import services as actions
from api.domain.store_actions.services import StoreAction
from api.domain.verifications import errors
from api.domain.verifications.schemas import CodeIssue, CodeIssued, Redemption
from api.errors import ApiError
from api.pagination import Page

__all__ = ["CODE_DIGITS", "MAX_FAILURES", "REDEEM_ACTION", "WINDOW", "issue_code",
           "list_redemptions", "redeem"]

CODE_DIGITS = 16
MAX_FAILURES = 10
WINDOW = timedelta(minutes=15)
MAX_LIFETIME = timedelta(days=366)
REDEEM_ACTION = "verification.redeem"


def _normal(code: str) -> str:
    return code.replace(" ", "").replace("-", "")


def _digest(shop_id: uuid.UUID, code: str) -> bytes:
    return hashlib.sha256(shop_id.bytes + _normal(code).encode()).digest()


def _new_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


async def issue_code(session: AsyncSession, shop_id: uuid.UUID, data: CodeIssue,
                     key_id: str | None, audit_context: AuditContext) -> CodeIssued:
    now = datetime.now(UTC)
    if not now < data.expires_at <= now + MAX_LIFETIME:
        raise errors.bad_expiry()
    order = (await session.execute(text(
        "SELECT id FROM orders WHERE shop_id = :shop_id AND platform_order_id = :p"),
        {"shop_id": shop_id, "p": data.platform_order_id})).first()
    if order is None:
        raise errors.order_not_found()
    for _ in range(3):  # a digest collision in 10^16 codes is a re-draw, not an error
        code, code_id = _new_code(), uuid.uuid4()
        try:
            async with session.begin_nested():
                await session.execute(text(
                    "INSERT INTO verification_codes (shop_id, id, order_id, code_digest, "
                    "code_hint, label, expires_at, issued_by) VALUES (:shop_id, :id, :order, "
                    ":digest, :hint, :label, :expires, :by)"),
                    {"shop_id": shop_id, "id": code_id, "order": order.id,
                     "digest": _digest(shop_id, code), "hint": code[-4:], "label": data.label,
                     "expires": data.expires_at, "by": key_id or "unknown"})
            break
        except IntegrityError:
            continue
    else:  # pragma: no cover - three collisions in a row
        raise RuntimeError("could not draw a unique verification code")
    await record(session, audit_context, shop_id=shop_id, action="verification.issued",
                 target=f"verification:{code_id}",
                 details={"order_id": str(order.id), "expires_at": data.expires_at.isoformat()})
    return CodeIssued(id=code_id, code=code, code_hint=code[-4:], order_id=order.id,
                      label=data.label, expires_at=data.expires_at)


async def _check_budget(session: AsyncSession, shop_id: uuid.UUID, user_id: uuid.UUID) -> None:
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
                          {"k": f"verification:{shop_id}:{user_id}"})
    row = (await session.execute(text(
        "SELECT count(*) AS n, min(attempted_at) AS oldest, now() AS now "
        "FROM verification_attempts WHERE shop_id = :shop_id AND user_id = :u "
        "AND attempted_at > now() - CAST(:window AS interval)"),
        {"shop_id": shop_id, "u": user_id, "window": WINDOW})).one()
    if row.n >= MAX_FAILURES:
        wait = (row.oldest + WINDOW - row.now).total_seconds()
        raise errors.too_many_attempts(max(1, int(wait) + 1))


async def _fail(session: AsyncSession, shop_id: uuid.UUID, user_id: uuid.UUID,
                digest: bytes) -> ApiError:
    row = (await session.execute(text(
        "SELECT status, expires_at, redeemed_at FROM verification_codes "
        "WHERE shop_id = :shop_id AND code_digest = :d"), {"shop_id": shop_id, "d": digest})).first()
    if row is None:
        error = errors.unknown_code()
    elif row.status == "redeemed":
        error = errors.already_redeemed(row.redeemed_at)
    else:
        error = errors.expired(row.expires_at)
    await session.execute(text(
        "INSERT INTO verification_attempts (shop_id, id, user_id, outcome) "
        "VALUES (:shop_id, :id, :u, :outcome)"),
        {"shop_id": shop_id, "id": uuid.uuid4(), "u": user_id,
         "outcome": error.code.removeprefix("verification.")})
    return error


async def redeem(session: AsyncSession, shop_id: uuid.UUID, code: str, user_id: uuid.UUID,
                 client: str, audit_context: AuditContext) -> Redemption:
    """Redeem ``code`` once. A counted refusal leaves its attempt row in the session: the
    caller commits it (see the controller) rather than rolling it back."""
    await _check_budget(session, shop_id, user_id)
    digest = _digest(shop_id, code)
    row = (await session.execute(text(
        "UPDATE verification_codes SET status = 'redeemed', redeemed_by = :u, "
        "redeemed_at = now(), redeemed_client = :client "
        "WHERE shop_id = :shop_id AND code_digest = :d AND status = 'issued' "
        "AND expires_at > now() RETURNING id, order_id, label, code_hint"),
        {"shop_id": shop_id, "d": digest, "u": user_id, "client": client})).first()
    if row is None:
        raise await _fail(session, shop_id, user_id, digest)
    platform_order_id = (await session.execute(text(
        "SELECT platform_order_id FROM orders WHERE shop_id = :shop_id AND id = :id"),
        {"shop_id": shop_id, "id": row.order_id})).scalar_one()
    action = await actions.request_action(
        session, shop_id, kind=REDEEM_ACTION, target_type="verification", target_id=row.id,
        payload={"verification_id": str(row.id), "order_id": str(row.order_id),
                 "platform_order_id": platform_order_id, "label": row.label},
        requested_by=user_id, idempotency_key=f"{REDEEM_ACTION}:{row.id}",
        audit_context=audit_context)
    await session.execute(text(
        "UPDATE verification_codes SET action_id = :a WHERE shop_id = :shop_id AND id = :id"),
        {"shop_id": shop_id, "id": row.id, "a": action.id})
    await record(session, audit_context, shop_id=shop_id, action="verification.redeemed",
                 target=f"verification:{row.id}",
                 details={"order_id": str(row.order_id), "action_id": str(action.id)})
    return (await _redemptions(session, shop_id, {"id": row.id}, limit=1, cursor=None)).items[0]


_LIST = """
SELECT v.id, v.order_id, o.platform_order_id, v.label, v.code_hint, v.redeemed_by,
       v.redeemed_client, v.redeemed_at, v.action_id, a.status AS action_status,
       a.reason AS action_reason
  FROM verification_codes v
  JOIN orders o ON o.shop_id = v.shop_id AND o.id = v.order_id
  LEFT JOIN store_actions a ON a.shop_id = v.shop_id AND a.id = v.action_id
 WHERE v.shop_id = :shop_id AND v.status = 'redeemed'"""


def _read(row: Any) -> Redemption:
    return Redemption(**row._asdict())


async def _redemptions(session: AsyncSession, shop_id: uuid.UUID, filters: dict[str, Any], *,
                       limit: int, cursor: str | None) -> Page[Redemption]:
    sql, params = _LIST, {"shop_id": shop_id}
    for column, value in filters.items():
        sql += f" AND v.{column} = :{column}"
        params[column] = value
    return await newest_first(session, sql, params, ts="v.redeemed_at", id_col="v.id",
                              limit=limit, cursor=cursor, build=_read,
                              key=lambda r: (r.redeemed_at, r.id))


async def list_redemptions(session: AsyncSession, shop_id: uuid.UUID, *, limit: int,
                           cursor: str | None, redeemed_by: uuid.UUID | None = None,
                           order_id: uuid.UUID | None = None) -> Page[Redemption]:
    """Redemptions newest first; ``redeemed_by`` narrows to one member (their own list)."""
    filters = {k: v for k, v in (("redeemed_by", redeemed_by), ("order_id", order_id))
               if v is not None}
    return await _redemptions(session, shop_id, filters, limit=limit, cursor=cursor)


async def _store_failed(session: AsyncSession, action: StoreAction, ctx: AuditContext) -> None:
    # The store refused the redemption: the code is usable again, and redeeming it again
    # retries this same action (same idempotency key).
    await session.execute(text(
        "UPDATE verification_codes SET status = 'issued', redeemed_by = NULL, redeemed_at = NULL, "
        "redeemed_client = NULL WHERE shop_id = :shop_id AND id = :id AND status = 'redeemed'"),
        {"shop_id": action.shop_id, "id": action.target_id})
    await record(session, ctx, shop_id=action.shop_id, action="verification.reopened",
                 target=f"verification:{action.target_id}", details={"reason": action.reason})


# Every redemption record is for verifications:read; agents see their own elsewhere.
actions.readable_with(REDEEM_ACTION, "verifications:read")
actions.on_failed(REDEEM_ACTION, _store_failed)

"""Store actions: staff changes that must reach the store platform, and the store's answer.

A slice asks for an action (``request_action``) after its own checks; the shop's systems get
``store_action.requested`` on the event log and answer through ``confirm_action``
(``applied``, or ``failed`` with the store's reason). What an applied action changes locally
(the order becomes shipped, ...) is registered per kind with ``on_applied``; ``on_failed``
undoes reservations (a failed refund no longer counts against the paid total).

Idempotency: the same ``(shop, idempotency_key)`` is one action (a unique constraint, so two
concurrent identical requests yield one row). Asking again with the key of a *failed* action
is its retry: the same action goes back to ``requested`` with one more attempt, after the
caller re-ran its checks. At most one action of a kind per target is in flight at a time.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.audit.services import record
from api.domain.events.outbox import emit
from api.domain.store_actions import errors
from api.domain.store_actions.enums import ActionStatus, Outcome
from api.pagination import Page, decode_cursor, page_of

__all__ = ["StoreAction", "confirm_action", "find_by_key", "get_action", "in_flight_of",
           "list_actions", "on_applied", "on_failed", "read_permission", "readable_with",
           "readable_kinds", "request_action"]

# Who may read an action of each kind (its list entry, its events on the staff stream): the
# permission that reads its target. A review reply is for reviews:manage, a redemption for
# verifications:read; an agent with orders:read sees neither. Each slice registers its kinds.
_read_permission: dict[str, str] = {}

Effect = Callable[[AsyncSession, "StoreAction", AuditContext], Awaitable[None]]
_applied: dict[str, list[Effect]] = defaultdict(list)
_failed: dict[str, list[Effect]] = defaultdict(list)

_COLUMNS = ("shop_id, id, kind, target_type, target_id, payload, status, reason, "
            "idempotency_key, requested_by, attempts, requested_at, confirmed_at, created_at, "
            "updated_at")


@dataclass(frozen=True, slots=True)
class StoreAction:
    shop_id: uuid.UUID
    id: uuid.UUID
    kind: str
    target_type: str
    target_id: uuid.UUID
    payload: dict[str, Any]
    status: str
    reason: str | None
    idempotency_key: str | None
    requested_by: uuid.UUID | None
    attempts: int
    requested_at: datetime
    confirmed_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def event_data(self) -> dict[str, Any]:
        return {"action_id": str(self.id), "kind": self.kind, "target_type": self.target_type,
                "target_id": str(self.target_id), "payload": self.payload,
                "status": self.status, "reason": self.reason, "attempt": self.attempts,
                "idempotency_key": self.idempotency_key}


def readable_with(kind: str, permission: str) -> None:
    """Actions of ``kind`` are read with ``permission`` (one per kind; a second is a bug)."""
    if _read_permission.setdefault(kind, permission) != permission:
        raise ValueError(f"store action kind {kind!r} is already read with "
                         f"{_read_permission[kind]!r}")


def read_permission(kind: str) -> str:
    """The permission that reads actions of ``kind``; an unregistered kind is a bug."""
    try:
        return _read_permission[kind]
    except KeyError:
        raise LookupError(f"store action kind {kind!r} has no read permission") from None


def readable_kinds(may: Callable[[str], bool]) -> list[str]:
    """The kinds whose read permission ``may`` grants (a decision per distinct permission)."""
    granted = {permission: may(permission) for permission in set(_read_permission.values())}
    return [kind for kind, permission in _read_permission.items() if granted[permission]]


def on_applied(kind: str, callback: Effect) -> None:
    """Run ``callback`` in the confirming transaction when an action of ``kind`` is applied."""
    if callback not in _applied[kind]:
        _applied[kind].append(callback)


def on_failed(kind: str, callback: Effect) -> None:
    """Run ``callback`` in the confirming transaction when an action of ``kind`` fails."""
    if callback not in _failed[kind]:
        _failed[kind].append(callback)


def _row(row: Any) -> StoreAction:
    return StoreAction(**row._asdict())


def _normal(payload: dict[str, Any]) -> dict[str, Any]:
    # What the payload reads back as from jsonb, so a repeat compares equal.
    return json.loads(json.dumps(payload, default=str))


async def _select(session: AsyncSession, shop_id: uuid.UUID, where: str, params: dict[str, Any],
                  *, lock: bool = False) -> StoreAction | None:
    sql = (f"SELECT {_COLUMNS} FROM store_actions WHERE shop_id = :shop_id AND {where}"
           + (" FOR UPDATE" if lock else ""))
    row = (await session.execute(text(sql), {"shop_id": shop_id, **params})).first()
    return _row(row) if row else None


async def get_action(session: AsyncSession, shop_id: uuid.UUID, action_id: uuid.UUID,
                     *, lock: bool = False) -> StoreAction:
    action = await _select(session, shop_id, "id = :id", {"id": action_id}, lock=lock)
    if action is None:
        raise errors.not_found()
    return action


async def find_by_key(session: AsyncSession, shop_id: uuid.UUID, idempotency_key: str | None,
                      *, lock: bool = False) -> StoreAction | None:
    """The action already requested with ``idempotency_key`` (callers check this first to
    answer a repeat with what the first request produced)."""
    if idempotency_key is None:
        return None
    return await _select(session, shop_id, "idempotency_key = :key", {"key": idempotency_key},
                         lock=lock)


async def _announce(session: AsyncSession, action: StoreAction, audit_context: AuditContext,
                    event: str, audit_action: str) -> None:
    await emit(session, action.shop_id, event, action.event_data,
               permission=read_permission(action.kind))
    await record(session, audit_context, shop_id=action.shop_id, action=audit_action,
                 target=f"{action.target_type}:{action.target_id}",
                 details={"action_id": str(action.id), "kind": action.kind,
                          "payload": action.payload, "attempt": action.attempts,
                          "reason": action.reason})


async def _retry(session: AsyncSession, action: StoreAction, audit_context: AuditContext
                 ) -> StoreAction:
    row = (await session.execute(text(
        f"UPDATE store_actions SET status = 'requested', reason = NULL, confirmed_at = NULL, "
        f"attempts = attempts + 1, requested_at = now(), updated_at = now() "
        f"WHERE shop_id = :shop_id AND id = :id AND status = 'failed' "
        f"AND NOT EXISTS (SELECT 1 FROM store_actions o WHERE o.shop_id = :shop_id "
        f"  AND o.target_type = :tt AND o.target_id = :tid AND o.kind = :kind "
        f"  AND o.status = 'requested') RETURNING {_COLUMNS}"),
        {"shop_id": action.shop_id, "id": action.id, "tt": action.target_type,
         "tid": action.target_id, "kind": action.kind})).first()
    if row is None:
        other = await _in_flight(session, action.shop_id, action.target_type, action.target_id,
                                 action.kind)
        raise errors.in_flight(other.id if other else action.id)
    retried = _row(row)
    await _announce(session, retried, audit_context, "store_action.requested",
                    "store_action.retried")
    return retried


async def _in_flight(session: AsyncSession, shop_id: uuid.UUID, target_type: str,
                     target_id: uuid.UUID, kind: str) -> StoreAction | None:
    return await _select(session, shop_id, "target_type = :tt AND target_id = :tid "
                         "AND kind = :kind AND status = 'requested'",
                         {"tt": target_type, "tid": target_id, "kind": kind})


async def in_flight_of(session: AsyncSession, shop_id: uuid.UUID, target_type: str,
                       target_id: uuid.UUID, kinds: tuple[str, ...]) -> StoreAction | None:
    """An action of one of ``kinds`` on the target still waiting for the store, if any (for
    kinds that exclude each other, such as publish and unpublish)."""
    return await _select(session, shop_id, "target_type = :tt AND target_id = :tid "
                         "AND kind = ANY(:kinds) AND status = 'requested' LIMIT 1",
                         {"tt": target_type, "tid": target_id, "kinds": list(kinds)})


def _same(action: StoreAction, kind: str, target_type: str, target_id: uuid.UUID,
          payload: dict[str, Any]) -> bool:
    return (action.kind, action.target_type, action.target_id, action.payload) == (
        kind, target_type, target_id, _normal(payload))


async def request_action(session: AsyncSession, shop_id: uuid.UUID, *, kind: str,
                         target_type: str, target_id: uuid.UUID, payload: dict[str, Any],
                         requested_by: uuid.UUID | None, idempotency_key: str | None,
                         audit_context: AuditContext) -> StoreAction:
    """Ask the store for ``kind`` on the target; the existing action for a repeated key.

    A repeat of a failed action's key retries it. The same key for a different action is a
    409 (``store_action.idempotency_key_reused``); another action of the same kind on the
    same target still waiting for the store is a 409 (``store_action.in_flight``).
    """
    read_permission(kind)  # refuse a kind nobody could ever read, before writing it
    existing = await find_by_key(session, shop_id, idempotency_key, lock=True)
    if existing is None:
        row = (await session.execute(text(
            f"INSERT INTO store_actions (shop_id, id, kind, target_type, target_id, payload, "
            f"idempotency_key, requested_by) VALUES (:shop_id, :id, :kind, :tt, :tid, "
            f"CAST(:payload AS jsonb), :key, :by) ON CONFLICT DO NOTHING RETURNING {_COLUMNS}"),
            {"shop_id": shop_id, "id": uuid.uuid4(), "kind": kind, "tt": target_type,
             "tid": target_id, "payload": json.dumps(payload, default=str),
             "key": idempotency_key, "by": requested_by})).first()
        if row is not None:
            action = _row(row)
            await _announce(session, action, audit_context, "store_action.requested",
                            "store_action.requested")
            return action
        # A concurrent request won: either with this key (then it is ours) or in flight.
        existing = await find_by_key(session, shop_id, idempotency_key, lock=True)
        if existing is None:
            other = await _in_flight(session, shop_id, target_type, target_id, kind)
            raise errors.in_flight(other.id if other else None)
    if not _same(existing, kind, target_type, target_id, payload):
        raise errors.idempotency_key_reused(existing.id)
    if existing.status == ActionStatus.FAILED:
        return await _retry(session, existing, audit_context)
    return existing


async def confirm_action(session: AsyncSession, shop_id: uuid.UUID, action_id: uuid.UUID, *,
                         outcome: str, reason: str | None,
                         audit_context: AuditContext) -> StoreAction:
    """Record the store's answer and run the kind's effects, once.

    The same answer delivered twice returns the action unchanged (the store's systems
    retry); a different answer for an already confirmed action is a 409.
    """
    try:
        outcome = Outcome(outcome)
    except ValueError as exc:
        raise errors.unknown_outcome(str(outcome)) from exc
    if outcome is Outcome.FAILED and not reason:
        raise errors.reason_required()
    action = await get_action(session, shop_id, action_id, lock=True)
    if action.status == outcome.value:
        return action
    if action.status != ActionStatus.REQUESTED:
        raise errors.already_confirmed(action.id, action.status)
    row = (await session.execute(text(
        f"UPDATE store_actions SET status = :status, reason = :reason, confirmed_at = now(), "
        f"updated_at = now() WHERE shop_id = :shop_id AND id = :id RETURNING {_COLUMNS}"),
        {"shop_id": shop_id, "id": action_id, "status": outcome.value,
         "reason": reason if outcome is Outcome.FAILED else None})).one()
    confirmed = _row(row)
    for effect in (_applied if outcome is Outcome.APPLIED else _failed).get(confirmed.kind, []):
        await effect(session, confirmed, audit_context)
    await _announce(session, confirmed, audit_context, f"store_action.{outcome.value}",
                    f"store_action.{outcome.value}")
    return confirmed


async def list_actions(session: AsyncSession, shop_id: uuid.UUID, *, kinds: list[str],
                       limit: int, cursor: str | None, status: str | None = None,
                       target_type: str | None = None, target_id: uuid.UUID | None = None
                       ) -> Page[StoreAction]:
    """Newest first, of ``kinds`` only (what the caller may read); the cursor carries
    (created_at, id)."""
    after = decode_cursor(cursor, (datetime, uuid.UUID))
    where = ["shop_id = :shop_id", "kind = ANY(:kinds)"]
    params: dict[str, Any] = {"shop_id": shop_id, "kinds": kinds, "limit": limit + 1}
    if status is not None:
        where.append("status = :status")
        params["status"] = status
    if target_type is not None:
        where.append("target_type = :tt")
        params["tt"] = target_type
    if target_id is not None:
        where.append("target_id = :tid")
        params["tid"] = target_id
    if after is not None:
        params["c_at"], params["c_id"] = after
        where.append("(created_at, id) < (:c_at, :c_id)")
    rows = (await session.execute(text(
        f"SELECT {_COLUMNS} FROM store_actions WHERE {' AND '.join(where)} "
        f"ORDER BY created_at DESC, id DESC LIMIT :limit"), params)).all()
    page = page_of(rows, limit, lambda row: [row.created_at, row.id])
    return Page(items=[_row(r) for r in page.items], next_cursor=page.next_cursor)

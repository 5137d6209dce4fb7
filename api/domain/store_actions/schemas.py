"""Store-action payloads: what staff and the shop's systems see, and the store's answer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar.params import HeaderParameter

from api.domain.store_actions.enums import ActionStatus, Outcome

__all__ = ["IDEMPOTENCY_KEY", "ActionConfirm", "IdempotencyKey", "StoreActionRead", "to_read"]

# The Idempotency-Key header: printable ASCII, bounded (it is stored under a unique key).
IDEMPOTENCY_KEY = Annotated[str, msgspec.Meta(min_length=1, max_length=200,
                                              pattern=r"^[\x21-\x7e]+$")]
# The same header on every route that asks the store for something: a repeat is the same
# action (and, for a failed one, its retry).
IdempotencyKey = Annotated[str | None, HeaderParameter(name="Idempotency-Key", min_length=1,
                                                       max_length=200, pattern=r"^[\x21-\x7e]+$")]
REASON = Annotated[str, msgspec.Meta(min_length=1, max_length=1000, pattern=r"^[^\x00]*$")]


class ActionConfirm(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    outcome: Outcome
    reason: REASON | None = None


class StoreActionRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    kind: str
    target_type: str
    target_id: uuid.UUID
    payload: dict[str, Any]
    status: ActionStatus
    reason: str | None
    idempotency_key: str | None
    requested_by: uuid.UUID | None
    attempts: int
    requested_at: datetime
    confirmed_at: datetime | None
    updated_at: datetime


def to_read(action: Any) -> StoreActionRead:
    return StoreActionRead(
        id=action.id, kind=action.kind, target_type=action.target_type,
        target_id=action.target_id, payload=action.payload, status=ActionStatus(action.status),
        reason=action.reason, idempotency_key=action.idempotency_key,
        requested_by=action.requested_by, attempts=action.attempts,
        requested_at=action.requested_at, confirmed_at=action.confirmed_at,
        updated_at=action.updated_at)

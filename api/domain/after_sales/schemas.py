"""After-sales payloads: a case with seed 003's 5W1H, and refunds."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from api.domain.after_sales.enums import CaseKind, CaseStatus, RefundStatus
from api.domain.store_actions.schemas import StoreActionRead
from api.domain.store_actions.types import CURRENCY, MAX_MINOR, text

__all__ = ["CaseIn", "CasePatch", "CaseRead", "CaseResolve", "RefundIn", "RefundRead",
           "RefundRequested"]

W = text(2000)


class CaseIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """5W1H (seed 003): what happened, why the buyer asks, who uses it, when, where it was
    bought, how (and how fast) they want it solved."""

    order_id: uuid.UUID
    conversation_id: uuid.UUID | None = None
    kind: CaseKind = CaseKind.DISPUTE
    what: W = ""  # type: ignore[valid-type]
    why: W = ""  # type: ignore[valid-type]
    who: W = ""  # type: ignore[valid-type]
    when: W = ""  # type: ignore[valid-type]
    where: W = ""  # type: ignore[valid-type]
    how: W = ""  # type: ignore[valid-type]


class CasePatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    conversation_id: uuid.UUID | None | msgspec.UnsetType = msgspec.UNSET
    what: W | msgspec.UnsetType = msgspec.UNSET  # type: ignore[valid-type]
    why: W | msgspec.UnsetType = msgspec.UNSET  # type: ignore[valid-type]
    who: W | msgspec.UnsetType = msgspec.UNSET  # type: ignore[valid-type]
    when: W | msgspec.UnsetType = msgspec.UNSET  # type: ignore[valid-type]
    where: W | msgspec.UnsetType = msgspec.UNSET  # type: ignore[valid-type]
    how: W | msgspec.UnsetType = msgspec.UNSET  # type: ignore[valid-type]


class CaseResolve(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    status: CaseStatus
    resolution: text(2000, min_length=1)  # type: ignore[valid-type]


class CaseRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    order_id: uuid.UUID
    conversation_id: uuid.UUID | None
    kind: CaseKind
    status: CaseStatus
    what: str
    why: str
    who: str
    when: str
    where: str
    how: str
    resolution: str
    opened_by: uuid.UUID | None
    handled_by: uuid.UUID | None
    resolved_at: datetime | None
    created_at: datetime
    updated_at: datetime


class RefundIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    amount_minor: Annotated[int, msgspec.Meta(ge=1, le=MAX_MINOR)]
    currency: CURRENCY
    reason: text(500, min_length=1)  # type: ignore[valid-type]
    case_id: uuid.UUID | None = None


class RefundRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    order_id: uuid.UUID
    case_id: uuid.UUID | None
    action_id: uuid.UUID
    amount_minor: int
    currency: str
    reason: str
    status: RefundStatus
    requested_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class RefundRequested(msgspec.Struct, kw_only=True):
    refund: RefundRead
    action: StoreActionRead

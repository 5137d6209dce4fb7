from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from api.domain.desk_common.types import PLATFORM_ID, check_utc_dates, text

__all__ = ["CodeIssue", "CodeIssued", "Redeem", "Redemption"]

# What the verifier scans or types: digits, maybe grouped with spaces or dashes.
CODE = Annotated[str, msgspec.Meta(pattern=r"^[0-9][0-9 -]{0,30}$")]
LABEL = text(200)


class CodeIssue(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    platform_order_id: PLATFORM_ID
    # An offset is required: a bare time would be compared with now() in no known zone.
    expires_at: Annotated[datetime, msgspec.Meta(tz=True)]
    label: LABEL = ""

    def __post_init__(self) -> None:
        check_utc_dates(self)


class CodeIssued(msgspec.Struct):
    """The code itself is shown here once: only its digest is stored."""

    id: uuid.UUID
    code: str
    code_hint: str
    order_id: uuid.UUID
    label: str
    expires_at: datetime


class Redeem(msgspec.Struct, forbid_unknown_fields=True):
    code: CODE


class Redemption(msgspec.Struct):
    id: uuid.UUID
    order_id: uuid.UUID
    platform_order_id: str
    label: str
    code_hint: str
    redeemed_by: uuid.UUID
    redeemed_client: str | None
    redeemed_at: datetime
    action_id: uuid.UUID | None
    action_status: str | None
    action_reason: str | None

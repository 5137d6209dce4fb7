"""FAQ library payloads (seed 003: 问题类型 - 原因 - 话术 - 操作)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

__all__ = ["EntryCreate", "EntryRead", "EntryUpdate"]

_NON_BLANK = r"^[^\x00]*\S[^\x00]*$"
_NO_NUL = r"^[^\x00]*$"
ProblemType = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=_NON_BLANK)]
Cause = Annotated[str, msgspec.Meta(max_length=2000, pattern=_NO_NUL)]
Answer = Annotated[str, msgspec.Meta(min_length=1, max_length=4000, pattern=_NON_BLANK)]
Action = Annotated[str, msgspec.Meta(max_length=2000, pattern=_NO_NUL)]


class EntryCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    problem_type: ProblemType  # e.g. 商品褪色
    answer: Answer  # the script staff adapt to the customer's tone
    cause: Cause = ""
    action: Action = ""  # what to do: return flow, compensation coupon request, ...


class EntryUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    problem_type: ProblemType | msgspec.UnsetType = msgspec.UNSET
    answer: Answer | msgspec.UnsetType = msgspec.UNSET
    cause: Cause | msgspec.UnsetType = msgspec.UNSET
    action: Action | msgspec.UnsetType = msgspec.UNSET


class EntryRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    problem_type: str
    cause: str
    answer: str
    action: str
    created_at: datetime
    updated_at: datetime

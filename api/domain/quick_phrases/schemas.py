"""Quick phrase (快捷短语) payloads. Strings are bounded and never carry NUL."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from api.domain.quick_phrases.enums import PhraseScope

__all__ = ["QuickPhraseGroupCreate", "QuickPhraseGroupRead", "QuickPhraseGroupUpdate", "QuickPhraseCreate", "QuickPhraseRead",
           "QuickPhraseUpdate"]

# A shortcut is typed by the agent ("/hi"): no whitespace, no NUL.
Shortcut = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^[^\s\x00]+$")]
Body = Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=r"^[^\x00]*\S[^\x00]*$")]
GroupName = Annotated[str, msgspec.Meta(min_length=1, max_length=100,
                                        pattern=r"^[^\x00]*\S[^\x00]*$")]


class QuickPhraseCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    shortcut: Shortcut
    body: Body
    group_id: uuid.UUID | None = None


class QuickPhraseUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    shortcut: Shortcut | msgspec.UnsetType = msgspec.UNSET
    body: Body | msgspec.UnsetType = msgspec.UNSET
    # null moves the phrase out of its group; absent leaves it where it is.
    group_id: uuid.UUID | None | msgspec.UnsetType = msgspec.UNSET


class QuickPhraseRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    scope: PhraseScope
    group_id: uuid.UUID | None
    shortcut: str
    body: str
    created_at: datetime
    updated_at: datetime


class QuickPhraseGroupCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: GroupName


class QuickPhraseGroupUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: GroupName


class QuickPhraseGroupRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    scope: PhraseScope
    name: str
    created_at: datetime

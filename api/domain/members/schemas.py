"""Member payloads.

``role`` is typed as the whole ``ShopRole`` enum, founder included: an unknown role string
fails validation (422), while "founder" reaches the service, which refuses it with a code of
its own (roles.md rule 1).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from api.domain.users.schemas import EMAIL
from rbac.catalog import ShopRole

__all__ = ["MemberAdd", "MemberAdded", "MemberRead", "MemberRoleChange"]


class MemberAdd(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Add an existing account (``user_id``) or invite one by ``email``; exactly one of them."""

    user_id: uuid.UUID | None = None
    email: EMAIL | None = None
    display_name: Annotated[str, msgspec.Meta(max_length=200)] = ""
    role: ShopRole


class MemberRoleChange(msgspec.Struct, forbid_unknown_fields=True):
    role: ShopRole


class MemberRead(msgspec.Struct, kw_only=True):
    user_id: uuid.UUID
    email: str
    display_name: str
    role: ShopRole
    status: Literal["active", "removed"]
    added_by: uuid.UUID | None
    created_at: datetime
    removed_at: datetime | None


class MemberAdded(MemberRead, kw_only=True):
    """The member as added, and how: ``invited`` (a new account) or ``readded`` (was removed)."""

    invited: bool
    readded: bool

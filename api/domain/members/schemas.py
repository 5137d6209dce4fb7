"""Member payloads.

``role`` is typed as the whole ``ShopRole`` enum, founder included: an unknown role string
fails validation (422), while "founder" reaches the service, which refuses it with a code of
its own (roles.md rule 1). The document lists only the roles that can be granted
(``GRANTABLE_ROLE``): "founder" is always refused, so a client must not be offered it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from api.domain.members.enums import MemberStatus
from api.domain.users.schemas import EMAIL
from rbac.catalog import ShopRole

__all__ = ["GRANTABLE_ROLE", "MemberAdd", "MemberAdded", "MemberRead", "MemberRoleChange"]

GRANTABLE_ROLE = Annotated[ShopRole, msgspec.Meta(extra_json_schema={
    "enum": [role.value for role in ShopRole if role is not ShopRole.FOUNDER]})]


class MemberAdd(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Re-add a former member of this shop by ``user_id``, or (the firm) place an agent.

    Everyone else joins by invitation (``POST /shops/{shop_id}/invitations``). ``email`` is
    accepted only so that a client still sending it learns where to go instead of getting a
    bare "unknown field".
    """

    user_id: uuid.UUID | None = None
    email: EMAIL | None = None
    role: GRANTABLE_ROLE


class MemberRoleChange(msgspec.Struct, forbid_unknown_fields=True):
    role: GRANTABLE_ROLE


class MemberRead(msgspec.Struct):
    """Field order = ``MemberRow``'s (the list builds it positionally, a hot read)."""

    user_id: uuid.UUID
    email: str
    display_name: str
    role: ShopRole
    status: MemberStatus
    added_by: uuid.UUID | None
    created_at: datetime
    removed_at: datetime | None


class MemberAdded(MemberRead, kw_only=True):
    """The member as added; ``readded`` when a former member of this shop came back."""

    readded: bool

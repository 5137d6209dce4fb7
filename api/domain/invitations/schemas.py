"""Invitation payloads. The shop sees what it typed, never who the address belongs to."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from api.domain.invitations.enums import InvitationStatus
from api.domain.users.schemas import EMAIL, PASSWORD

__all__ = ["GRANTABLE", "InvitationAccept", "InvitationAccepted", "InvitationCreate",
           "InvitationRead"]

# What a staff manager may invite into (roles.md rule 2): never the founder.
GRANTABLE = Literal["senior_admin", "admin", "agent", "verifier"]
_TOKEN = Annotated[str, msgspec.Meta(min_length=10, max_length=200,
                                     pattern=r"^inv_[0-9a-f]{32}_[0-9a-f]{32}_[A-Za-z0-9_-]+$")]


class InvitationCreate(msgspec.Struct, forbid_unknown_fields=True):
    email: EMAIL
    role: GRANTABLE


class InvitationRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    email: str  # as the shop typed it (lower-cased)
    role: str
    status: InvitationStatus
    invited_by: uuid.UUID | None
    created_at: datetime
    expires_at: datetime
    sent_count: int
    accepted_at: datetime | None


class InvitationAccept(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    token: _TOKEN
    # Only for an address with no account yet: the new account's password.
    password: PASSWORD | None = None
    display_name: Annotated[str, msgspec.Meta(max_length=200, pattern=r"^[^\x00]*$")] = ""


class InvitationAccepted(msgspec.Struct, kw_only=True):
    shop_id: uuid.UUID
    user_id: uuid.UUID
    role: str
    account_created: bool  # sign in with the password just chosen, or with your own

"""Who is calling: a staff user (from a verified access token) or a shop's integration key.

Neither carries roles: a user's roles are looked up per request, and a key's scopes are read
from the database (through the process's key cache, kept current like the policy).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["INTEGRATION_CLIENT", "Client", "IntegrationKeyPrincipal", "Principal", "UserPrincipal"]


class Client(StrEnum):
    WEB = "web"
    MOBILE = "mobile"


# What the audit log records as the client of a request made with an integration key.
INTEGRATION_CLIENT = "integration_key"


@dataclass(frozen=True, slots=True)
class UserPrincipal:
    """What a verified access token says, and nothing more."""

    user_id: str
    client: Client
    token_id: str
    issued_at: float
    expires_at: int
    # The sign-in session (refresh-token family) the token belongs to; signing it out
    # refuses the token in every process.
    session_id: str | None = None


@dataclass(frozen=True, slots=True)
class IntegrationKeyPrincipal:
    """A shop's integration key: it acts in ``shop_id`` only, with ``scopes`` only."""

    shop_id: uuid.UUID
    key_id: uuid.UUID
    prefix: str
    scopes: frozenset[str]

    client = INTEGRATION_CLIENT

    @property
    def actor_id(self) -> str:
        return str(self.key_id)


Principal = UserPrincipal | IntegrationKeyPrincipal

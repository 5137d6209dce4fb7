"""Integration key payloads. The secret appears once, in ``IntegrationKeyCreated``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from rbac.catalog import INTEGRATION_SCOPES

__all__ = ["IntegrationKeyCreate", "IntegrationKeyCreated", "IntegrationKeyRead"]

# Decoded as a bounded string so that an unknown scope gets its own code from the service
# (``integration_key.unknown_scope``); documented as the catalog's scopes, all it accepts.
SCOPE = Annotated[str, msgspec.Meta(min_length=1, max_length=50,
                                    extra_json_schema={"enum": sorted(INTEGRATION_SCOPES)})]


class IntegrationKeyCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[^\x00]*\S[^\x00]*$")]
    scopes: Annotated[list[SCOPE], msgspec.Meta(min_length=1, max_length=10)]


class IntegrationKeyRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    created_by: uuid.UUID | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class IntegrationKeyCreated(IntegrationKeyRead, kw_only=True):
    token: str  # the whole key: shown this once, never stored

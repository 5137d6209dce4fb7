"""Webhook payloads. Inputs are bounded and refuse unknown fields and NUL characters."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from api.domain.webhooks.enums import DeliveryStatus, EndpointStatus

__all__ = ["AttemptRead", "DeliveryRead", "EndpointCreate", "EndpointCreated", "EndpointRead",
           "EndpointUpdate", "SecretRotate", "SecretRotated"]

URL = Annotated[str, msgspec.Meta(min_length=8, max_length=2000, pattern=r"^[^\x00-\x20]+$")]
PATTERN = Annotated[str, msgspec.Meta(min_length=1, max_length=100,
                                      pattern=r"^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$")]
PATTERNS = Annotated[list[PATTERN], msgspec.Meta(min_length=1, max_length=50)]
DESCRIPTION = Annotated[str, msgspec.Meta(max_length=500, pattern=r"^[^\x00]*$")]
# Up to a week of overlap during which the previous secret still signs.
OVERLAP = Annotated[int, msgspec.Meta(ge=0, le=7 * 24 * 3600)]


class EndpointCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    url: URL
    event_types: PATTERNS
    description: DESCRIPTION = ""


class EndpointUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Change what is given; ``status: "active"`` re-enables a disabled endpoint."""

    url: URL | None = None
    event_types: PATTERNS | None = None
    description: DESCRIPTION | None = None
    status: EndpointStatus | None = None


class SecretRotate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    overlap_seconds: OVERLAP = 24 * 3600


class EndpointRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    url: str
    description: str
    event_types: list[str]
    status: EndpointStatus
    disabled_reason: str | None
    disabled_at: datetime | None
    failure_streak: int
    previous_secret_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


class EndpointCreated(EndpointRead, kw_only=True):
    """The endpoint and its signing secret: shown this once, never again."""

    secret: str


class SecretRotated(msgspec.Struct, kw_only=True):
    secret: str
    previous_secret_expires_at: datetime | None


class DeliveryRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: uuid.UUID  # the ``webhook-id`` header: receivers de-duplicate by it
    event_seq: int
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    redelivery_of: uuid.UUID | None
    created_at: datetime
    delivered_at: datetime | None


class AttemptRead(msgspec.Struct, kw_only=True):
    attempt: int
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None
    response_body: str

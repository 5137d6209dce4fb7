"""Audit log payloads."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

__all__ = [
    "AuditEntryRead",
    "ChainProblem",
    "ChainReport",
    "CheckpointKey",
    "CheckpointRead",
    "CheckpointVerification",
]


class AuditEntryRead(msgspec.Struct):
    seq: int
    occurred_at: datetime
    actor_id: uuid.UUID | None
    client: str | None
    ip: str | None
    request_id: str | None
    action: str
    outcome: str
    target: str | None
    details: dict[str, Any]
    prev_hash: str  # hex
    hash: str  # hex


class ChainProblem(msgspec.Struct):
    """One thing wrong with the chain, at ``seq``.

    ``gap``: ``missing`` entries from ``seq`` on are gone (``seq`` is the first of them).
    ``broken_link``: the entry's ``prev_hash`` is not the previous entry's hash.
    ``hash_mismatch``: the entry's fields no longer produce its stored hash.
    """

    seq: int
    problem: Literal["hash_mismatch", "broken_link", "gap"]
    missing: int | None = None


class ChainReport(msgspec.Struct):
    ok: bool
    entries_checked: int
    last_seq: int | None
    last_hash: str | None  # hex: keep it elsewhere to notice entries removed from the end
    problems: list[ChainProblem]


class CheckpointRead(msgspec.Struct, forbid_unknown_fields=True):
    """A signed statement of a chain's head: keep it outside ShopDesk, check it later.

    ``signature`` is base64url(Ed25519(key, message)) where message is
    ``shopdesk-audit-checkpoint:v1:<shop_id>:<last_seq>:<last_hash hex>:<taken_at UTC,
    YYYY-MM-DDTHH:MM:SS.ffffffZ>``; the public key is at ``GET /api/v1/audit/checkpoint-key``.
    """

    shop_id: uuid.UUID
    taken_at: datetime
    last_seq: Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]
    last_hash: Annotated[str, msgspec.Meta(pattern="^[0-9a-fA-F]{64}$")]
    key_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern="^[A-Za-z0-9._-]+$")]
    signature: Annotated[str, msgspec.Meta(min_length=1, max_length=200,
                                           pattern="^[A-Za-z0-9_-]+={0,2}$")]


class CheckpointVerification(msgspec.Struct):
    ok: bool
    signature_valid: bool
    entry_present: bool  # the entry at the checkpoint's last_seq still exists
    entry_matches: bool  # ... and still carries the checkpoint's last_hash
    chain: ChainReport
    entries_since: int  # entries appended after the checkpoint


class CheckpointKey(msgspec.Struct):
    key_id: str
    algorithm: Literal["Ed25519"]
    public_key: str  # base64url of the 32 raw bytes

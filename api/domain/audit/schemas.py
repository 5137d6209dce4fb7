"""Audit log payloads."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

import msgspec

__all__ = ["AuditEntryRead", "ChainProblem", "ChainReport"]


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

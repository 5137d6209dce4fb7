"""Who is calling: what a verified access token says, and nothing more (never roles)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Client", "Principal"]


class Client(StrEnum):
    WEB = "web"
    MOBILE = "mobile"


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: str
    client: Client
    token_id: str
    issued_at: float
    expires_at: int

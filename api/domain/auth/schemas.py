"""Sign-in payloads."""

from __future__ import annotations

from typing import Annotated

import msgspec

from api.auth.principal import Client
from api.domain.users.schemas import EMAIL

__all__ = ["LoginRequest", "LogoutRequest", "RefreshRequest", "TokenPair"]

REFRESH_TOKEN = Annotated[str, msgspec.Meta(min_length=20, max_length=200)]


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: EMAIL
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    client: Client = Client.WEB


class RefreshRequest(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: REFRESH_TOKEN


class LogoutRequest(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: REFRESH_TOKEN


class TokenPair(msgspec.Struct):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    client: Client
    user_id: str

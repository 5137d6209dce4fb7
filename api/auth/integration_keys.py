"""Integration keys: how a shop's own systems authenticate, and how each process knows them.

A key reads ``sdk_<key id, hex>_<secret>``. Only ``sha256(secret)`` is stored: the secret
has 256 bits of entropy, so a slow password hash would add nothing but latency. Each process
keeps the keys it has seen in memory; a revocation journals an authorization change for the
key's shop (``record_change(session, "shop", shop_id=...)``), and every process drops that
shop's keys when it applies the change, exactly as it re-reads a shop whose member was
removed. A revoked key is therefore refused by the next request, in every process.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.auth.principal import IntegrationKeyPrincipal
from api.errors import ApiError

__all__ = ["KEY_PREFIX", "GeneratedKey", "KeyCache", "generate_key", "looks_like_key"]

KEY_PREFIX = "sdk_"
_LOOKUP = text("SELECT shop_id, prefix, secret_hash, scopes, revoked_at "
               "FROM integration_key_lookup(:id)")


@dataclass(frozen=True, slots=True)
class GeneratedKey:
    key_id: uuid.UUID
    token: str  # shown once, to the person who created it
    prefix: str  # recognisable, safe to list and log
    secret_hash: bytes


def _hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def generate_key() -> GeneratedKey:
    key_id = uuid.uuid4()
    secret = secrets.token_urlsafe(32)
    token = f"{KEY_PREFIX}{key_id.hex}_{secret}"
    return GeneratedKey(key_id, token, token[:len(KEY_PREFIX) + 8], _hash(secret))


def looks_like_key(token: str) -> bool:
    return token.startswith(KEY_PREFIX)


def _parse(token: str) -> tuple[uuid.UUID, str] | None:
    body = token[len(KEY_PREFIX):]
    key_hex, sep, secret = body.partition("_")
    if not sep or len(key_hex) != 32 or not secret or len(secret) > 100:
        return None
    try:
        return uuid.UUID(hex=key_hex), secret
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class _KeyRecord:
    shop_id: uuid.UUID
    prefix: str
    secret_hash: bytes
    scopes: frozenset[str]
    revoked: bool


def _invalid() -> ApiError:
    return ApiError(401, "auth.key_invalid", "The integration key is not valid.")


class KeyCache:
    """The keys this process has seen, dropped per shop when the shop's policy changes."""

    def __init__(self, engine: AsyncEngine, runtime: object) -> None:
        self._engine = engine
        self._runtime = runtime
        self._keys: dict[uuid.UUID, _KeyRecord] = {}

    def forget_shop(self, shop_id: str | None) -> None:
        """Drop one shop's keys (``None``: all of them). Called for every applied change."""
        if shop_id is None:
            self._keys.clear()
            return
        shop = uuid.UUID(shop_id)
        for key_id in [k for k, rec in self._keys.items() if rec.shop_id == shop]:
            self._keys.pop(key_id, None)

    async def _load(self, key_id: uuid.UUID) -> _KeyRecord | None:
        version = getattr(self._runtime, "version", None)
        async with self._engine.connect() as conn:
            row = (await conn.execute(_LOOKUP, {"id": key_id})).first()
        if row is None:
            return None
        record = _KeyRecord(row.shop_id, row.prefix, bytes(row.secret_hash),
                            frozenset(row.scopes), row.revoked_at is not None)
        # A change applied while we read may be the revocation of this very key: use what we
        # read for this request, but do not keep it.
        if getattr(self._runtime, "version", None) == version:
            self._keys[key_id] = record
        return record

    async def authenticate(self, token: str) -> IntegrationKeyPrincipal:
        parsed = _parse(token)
        if parsed is None:
            raise _invalid()
        key_id, secret = parsed
        record = self._keys.get(key_id) or await self._load(key_id)
        if record is None or not hmac.compare_digest(record.secret_hash, _hash(secret)):
            raise _invalid()
        if record.revoked:
            raise ApiError(401, "auth.key_revoked", "This integration key has been revoked.")
        return IntegrationKeyPrincipal(record.shop_id, key_id, record.prefix, record.scopes)

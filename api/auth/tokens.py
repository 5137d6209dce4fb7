"""Access tokens (short-lived JWTs) and refresh tokens (random, stored hashed).

An access token carries the user id (``sub``), the client (``cli``), a token id (``jti``),
the session it belongs to (``sid``: its refresh-token family, so signing that session out
refuses it everywhere), issue and expiry times, issuer and audience. Never roles: the guard
looks those up per request.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid

import jwt

from api.auth.keys import KeyRing
from api.auth.principal import Client, UserPrincipal
from api.errors import ApiError
from api.settings import AuthSettings

__all__ = ["TokenService", "hash_refresh_token", "new_refresh_token"]

_ALGORITHM = "HS256"
_VERIFIED_CACHE_SIZE = 50_000


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message)


class TokenService:
    """Issues and verifies access tokens with the key ring's keys."""

    def __init__(self, keyring: KeyRing, settings: AuthSettings):
        self._keyring = keyring
        self._settings = settings
        # Clients present the same token on every request for its whole (short) life.
        # Remembering tokens that already verified saves the signature and claim checks;
        # keyed by the full token, signature included, so nothing unverified gets in.
        self._verified: dict[str, UserPrincipal] = {}

    def issue_access_token(self, user_id: str, client: Client,
                           session_id: str | None = None) -> tuple[str, int]:
        """A signed access token for ``user_id`` on ``client`` in session ``session_id``, and
        its expiry (epoch s)."""
        # Microsecond issue time, truncated like the database's timestamps: "log out
        # everywhere" must cut a token issued a moment before it, yet accept a login a
        # moment after it (rounding to milliseconds could move either across the line).
        now = time.time_ns() // 1000 / 1_000_000
        expires = int(now) + self._settings.access_ttl_seconds
        claims = {
            "sub": user_id,
            "cli": client.value,
            "jti": uuid.uuid4().hex,
            "iat": now,
            "exp": expires,
            "iss": self._settings.issuer,
            "aud": self._settings.audience,
        }
        if session_id is not None:
            claims["sid"] = session_id
        token = jwt.encode(claims, self._keyring.active_secret, algorithm=_ALGORITHM,
                           headers={"kid": self._keyring.active_kid})
        return token, expires

    def verify(self, token: str) -> UserPrincipal:
        """A principal from a valid token, or a 401 naming what is wrong with it."""
        known = self._verified.get(token)
        if known is not None and known.expires_at > time.time():
            return known
        principal = self._verify_uncached(token)
        if len(self._verified) >= _VERIFIED_CACHE_SIZE:
            self._verified.clear()
        self._verified[token] = principal
        return principal

    def _verify_uncached(self, token: str) -> UserPrincipal:
        self._verified.pop(token, None)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise _unauthorized("auth.token_malformed", "The access token is malformed.") from exc
        if header.get("alg") != _ALGORITHM:
            raise _unauthorized("auth.token_algorithm", "The token's signing algorithm is not accepted.")
        secret = self._keyring.secrets.get(str(header.get("kid")))
        if secret is None:
            raise _unauthorized("auth.token_unknown_key", "The token was signed with an unknown key.")
        try:
            claims = jwt.decode(
                token, secret, algorithms=[_ALGORITHM], audience=self._settings.audience,
                issuer=self._settings.issuer,
                options={"require": ["sub", "cli", "jti", "iat", "exp", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise _unauthorized("auth.token_expired", "The access token has expired.") from exc
        except jwt.InvalidAudienceError as exc:
            raise _unauthorized("auth.token_audience", "The token is not meant for this API.") from exc
        except jwt.InvalidIssuerError as exc:
            raise _unauthorized("auth.token_issuer", "The token was issued by someone else.") from exc
        except jwt.InvalidSignatureError as exc:
            raise _unauthorized("auth.token_signature", "The token's signature is invalid.") from exc
        except jwt.PyJWTError as exc:
            raise _unauthorized("auth.token_invalid", "The access token is invalid.") from exc
        session_id = claims.get("sid")
        try:
            client = Client(claims["cli"])
            uuid.UUID(str(claims["sub"]))
            if session_id is not None:
                session_id = str(uuid.UUID(str(session_id)))
        except ValueError as exc:
            raise _unauthorized("auth.token_invalid", "The access token is invalid.") from exc
        return UserPrincipal(str(claims["sub"]), client, str(claims["jti"]),
                             float(claims["iat"]), int(claims["exp"]), session_id)

"""Password hashing with argon2id.

Production uses argon2-cffi's RFC 9106 low-memory profile (its default). The test suite
may switch to the cheapest profile (``SHOPDESK_PASSWORD_HASHING=fast-insecure``), which
the settings refuse in production.
"""

from __future__ import annotations

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["configure_hashing", "hash_password", "needs_rehash", "verify_password"]

_PROFILES = {
    "argon2id": profiles.RFC_9106_LOW_MEMORY,
    "fast-insecure": profiles.CHEAPEST,
}
_hasher = PasswordHasher()
# Verified when the account does not exist, so a miss costs as long as a wrong password.
_dummy_hash = _hasher.hash("shopdesk-timing-equaliser")


def configure_hashing(profile: str) -> None:
    """Choose the argon2 parameters for new hashes (existing hashes carry their own)."""
    global _hasher, _dummy_hash
    hasher = PasswordHasher.from_parameters(_PROFILES[profile])
    if hasher.time_cost != _hasher.time_cost or hasher.memory_cost != _hasher.memory_cost:
        _hasher = hasher
        _dummy_hash = hasher.hash("shopdesk-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)

"""Token signing keys, identified by ``kid`` so they can rotate without logging anyone out.

``SHOPDESK_JWT_KEYS`` holds ``kid:secret`` pairs: the first signs new tokens, every one
verifies. With none configured, development generates a key once and keeps it in the data
directory; production refuses to start.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from api.settings import Settings

__all__ = ["KeyRing", "MissingSigningKeyError", "load_keyring"]

_MIN_SECRET_BYTES = 32


class MissingSigningKeyError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class KeyRing:
    active_kid: str
    secrets: dict[str, bytes]

    @property
    def active_secret(self) -> bytes:
        return self.secrets[self.active_kid]


def _parse(raw: str) -> KeyRing:
    pairs: dict[str, bytes] = {}
    order: list[str] = []
    for item in raw.split(","):
        kid, sep, secret = item.strip().partition(":")
        if not sep or not kid or not secret:
            raise MissingSigningKeyError("SHOPDESK_JWT_KEYS must be 'kid:secret[,kid:secret...]'")
        if len(secret.encode()) < _MIN_SECRET_BYTES:
            raise MissingSigningKeyError(f"signing key {kid!r} is shorter than 32 bytes")
        pairs[kid] = secret.encode()
        order.append(kid)
    return KeyRing(order[0], pairs)


def _development_keyring(data_dir: Path) -> KeyRing:
    path = data_dir / "jwt-dev-key.json"
    if path.exists():
        stored = json.loads(path.read_text())
        return KeyRing(stored["kid"], {stored["kid"]: stored["secret"].encode()})
    data_dir.mkdir(parents=True, exist_ok=True)
    kid = f"dev-{secrets.token_hex(4)}"
    secret = secrets.token_urlsafe(48)
    # Written with 0600 from the start: the key signs every token of this installation.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"kid": kid, "secret": secret}, handle)
    return KeyRing(kid, {kid: secret.encode()})


def load_keyring(settings: Settings) -> KeyRing:
    if settings.auth.signing_keys:
        return _parse(settings.auth.signing_keys)
    if settings.is_production:
        raise MissingSigningKeyError("production requires SHOPDESK_JWT_KEYS to be set")
    return _development_keyring(settings.data_dir)

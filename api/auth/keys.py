"""Token signing keys, identified by ``kid`` so they can rotate without logging anyone out.

``SHOPDESK_JWT_KEYS`` holds ``kid:secret`` pairs: the first signs new tokens, every one
verifies. With none configured, development generates a key once and keeps it in the data
directory; production refuses to start.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from api.settings import Settings

__all__ = ["DEV_KEY_FILE", "InvalidSigningKeyError", "KeyRing", "MissingSigningKeyError",
           "load_keyring"]

DEV_KEY_FILE = "jwt-dev-key.json"
_MIN_SECRET_BYTES = 32


class MissingSigningKeyError(RuntimeError):
    """No usable signing key: the API must not start."""


class InvalidSigningKeyError(MissingSigningKeyError):
    """A configured key is malformed, duplicated or too short."""


@dataclass(frozen=True, slots=True)
class KeyRing:
    active_kid: str
    secrets: dict[str, bytes]

    @property
    def active_secret(self) -> bytes:
        return self.secrets[self.active_kid]


def _parse(raw: str) -> KeyRing:
    pairs: dict[str, bytes] = {}
    for item in raw.split(","):
        kid, sep, secret = item.strip().partition(":")
        if not sep or not kid or not secret:
            raise InvalidSigningKeyError("SHOPDESK_JWT_KEYS must be 'kid:secret[,kid:secret...]'")
        if kid in pairs:
            raise InvalidSigningKeyError(f"signing key id {kid!r} appears twice")
        if len(secret.encode()) < _MIN_SECRET_BYTES:
            raise InvalidSigningKeyError(
                f"signing key {kid!r} is shorter than {_MIN_SECRET_BYTES} bytes")
        pairs[kid] = secret.encode()
    return KeyRing(next(iter(pairs)), pairs)


def _read_development_key(path: Path) -> KeyRing:
    try:
        stored = json.loads(path.read_text())
        kid, secret = str(stored["kid"]), str(stored["secret"]).encode()
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidSigningKeyError(f"{path} is not a signing key file; delete it") from exc
    if len(secret) < _MIN_SECRET_BYTES:
        raise InvalidSigningKeyError(f"{path} holds a key shorter than {_MIN_SECRET_BYTES} bytes")
    return KeyRing(kid, {kid: secret})


def _development_keyring(data_dir: Path) -> KeyRing:
    path = data_dir / DEV_KEY_FILE
    if path.exists():
        return _read_development_key(path)
    data_dir.mkdir(parents=True, exist_ok=True)
    kid = f"dev-{secrets.token_hex(4)}"
    # Written whole to a private temporary file (0600 from the start: the key signs every
    # token of this installation), then linked into place: two processes starting at once
    # agree on whichever key was linked first, and nobody reads a half-written file.
    tmp = data_dir / f".{DEV_KEY_FILE}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump({"kid": kid, "secret": secrets.token_urlsafe(48)}, handle)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return _read_development_key(path)


def load_keyring(settings: Settings) -> KeyRing:
    """The configured keys; in development without any, the generated one.

    Raises:
        MissingSigningKeyError: production without ``SHOPDESK_JWT_KEYS``, or a bad key.
    """
    if settings.auth.signing_keys:
        return _parse(settings.auth.signing_keys)
    if settings.is_production:
        raise MissingSigningKeyError("production requires SHOPDESK_JWT_KEYS to be set")
    return _development_keyring(settings.data_dir)

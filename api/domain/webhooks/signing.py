"""Standard Webhooks signatures (https://www.standardwebhooks.com, spec 1.0.0).

``webhook-signature`` is a space-separated list of ``v1,<base64 HMAC-SHA256>`` over
``f"{webhook-id}.{webhook-timestamp}.{body}"``, one per secret in force: during a rotation
the previous secret signs too, so a receiver that still has the old one keeps verifying.
Secrets are shown as ``whsec_`` + base64 of 32 random bytes (the spec asks 24 to 64).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable

__all__ = ["SECRET_PREFIX", "decode_secret", "encode_secret", "headers", "new_secret", "sign"]

SECRET_PREFIX = "whsec_"


def new_secret() -> bytes:
    return secrets.token_bytes(32)


def encode_secret(raw: bytes) -> str:
    return SECRET_PREFIX + base64.b64encode(raw).decode()


def decode_secret(text: str) -> bytes:
    body = text[len(SECRET_PREFIX):] if text.startswith(SECRET_PREFIX) else text
    return base64.b64decode(body + "==")


def sign(secret: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = b"%s.%d.%s" % (msg_id.encode(), timestamp, body)
    digest = hmac.new(secret, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secrets_in_force: Iterable[bytes], msg_id: str, timestamp: int,
            body: bytes) -> dict[str, str]:
    signatures = " ".join(sign(s, msg_id, timestamp, body) for s in secrets_in_force)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
        "content-type": "application/json",
        "user-agent": "ShopDesk-Webhooks/1",
    }

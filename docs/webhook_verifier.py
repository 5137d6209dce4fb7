"""Verify a ShopDesk webhook (Standard Webhooks, HMAC-SHA256) with the standard library only.

    from webhook_verifier import verify
    event = verify(secret, request.headers, raw_body)   # raises ValueError if not genuine

``secret`` is the ``whsec_...`` string shown when the endpoint was created (or rotated).
Pass the body exactly as received (bytes), never re-serialised JSON. De-duplicate on
``event["id"]`` (== the ``webhook-id`` header): a delivery can arrive more than once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

TOLERANCE_SECONDS = 5 * 60


def verify(secret: str, headers: Mapping[str, str], body: bytes,
           tolerance: int = TOLERANCE_SECONDS) -> Any:
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id = lower.get("webhook-id")
    timestamp = lower.get("webhook-timestamp")
    signatures = lower.get("webhook-signature")
    if not (msg_id and timestamp and signatures):
        raise ValueError("missing webhook-id, webhook-timestamp or webhook-signature")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        raise ValueError("timestamp missing or outside the tolerance (replay?)")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = hmac.new(key, signed, hashlib.sha256).digest()
    for candidate in signatures.split(" "):  # several during a secret rotation
        version, _, value = candidate.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(value, validate=True)
        except ValueError:
            continue
        if hmac.compare_digest(given, expected):
            return json.loads(body)
    raise ValueError("no valid signature")

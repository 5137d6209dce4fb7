"""What the hardening tests share: the error-shape assertion and hostile payloads."""

from __future__ import annotations

import base64
import json

import httpx

__all__ = ["JSON", "LOGIN", "assert_refused", "forged_cursor"]

LOGIN = "/api/v1/auth/login"
JSON = {"content-type": "application/json"}


def assert_refused(response: httpx.Response, status: int, code: str | None = None) -> dict:
    """A refusal in the one error shape (never a 5xx)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "message", "details", "request_id"}, body
    if code is not None:
        assert body["code"] == code, body
    return body


def forged_cursor(raw: bytes | str | object) -> str:
    if not isinstance(raw, bytes):
        raw = (raw if isinstance(raw, str) else json.dumps(raw)).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")

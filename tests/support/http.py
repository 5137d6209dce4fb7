"""Calling the API as someone, and checking its refusals."""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["assert_error", "bearer"]


def bearer(token: str) -> dict[str, str]:
    """The headers that present ``token``."""
    return {"Authorization": f"Bearer {token}"}


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is the API's one error shape with this status and code; returns the body.

    The shape: JSON ``{code, message, details, request_id}`` and nothing else, a message, a
    ``details`` object, and the same request id as the ``X-Request-ID`` header.
    """
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert body["code"] == code, body
    assert set(body) == {"code", "message", "details", "request_id"}, body
    assert body["message"], body
    assert isinstance(body["details"], dict), body
    assert body["request_id"] == response.headers["x-request-id"], body
    return body

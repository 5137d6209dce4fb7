"""One cursor pagination shape for every list: ``{items, next_cursor}``.

Cursors are opaque to clients (URL-safe base64 of the last row's sort key) and lists are
ordered by a unique key, so pages never skip or repeat rows while data changes.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Generic, TypeVar

import msgspec

from api.errors import ApiError

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "Page", "decode_cursor", "encode_cursor", "invalid_cursor"]

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
T = TypeVar("T")


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    next_cursor: str | None


def invalid_cursor() -> ApiError:
    """The one refusal for a cursor this API did not issue (or no longer understands)."""
    return ApiError(400, "pagination.invalid_cursor", "The cursor is not valid.")


def encode_cursor(key: list[Any]) -> str:
    raw = json.dumps(key, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, arity: int) -> list[Any] | None:
    """The sort key inside a cursor, or a 400 ``pagination.invalid_cursor``."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid_cursor() from exc
    if not isinstance(key, list) or len(key) != arity:
        raise invalid_cursor()
    return key

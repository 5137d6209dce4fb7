"""One cursor pagination shape for every list: ``{items, next_cursor}``, and one keyset helper.

Cursors are opaque to clients (URL-safe base64 of the last row's sort key) and lists are
ordered by a unique key, so pages never skip or repeat rows while data changes.

A cursor comes back from the client, so it is hostile input: whatever it holds (a huge
integer, a deeply nested array, a number where a timestamp belongs, a NUL character) is a
400 ``pagination.invalid_cursor`` here, and never reaches PostgreSQL as a 500.

    page = await paginate(session, select(Shop).where(...), order_by=(Shop.slug,),
                          kinds=(str,), cursor=cursor, limit=limit)
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import msgspec
from sqlalchemy import Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import ApiError

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "CursorKind", "Page", "decode_cursor", "encode_cursor",
           "invalid_cursor", "page_of", "paginate"]

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# Far above any key this API encodes (a slug, a timestamp and a UUID), far below harm.
MAX_CURSOR_CHARS = 2048
_INT64 = (-(2**63), 2**63 - 1)
T = TypeVar("T")
# What one position of a sort key holds: the Python type its column decodes to.
CursorKind = type[int] | type[str] | type[datetime] | type[uuid.UUID]


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    next_cursor: str | None


def invalid_cursor() -> ApiError:
    """The one refusal for a cursor this API did not issue (or no longer understands)."""
    return ApiError(400, "pagination.invalid_cursor", "The cursor is not valid.")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def encode_cursor(key: list[Any]) -> str:
    raw = json.dumps(key, separators=(",", ":"), default=_plain).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a sort key")  # NaN, Infinity: json would accept them


def decode_cursor(cursor: str | None, kinds: int | Sequence[CursorKind]) -> list[Any] | None:
    """The sort key inside a cursor, or a 400 ``pagination.invalid_cursor``.

    ``kinds`` is either the key's length (each position any JSON scalar, integers within 64
    bits) or, better, the type of each position: ``(datetime, uuid.UUID)`` returns a
    timezone-aware datetime and a UUID, and refuses anything else.
    """
    if cursor is None:
        return None
    if len(cursor) > MAX_CURSOR_CHARS:
        raise invalid_cursor()
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()),
                         parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError, binascii.Error, RecursionError) as exc:
        raise invalid_cursor() from exc
    arity = kinds if isinstance(kinds, int) else len(kinds)
    if not isinstance(key, list) or len(key) != arity:
        raise invalid_cursor()
    if isinstance(kinds, int):
        for value in key:
            _check_scalar(value)
        return key
    return [_convert(value, kind) for value, kind in zip(key, kinds, strict=True)]


def _check_scalar(value: Any) -> None:
    if isinstance(value, str):
        if "\x00" in value:  # PostgreSQL text cannot hold it: it would fail as a 500
            raise invalid_cursor()
        return
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if not _INT64[0] <= value <= _INT64[1]:
            raise invalid_cursor()
        return
    if isinstance(value, float) and math.isfinite(value):
        return
    raise invalid_cursor()  # a list or an object: sort keys are flat


def _convert(value: Any, kind: CursorKind) -> Any:
    try:
        if kind is int:
            # bool is an int to isinstance; a string of digits is not an int either.
            if type(value) is not int or not _INT64[0] <= value <= _INT64[1]:
                raise ValueError("not a 64-bit integer")
            return value
        if type(value) is not str or "\x00" in value:
            raise ValueError("not text")
        if kind is str:
            return value
        if kind is datetime:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                raise ValueError("naive timestamp")
            # A time whose UTC date falls outside 1..9999 (0001-01-01T00:00+01:00) would
            # overflow in the driver: it is no key this API issued.
            moment.astimezone(UTC)
            return moment
        if kind is uuid.UUID:
            return uuid.UUID(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise invalid_cursor() from exc
    raise TypeError(f"no cursor kind {kind!r}")  # a programming error, not bad input


def page_of(rows: Sequence[T], limit: int, key: Callable[[T], list[Any]]) -> Page[T]:
    """The page for ``rows`` fetched with ``LIMIT limit + 1``: the extra row says there is more."""
    items = list(rows[:limit])
    more = len(rows) > limit and bool(items)
    return Page(items=items, next_cursor=encode_cursor(key(items[-1])) if more else None)


async def paginate(session: AsyncSession, query: Select[Any], *, order_by: Sequence[Any],
                   kinds: Sequence[CursorKind], cursor: str | None, limit: int,
                   descending: bool = False) -> Page[Any]:
    """One keyset page of an ORM ``query`` (one entity per row), ordered by ``order_by``.

    ``order_by`` is the unique sort key (mapped columns, most significant first) and
    ``kinds`` the type of each of its positions. The query's own filters still apply.
    """
    after = decode_cursor(cursor, kinds)
    columns = list(order_by)
    if after is not None:
        position = tuple_(*columns) if len(columns) > 1 else columns[0]
        bound = tuple_(*after) if len(columns) > 1 else after[0]
        query = query.where(position < bound if descending else position > bound)
    query = query.order_by(*(c.desc() if descending else c for c in columns)).limit(limit + 1)
    rows = list((await session.execute(query)).scalars())
    names = [c.key for c in columns]
    return page_of(rows, limit, lambda row: [getattr(row, n) for n in names])

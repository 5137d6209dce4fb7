"""Keyset pages newest first, over ``(<timestamp column>, id)``, in the one page shape."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from api.pagination import Page, decode_cursor, encode_cursor, invalid_cursor

__all__ = ["cursor_time", "newest_first"]

T = TypeVar("T")


def cursor_time(value: Any) -> datetime:
    """A cursor's timestamp. One with no UTC date (0001-01-01 at +01:00) is refused here:
    the driver converts to UTC and would fail with a 500."""
    try:
        moment = datetime.fromisoformat(value)
        moment.astimezone(UTC)
    except (TypeError, ValueError, OverflowError) as exc:
        raise invalid_cursor() from exc
    return moment


def _after(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    key = decode_cursor(cursor, (datetime, uuid.UUID))  # typed: aware, in the UTC calendar
    return (key[0], key[1]) if key is not None else None


async def newest_first(session: AsyncSession, select_sql: str, params: Mapping[str, Any], *,
                       ts: str, id_col: str, limit: int, cursor: str | None,
                       build: Callable[[Row[Any]], T],
                       key: Callable[[Row[Any]], Sequence[Any]]) -> Page[T]:
    """Run ``select_sql`` (which ends in a WHERE clause naming the shop) one page at a time.

    ``ts`` and ``id_col`` are the sort columns as SQL expressions; ``key`` gives a row's
    values for them (the cursor).
    """
    after = _after(cursor)
    sql = select_sql
    bound = dict(params)
    if after is not None:
        sql += f" AND ({ts}, {id_col}) < (:_after_ts, :_after_id)"
        bound["_after_ts"], bound["_after_id"] = after
    sql += f" ORDER BY {ts} DESC, {id_col} DESC LIMIT :_limit"
    bound["_limit"] = limit + 1
    rows = (await session.execute(text(sql), bound)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last_ts, last_id = key(rows[-1])
        next_cursor = encode_cursor([last_ts.isoformat(), str(last_id)])
    return Page(items=[build(r) for r in rows], next_cursor=next_cursor)

"""Seconds before SLA breach, for the queue: the SLA slice computes it, start-up wires it.

The SLA slice subscribes to this slice's signals (it imports them), so this slice cannot
import it back without a cycle between the two; instead the application hands its
function in here (``conversations.wiring.register``). Unwired: no figures, never an error.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["BreachSource", "ReaderBreachSource", "provide", "seconds_to_breach",
           "seconds_to_breach_on"]

BreachSource = Callable[[AsyncSession, uuid.UUID, list[uuid.UUID]],
                        Awaitable[dict[uuid.UUID, float | None]]]
# The same figures on the plain asyncpg connection of a hot read (``api.db.reader``).
ReaderBreachSource = Callable[[asyncpg.Connection, uuid.UUID, list[uuid.UUID]],
                              Awaitable[dict[uuid.UUID, float | None]]]
_source: list[BreachSource] = []
_reader_source: list[ReaderBreachSource] = []


def provide(source: BreachSource, reader_source: ReaderBreachSource | None = None) -> None:
    _source[:] = [source]
    _reader_source[:] = [reader_source] if reader_source is not None else []


async def seconds_to_breach_on(conn: asyncpg.Connection, shop_id: uuid.UUID,
                               conversation_ids: list[uuid.UUID]
                               ) -> dict[uuid.UUID, float | None]:
    if not _reader_source or not conversation_ids:
        return {}
    return await _reader_source[0](conn, shop_id, conversation_ids)


async def seconds_to_breach(session: AsyncSession, shop_id: uuid.UUID,
                            conversation_ids: list[uuid.UUID]) -> dict[uuid.UUID, float | None]:
    if not _source or not conversation_ids:
        return {}
    return await _source[0](session, shop_id, conversation_ids)

"""Sign-in attempts are kept only as long as the sign-in limits can look at them."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["prune_login_attempts"]

# In batches: a backlog after a long outage never becomes one huge delete holding locks.
_PRUNE = text("DELETE FROM login_attempts WHERE id IN (SELECT id FROM login_attempts "
              "WHERE created_at < now() - make_interval(secs => :keep) LIMIT 5000)")


async def prune_login_attempts(engine: AsyncEngine, keep_seconds: int) -> int:
    """Delete attempts older than ``keep_seconds``; returns how many went."""
    removed = 0
    while True:
        async with engine.begin() as conn:
            count = (await conn.execute(_PRUNE, {"keep": keep_seconds})).rowcount
        removed += count
        if count < 5000:
            return removed

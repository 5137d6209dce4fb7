"""The shop boundary: the one place that tells PostgreSQL which shop a transaction serves.

Row-level security policies on every shop-owned table compare ``shop_id`` with
``NULLIF(current_setting('app.shop_id', true), '')``. The setting is transaction-scoped
(``set_config(..., true)``), so a pooled connection never carries one request's shop into
the next; with no setting, shop tables show no rows and accept no writes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

__all__ = ["FIRM_SCOPE", "bind_shop", "bound_to", "current_shop"]

# The firm's own audit chain (logins, onboarding) lives under the nil UUID "shop".
FIRM_SCOPE = UUID(int=0)

_BIND = text("SELECT set_config('app.shop_id', :shop_id, true)")
_CURRENT = text("SELECT NULLIF(current_setting('app.shop_id', true), '')")


async def bind_shop(session: AsyncSession | AsyncConnection, shop_id: UUID) -> None:
    """Scope the current transaction to ``shop_id`` (begins the transaction if needed)."""
    await session.execute(_BIND, {"shop_id": str(shop_id)})


async def current_shop(session: AsyncSession | AsyncConnection) -> UUID | None:
    """The shop the current transaction is bound to, if any."""
    value = (await session.execute(_CURRENT)).scalar_one()
    return UUID(value) if value else None


@asynccontextmanager
async def bound_to(session: AsyncSession, shop_id: UUID) -> AsyncIterator[None]:
    """Bind the transaction to ``shop_id`` for a block, then restore the previous binding.

    For the few writes that belong to another chain than the request's shop (the firm's
    audit chain): the caller's shop scope is back in force when the block ends.
    """
    previous = await current_shop(session)
    await bind_shop(session, shop_id)
    yield
    # Not in a ``finally``: after an error the transaction is aborted and will roll back,
    # and a second statement would only replace the real error with "transaction aborted".
    await session.execute(_BIND, {"shop_id": str(previous) if previous else ""})

"""One unit of work per request, committed by the framework, never by a service.

The shop boundary is one straight chain of declared dependencies:

    guard (admits the caller, leaves a ``ShopScope``) → ``shop_scope`` → ``shop_session``

``shop_session`` opens the request's session and binds it to ``shop_scope.shop_id``
(``set_config('app.shop_id', ..., true)``) before anything else runs; firm-level routes take
``db_session``, which is bound to no shop. Both are generator dependencies: Litestar runs the
code after ``yield`` once the handler has returned and the response is built, before it is
sent, and throws the handler's exception in instead when it raised. Commit or rollback
happens here, then the transaction hooks run (``api.db.hooks``), after the session is closed.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

from litestar.connection import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.hooks import run_commit_hooks, run_rollback_hooks
from api.db.shop_context import bind_shop
from api.errors import ApiError
from api.guard import SCOPE_STATE_KEY, ShopScope

__all__ = ["provide_db_session", "provide_shop_scope", "provide_shop_session"]


@asynccontextmanager
async def _unit_of_work(state: State, request: Request, shop_id: UUID | None
                        ) -> AsyncIterator[AsyncSession]:
    session: AsyncSession = state.sessionmaker()
    failure: BaseException | None = None
    try:
        if shop_id is not None:
            await bind_shop(session, shop_id)
        yield session
        if session.in_transaction():
            await session.commit()
    except BaseException as exc:
        failure = exc
        await session.rollback()
        raise
    finally:
        info = dict(session.info)
        await session.close()
        # After close: a hook that writes takes a connection of its own from the pool.
        if failure is None:
            await run_commit_hooks(request, info, shop_id)
        else:
            await run_rollback_hooks(request, failure, shop_id)


async def provide_db_session(state: State, request: Request) -> AsyncGenerator[AsyncSession, None]:
    """A session bound to no shop (firm-level routes)."""
    async with _unit_of_work(state, request, None) as session:
        yield session


def provide_shop_scope(request: Request) -> ShopScope:
    """The guard's proof that the caller was admitted to the shop in the path."""
    scope = request.scope.get("state", {}).get(SCOPE_STATE_KEY)
    if not isinstance(scope, ShopScope):
        # Only reachable if a shop route skipped the guard: refuse rather than guess.
        raise ApiError(403, "permission.undeclared", "This route is not guarded.")
    return scope


async def provide_shop_session(state: State, request: Request,
                               shop_scope: NamedDependency[ShopScope]
                               ) -> AsyncGenerator[AsyncSession, None]:
    """The request's session, bound to the shop the guard admitted the caller to."""
    async with _unit_of_work(state, request, shop_scope.shop_id) as session:
        yield session

"""One session per request, committed by the framework, never by a service.

``provide_db_session`` is a generator dependency: Litestar runs the code after ``yield``
once the handler has returned and the response is built, before it is sent. A handler
that raised gets a rollback instead. If the transaction journalled an authorization
change, this process's policy is brought up to date before the response leaves, so the
caller's next request already sees the change.

``provide_shop_session`` is the same session bound to the shop the guard admitted the
caller to. Shop-scoped handlers take ``shop_session``, never ``db_session``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from litestar.connection import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.shop_context import bind_shop
from api.errors import ApiError
from rbac.guard import SCOPE_STATE_KEY, ShopScope
from rbac.policy_store import PENDING_KEY

__all__ = ["provide_db_session", "provide_shop_scope", "provide_shop_session"]


async def provide_db_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    session: AsyncSession = state.sessionmaker()
    committed = False
    try:
        yield session
        if session.in_transaction():
            await session.commit()
        committed = True
    except BaseException:
        await session.rollback()
        raise
    finally:
        pending = session.info.pop(PENDING_KEY, None)
        await session.close()
    if committed and pending:
        await state.authz.catch_up()


def provide_shop_scope(request: Request) -> ShopScope:
    scope = request.scope.get("state", {}).get(SCOPE_STATE_KEY)
    if not isinstance(scope, ShopScope):
        # Only reachable if a shop route skipped the guard: refuse rather than guess.
        raise ApiError(403, "permission.undeclared", "This route is not guarded.")
    return scope


async def provide_shop_session(db_session: NamedDependency[AsyncSession], shop_scope: NamedDependency[ShopScope]) -> AsyncSession:
    await bind_shop(db_session, shop_scope.shop_id)
    return db_session

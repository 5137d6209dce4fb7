"""One session per request, committed by the framework, never by a service.

``provide_db_session`` is a generator dependency: Litestar runs the code after ``yield``
once the handler has returned and the response is built, before it is sent. A handler
that raised gets a rollback instead; if what it raised was a refusal, the refusal is then
audited in a transaction of its own, in the shop the guard admitted the caller to (or the
firm's chain), since the rollback took any record of it along. If the transaction
journalled an authorization change, this process's policy is brought up to date before the
response leaves, so the caller's next request already sees it.

On a shop-scoped route the session is bound to the shop the guard admitted the caller to
before anything else runs (inside the generator, so a failure there is rolled back and the
connection returned like any other). Shop-scoped handlers take ``shop_session``: the same
session, named for what it is.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from uuid import UUID

from litestar.connection import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.shop_context import bind_shop
from api.domain.audit.denials import is_audited_refusal, record_refusal
from api.errors import ApiError
from rbac.guard import SCOPE_STATE_KEY, ShopScope
from rbac.policy_store import PENDING_KEY

__all__ = ["provide_db_session", "provide_shop_scope", "provide_shop_session"]


async def provide_db_session(state: State, request: Request) -> AsyncGenerator[AsyncSession, None]:
    session: AsyncSession = state.sessionmaker()
    committed = False
    refusal: ApiError | None = None
    try:
        admitted = _admitted_shop(request)
        if admitted is not None:
            await bind_shop(session, admitted)
        yield session
        if session.in_transaction():
            await session.commit()
        committed = True
    except BaseException as exc:
        await session.rollback()
        if is_audited_refusal(exc):
            refusal = exc  # type: ignore[assignment]
        raise
    finally:
        pending = session.info.pop(PENDING_KEY, None)
        await session.close()
        if refusal is not None:
            # After close: the audit write takes a connection of its own from the pool.
            await record_refusal(request, _admitted_shop(request), refusal)
    if committed and pending:
        # The change is committed whatever happens next: a failed catch-up is logged and
        # retried by the listener or the poll, never reported as a failure of the request.
        await state.authz.apply_committed()


def _admitted_shop(request: Request) -> UUID | None:
    scope = request.scope.get("state", {}).get(SCOPE_STATE_KEY)
    return scope.shop_id if isinstance(scope, ShopScope) else None


def provide_shop_session(request: Request, db_session: NamedDependency[AsyncSession]
                         ) -> AsyncSession:
    if _admitted_shop(request) is None:
        # Only reachable if a shop route skipped the guard: refuse rather than guess.
        raise ApiError(403, "permission.undeclared", "This route is not guarded.")
    return db_session


def provide_shop_scope(request: Request, shop_session: NamedDependency[AsyncSession]
                       ) -> ShopScope:
    # ``shop_session`` is not used: asking for it orders this dependency after the session,
    # so Litestar resolves them one by one instead of starting a task group per request.
    del shop_session
    scope = request.scope.get("state", {}).get(SCOPE_STATE_KEY)
    if not isinstance(scope, ShopScope):
        raise ApiError(403, "permission.undeclared", "This route is not guarded.")
    return scope

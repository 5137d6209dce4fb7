"""What happens around a request's unit of work once it has committed or rolled back.

Two kinds of hook:
- per transaction, registered by the code that needs it while the request runs
  (``after_commit(session, callback)``): "wake the webhook dispatcher once this commits";
- for every transaction, registered once at application start by the feature that owns the
  behaviour (``on_commit(listener)``, ``on_rollback(listener)``): "audit a refusal whose
  transaction was rolled back", "bring the policy up to date after a journalled change".
``api.db`` runs them and imports no feature.

Hooks run after the session is closed (its connection is back in the pool) and never fail
the request: the outcome is already decided, so a failing hook is logged and skipped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import structlog
from litestar.connection import Request
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "CommitListener",
    "RollbackListener",
    "after_commit",
    "on_commit",
    "on_rollback",
    "run_after_commit",
    "run_commit_hooks",
    "run_rollback_hooks",
]

logger = structlog.get_logger(__name__)

_AFTER_COMMIT = "hooks.after_commit"
# Global listeners get the request, the finished session's ``info`` (what the transaction
# noted for them, e.g. a journalled policy change) and the shop it was bound to, if any.
CommitListener = Callable[[Request, dict[str, Any], UUID | None], Awaitable[None]]
RollbackListener = Callable[[Request, BaseException, UUID | None], Awaitable[None]]

_commit_listeners: list[CommitListener] = []
_rollback_listeners: list[RollbackListener] = []


def after_commit(session: AsyncSession, callback: Callable[[], Awaitable[None]]) -> None:
    """Run ``callback`` once this session's transaction has committed (never on rollback)."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def on_commit(listener: CommitListener) -> None:
    if listener not in _commit_listeners:
        _commit_listeners.append(listener)


def on_rollback(listener: RollbackListener) -> None:
    if listener not in _rollback_listeners:
        _rollback_listeners.append(listener)


async def run_commit_hooks(request: Request, info: dict[str, Any], shop_id: UUID | None) -> None:
    for listener in _commit_listeners:
        await _safely(listener(request, info, shop_id))
    for callback in info.get(_AFTER_COMMIT, ()):
        await _safely(callback())


async def run_after_commit(info: dict[str, Any]) -> None:
    """Run a committed session's own ``after_commit`` callbacks, outside any request.

    For work that commits by itself (the CLI): pass ``dict(session.info)`` taken after the
    commit. The global listeners need a request and are left to the server.
    """
    for callback in info.get(_AFTER_COMMIT, ()):
        await _safely(callback())


async def run_rollback_hooks(request: Request, exc: BaseException, shop_id: UUID | None) -> None:
    for listener in _rollback_listeners:
        await _safely(listener(request, exc, shop_id))


async def _safely(awaitable: Awaitable[None]) -> None:
    try:
        await awaitable
    except Exception:
        logger.exception("a transaction hook failed")

"""Transaction hook: after a commit that journalled an authorization change, bring this
process's policy up to date before the response leaves, so the caller's next request
already sees the change (other processes hear of it by NOTIFY)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar.connection import Request

from rbac.policy_store import PENDING_KEY

__all__ = ["catch_up_after_commit"]


async def catch_up_after_commit(request: Request, info: dict[str, Any],
                                shop_id: UUID | None) -> None:
    if info.get(PENDING_KEY):
        # The change is committed whatever happens next: a failed catch-up is logged and
        # retried by the listener or the poll, never reported as a failure of the request.
        await request.app.state.authz.apply_committed()

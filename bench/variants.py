"""``shopdesk`` with proposed performance fixes patched in, to measure them before api/ changes.

``BENCH_VARIANTS=no-pre-ping,core-members python -m bench.variants serve ...`` runs the
normal CLI after applying the named patches in-process. Nothing here is used by the API;
each patch mirrors a change proposed in the benchmark report:

- ``no-pre-ping``: ``create_async_engine(..., pool_pre_ping=False)``. SQLAlchemy's asyncpg
  ping is BEGIN; ``;``; ROLLBACK: three extra round trips on every checkout. asyncpg already
  notices dead connections, and a request that meets one fails once with a 500/503.
- ``core-members``: the member list selects the eight columns it returns (Core rows)
  instead of two ORM entities per row (identity map, instance state, every column of
  ``users`` including the password hash).
"""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = ["VARIANTS", "apply"]


def _no_pre_ping() -> None:
    import api.db.engine as engine_module

    original = engine_module.create_async_engine

    def create_async_engine(*args: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
        kwargs["pool_pre_ping"] = False
        return original(*args, **kwargs)

    engine_module.create_async_engine = create_async_engine  # type: ignore[assignment]


def _core_members() -> None:
    from sqlalchemy import select, tuple_

    import api.domain.members.services as services
    from api.domain.members.models import ShopMember as M
    from api.domain.users.models import User as U
    from api.pagination import Page, encode_cursor

    async def list_members(session, shop_id, *, limit, cursor, include_removed):  # type: ignore[no-untyped-def]
        after = services._cursor_key(cursor)
        query = (
            select(M.user_id, U.email, U.display_name, M.role, M.status, M.added_by,
                   M.created_at, M.removed_at)
            .join(U, U.id == M.user_id).where(M.shop_id == shop_id)
            .order_by(M.created_at, M.user_id).limit(limit + 1)
        )
        if not include_removed:
            query = query.where(M.status == "active")
        if after is not None:
            query = query.where(tuple_(M.created_at, M.user_id) > after)
        # A Row has every attribute ``to_read`` reads from both halves of a MemberRow.
        rows = [services.MemberRow(r, r) for r in (await session.execute(query)).all()]
        more = len(rows) > limit
        rows = rows[:limit]
        last = rows[-1].member if rows else None
        next_cursor = (encode_cursor([last.created_at.isoformat(), str(last.user_id)])
                       if more and last else None)
        return Page(items=rows, next_cursor=next_cursor)

    services.list_members = list_members


VARIANTS = {"no-pre-ping": _no_pre_ping, "core-members": _core_members}


def apply(names: list[str]) -> None:
    for name in names:
        if name not in VARIANTS:
            raise SystemExit(f"unknown variant {name!r}; known: {', '.join(VARIANTS)}")
        VARIANTS[name]()


if __name__ == "__main__":
    apply([n for n in os.environ.get("BENCH_VARIANTS", "").split(",") if n])
    from api.cli import main

    sys.exit(main(sys.argv[1:]))

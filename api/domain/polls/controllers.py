"""Polls: ``polls:read`` shows every poll, and private results only to those who also hold
``polls:read_private``; ``/results`` itself requires it. The store pushes polls and votes."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Response, get, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.polls import services
from api.domain.polls.deps import provide_may_see_private
from api.domain.polls.schemas import PollPush, PollRead, PollResults, VotePush
from api.guard import ShopScope
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.routing import requires

__all__ = ["PollController", "StorePollController"]

Session = NamedDependency[AsyncSession]
Scope = NamedDependency[ShopScope]


class PollController(Controller):
    path = "/polls"
    tags = ["polls"]
    dependencies = {"may_see_private": Provide(provide_may_see_private, sync_to_thread=False)}

    @get("/", **requires("polls:read"))
    async def list_polls(
        self, shop_session: Session, shop_scope: Scope, may_see_private: NamedDependency[bool],
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
    ) -> Page[PollRead]:
        """Polls newest first, with results (a private poll's only with polls:read_private)."""
        return await services.list_polls(shop_session, shop_scope.shop_id, limit=limit,
                                         cursor=cursor, may_see_private=may_see_private)

    @get("/{poll_id:uuid}", **requires("polls:read"))
    async def get_poll(self, shop_session: Session, shop_scope: Scope,
                       may_see_private: NamedDependency[bool],
                       poll_id: FromPath[uuid.UUID]) -> PollRead:
        return await services.get_poll(shop_session, shop_scope.shop_id, poll_id,
                                       may_see_private=may_see_private)

    @get("/{poll_id:uuid}/results", **requires("polls:read_private"))
    async def results(self, shop_session: Session, shop_scope: Scope,
                      poll_id: FromPath[uuid.UUID]) -> PollResults:
        """Any poll's results, private ones included."""
        return await services.results(shop_session, shop_scope.shop_id, poll_id)


class StorePollController(Controller):
    path = "/sync"
    tags = ["polls", "store-sync"]

    @put("/polls", **requires("catalog:write"))
    async def push_poll(self, shop_session: Session, shop_scope: Scope,
                        data: JSONBody[PollPush]) -> Response[PollRead]:
        """Upsert a poll by the store's id: 201 when new, 200 when updated."""
        poll, created = await services.push_poll(shop_session, shop_scope.shop_id, data)
        return Response(poll, status_code=201 if created else 200)

    @put("/poll-votes", **requires("catalog:write"))
    async def push_vote(self, shop_session: Session, shop_scope: Scope,
                        data: JSONBody[VotePush]) -> PollResults:
        """Record a buyer's vote (a new vote by the same buyer replaces the old one)."""
        return await services.push_vote(shop_session, shop_scope.shop_id, data)

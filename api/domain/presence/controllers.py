"""Presence routes under ``/shops/{shop_id}/presence``."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, put
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.presence import services
from api.domain.presence.deps import PresenceActor, provide_presence_actor
from api.domain.presence.schemas import PresenceIn, PresenceRead
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.routing import requires

__all__ = ["PresenceController"]


class PresenceController(Controller):
    path = "/presence"
    tags = ["presence"]
    dependencies = {"actor": Provide(provide_presence_actor, sync_to_thread=False)}

    @get("/", **requires("cs:workspace"))
    async def list_presence(self, shop_session: NamedDependency[AsyncSession],
                            actor: NamedDependency[PresenceActor],
                            limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
                            cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
                            ) -> Page[PresenceRead]:
        """Who in the shop's workspace is online, busy or offline."""
        return await services.list_presence(shop_session, actor.shop_id, actor.live_ttl_seconds,
                                            limit=limit, cursor=cursor)

    @put("/me", **requires("cs:workspace"))
    async def set_presence(self, shop_session: NamedDependency[AsyncSession],
                           actor: NamedDependency[PresenceActor],
                           data: JSONBody[PresenceIn]) -> PresenceRead:
        """Go online, busy or offline; ``via: live`` must be refreshed to stay online.

        Coming online in a shop with automatic assignment takes waiting conversations, up
        to the shop's capacity per agent.
        """
        return await services.set_presence(shop_session, actor.shop_id, actor.user_id,
                                           data.status, data.via, actor.live_ttl_seconds)

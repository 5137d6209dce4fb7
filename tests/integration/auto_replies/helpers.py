"""Customers and conversations for engine tests, written directly (the core schema)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import text

from api.db.shop_context import bind_shop
from api.domain.auto_replies.engine import AutomaticReply, automatic_reply
from tests.support.world import World

__all__ = ["ask", "conversation", "rules_path"]


def rules_path(shop_id: uuid.UUID, tail: str = "") -> str:
    return f"/api/v1/shops/{shop_id}/auto-replies{tail}"


async def conversation(world: World, shop_id: uuid.UUID, *, channel: str = "web",
                       waiting_since: datetime | None = None) -> tuple[uuid.UUID, uuid.UUID]:
    customer_id, conversation_id = uuid.uuid4(), uuid.uuid4()
    async with world.app.state.sessionmaker() as session, session.begin():
        await bind_shop(session, shop_id)
        await session.execute(text(
            "INSERT INTO customers (shop_id, id, display_name) VALUES (:s, :c, 'buyer')"),
            {"s": shop_id, "c": customer_id})
        await session.execute(text(
            "INSERT INTO conversations (shop_id, id, customer_id, channel, waiting_since) "
            "VALUES (:s, :id, :c, :channel, :since)"),
            {"s": shop_id, "id": conversation_id, "c": customer_id, "channel": channel,
             "since": waiting_since})
    return conversation_id, customer_id


async def ask(world: World, shop_id: uuid.UUID, conv: tuple[uuid.UUID, uuid.UUID], body: str,
              now: datetime, **kw: Any) -> AutomaticReply | None:
    """The engine's answer, in a committed transaction of its own (as the inbound path)."""
    async with world.app.state.sessionmaker() as session, session.begin():
        await bind_shop(session, shop_id)
        return await automatic_reply(session, shop_id, conv[0], conv[1], "web", body, now)

"""Helpers for the commerce tests: a shop with staff, the store's key, orders pushed in."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text

from api.auth.integration_keys import generate_key
from api.db.shop_context import bind_shop
from tests.support.world import Account, World

__all__ = ["Shop", "make_shop", "store_key"]

ALL_SCOPES = ("catalog:write", "actions:confirm")


async def store_key(world: World, shop_id: uuid.UUID,
                    scopes: tuple[str, ...] = ALL_SCOPES) -> dict[str, str]:
    """An integration key of ``shop_id`` (the store's systems), as request headers."""
    key = generate_key()

    async def work(session):  # type: ignore[no-untyped-def]
        await bind_shop(session, shop_id)
        await session.execute(text(
            "INSERT INTO integration_keys (shop_id, id, name, prefix, secret_hash, scopes) "
            "VALUES (:s, :id, 'store', :prefix, :hash, :scopes)"),
            {"s": shop_id, "id": key.key_id, "prefix": key.prefix, "hash": key.secret_hash,
             "scopes": list(scopes)})

    await world._commit(work)
    return {"Authorization": f"Bearer {key.token}"}


async def make_customer(world: World, shop_id: uuid.UUID, name: str = "Buyer") -> uuid.UUID:
    customer_id = uuid.uuid4()

    async def work(session):  # type: ignore[no-untyped-def]
        await bind_shop(session, shop_id)
        await session.execute(text(
            "INSERT INTO customers (shop_id, id, display_name) VALUES (:s, :id, :n)"),
            {"s": shop_id, "id": customer_id, "n": name})

    await world._commit(work)
    return customer_id


async def make_conversation(world: World, shop_id: uuid.UUID, customer_id: uuid.UUID
                            ) -> uuid.UUID:
    conversation_id = uuid.uuid4()

    async def work(session):  # type: ignore[no-untyped-def]
        await bind_shop(session, shop_id)
        await session.execute(text(
            "INSERT INTO conversations (shop_id, id, customer_id, channel) "
            "VALUES (:s, :id, :c, 'web')"), {"s": shop_id, "id": conversation_id, "c": customer_id})

    await world._commit(work)
    return conversation_id


@dataclass
class Shop:
    world: World
    shop_id: uuid.UUID
    founder: Account
    staff: dict[str, Account]
    store: dict[str, str]
    counter: list[int] = field(default_factory=lambda: [0])

    def url(self, suffix: str) -> str:
        return f"/api/v1/shops/{self.shop_id}{suffix}"

    def h(self, role: str, client: str = "web") -> dict[str, str]:
        account = self.founder if role == "founder" else self.staff[role]
        return account.headers(client)

    async def order(self, **fields: Any) -> dict[str, Any]:
        """Push an order in as the store; returns the order as the API reads it."""
        self.counter[0] += 1
        body = {"platform_order_id": f"P-{uuid.uuid4().hex[:10]}", "status": "paid",
                "total_minor": 10_000, "paid_minor": 10_000, "currency": "CNY", **fields}
        response = await self.world.client.put(self.url("/sync/orders"), json=body,
                                               headers=self.store)
        assert response.status_code == 200, response.text
        return response.json()

    async def confirm(self, action_id: str, outcome: str = "applied",
                      reason: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"outcome": outcome}
        if reason is not None:
            body["reason"] = reason
        response = await self.world.client.post(self.url(f"/store-actions/{action_id}/confirm"),
                                                json=body, headers=self.store)
        assert response.status_code == 200, response.text
        return response.json()


async def make_shop(world: World, *, roles: tuple[str, ...] = ("admin", "agent"),
                    wechat_bound: bool = False) -> Shop:
    shop_id, founder = await world.shop(wechat_bound=wechat_bound)
    staff = {role: await world.staff(shop_id, role) for role in roles}
    return Shop(world, shop_id, founder, staff, await store_key(world, shop_id))

"""Audit-chain helpers shared by the verify and hardening tests."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.world import Account, World

__all__ = ["chain_of", "verify"]


async def chain_of(world: World, entries: int) -> tuple[uuid.UUID, Account]:
    """A shop whose log has ``entries`` entries (shop.created, then renames)."""
    shop_id, founder = await world.shop()
    for n in range(entries - 1):
        response = await world.client.patch(f"/api/v1/shops/{shop_id}", json={"name": f"N{n}"},
                                            headers=founder.headers())
        assert response.status_code == 200, response.text
    return shop_id, founder


async def verify(world: World, shop_id: uuid.UUID, account: Account) -> dict[str, Any]:
    response = await world.client.get(f"/api/v1/shops/{shop_id}/audit/verify",
                                      headers=account.headers())
    assert response.status_code == 200, response.text
    return response.json()

"""Shared set-up for the SLA tests: a shop with a policy, set through the real API."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.world import Account, World


async def set_policy(world: World, shop_id: uuid.UUID, founder: Account, **body: Any) -> dict:
    response = await world.client.put(f"/api/v1/shops/{shop_id}/sla/policy", json=body,
                                      headers=founder.headers())
    assert response.status_code == 200, response.text
    return response.json()


async def set_calendar(world: World, shop_id: uuid.UUID, founder: Account, **body: Any) -> dict:
    response = await world.client.put(f"/api/v1/shops/{shop_id}/sla/calendar", json=body,
                                      headers=founder.headers())
    assert response.status_code == 200, response.text
    return response.json()

"""A report range at the edges of time (year 1, year 9999 west of UTC) is a 4xx, never a 500."""

from __future__ import annotations

import pytest

from tests.support.world import World


@pytest.mark.parametrize("params", [
    {"until": "0001-01-02T00:00:00Z"},
    {"since": "9999-12-30T00:00:00-14:00", "until": "9999-12-31T23:00:00-14:00"},
    {"since": "0001-01-01T00:00:00+14:00", "until": "0001-01-02T00:00:00+14:00"},
])
async def test_a_range_at_the_edge_of_time_is_refused(world: World, params: dict) -> None:
    shop_id, founder = await world.shop()
    for tail in ("report", "report.csv"):
        response = await world.client.get(f"/api/v1/shops/{shop_id}/sla/{tail}", params=params,
                                          headers=founder.headers())
        assert 400 <= response.status_code < 500, (tail, response.status_code, response.text)
        assert "code" in response.json()

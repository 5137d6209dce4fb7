"""A forged time cursor (a moment PostgreSQL's driver cannot encode) is a 400, never a 500."""

from __future__ import annotations

import pytest

from api.pagination import encode_cursor
from tests.support.http import assert_error
from tests.support.world import World

FORGED = [encode_cursor([moment, "00000000-0000-0000-0000-000000000001"])
          for moment in ("9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00")]


@pytest.mark.parametrize("path", ["conversations", "conversations/queue", "integration-keys",
                                  "sla/live"])
async def test_an_out_of_range_time_cursor_is_400(world: World, path: str) -> None:
    shop_id, founder = await world.shop()
    for forged in FORGED:
        response = await world.client.get(f"/api/v1/shops/{shop_id}/{path}",
                                          params={"cursor": forged}, headers=founder.headers())
        assert_error(response, 400, "pagination.invalid_cursor")

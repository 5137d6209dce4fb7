"""A forged cursor (a timestamp PostgreSQL cannot hold, NUL) is a 400, never a 500."""

from __future__ import annotations

import pytest

from api.pagination import encode_cursor
from tests.support.http import assert_error
from tests.support.world import World


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",
                                    "2026-01-01T00:00:00"])
async def test_a_forged_timestamp_cursor_is_400(world: World, moment: str) -> None:
    shop_id, founder = await world.shop()
    forged = encode_cursor([moment, "00000000-0000-0000-0000-000000000001"])
    response = await world.client.get(f"/api/v1/shops/{shop_id}/auto-replies",
                                      params={"cursor": forged}, headers=founder.headers())
    assert_error(response, 400, "pagination.invalid_cursor")

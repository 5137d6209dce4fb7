"""A forged cursor (a NUL character inside the sort key) is a 400, never a 500."""

from __future__ import annotations

import pytest

from api.pagination import encode_cursor
from tests.support.http import assert_error
from tests.support.world import World


@pytest.mark.parametrize("tail", ["", "/groups"])
async def test_a_cursor_holding_nul_is_400(world: World, tail: str) -> None:
    shop_id, founder = await world.shop()
    forged = encode_cursor(["/hi\x00", "00000000-0000-0000-0000-000000000001"])
    response = await world.client.get(f"/api/v1/shops/{shop_id}/quick-phrases{tail}",
                                      params={"cursor": forged}, headers=founder.headers())
    assert_error(response, 400, "pagination.invalid_cursor")

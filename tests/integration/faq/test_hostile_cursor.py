"""A forged cursor (a NUL character inside the sort key) is a 400, never a 500."""

from __future__ import annotations

from api.pagination import encode_cursor
from tests.support.http import assert_error
from tests.support.world import World


async def test_a_cursor_holding_nul_is_400(world: World) -> None:
    shop_id, founder = await world.shop()
    forged = encode_cursor(["type\x00", "00000000-0000-0000-0000-000000000001"])
    response = await world.client.get(f"/api/v1/shops/{shop_id}/faq",
                                      params={"cursor": forged}, headers=founder.headers())
    assert_error(response, 400, "pagination.invalid_cursor")

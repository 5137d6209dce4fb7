"""A forged cursor whose integer fits 64 bits but not the column's 32 is bad input, not a 500."""

from __future__ import annotations

from api.pagination import encode_cursor
from tests.integration.commerce.helpers import make_customer, make_shop
from tests.support.http import assert_error

HUGE = 2**40  # a valid 64-bit cursor value, past PostgreSQL's integer


async def test_a_huge_points_ledger_cursor_is_400(world) -> None:
    shop = await make_shop(world)
    customer_id = await make_customer(world, shop.shop_id)
    response = await world.client.get(
        shop.url(f"/customers/{customer_id}/points"),
        params={"cursor": encode_cursor([HUGE, "x"])}, headers=shop.h("admin"))
    assert_error(response, 400, "pagination.invalid_cursor")


async def test_a_huge_product_group_cursor_is_400(world) -> None:
    shop = await make_shop(world)
    response = await world.client.get(
        shop.url("/product-groups"),
        params={"cursor": encode_cursor([HUGE, "2026-01-01T00:00:00+00:00",
                                         "00000000-0000-0000-0000-000000000001"])},
        headers=shop.h("admin"))
    assert_error(response, 400, "pagination.invalid_cursor")


EDGE = "0001-01-01T00:00:00+01:00"  # valid ISO 8601, but before year 1 once in UTC
EDGE_CURSOR = encode_cursor([EDGE, "00000000-0000-0000-0000-000000000001"])


async def test_a_cursor_time_outside_utc_is_400_on_every_list(world) -> None:
    shop = await make_shop(world)
    order = await shop.order()
    customer_id = await make_customer(world, shop.shop_id)
    for path in ("/orders", f"/orders/{order['id']}/refunds", "/after-sales/cases",
                 "/store-actions", "/products", "/customers", "/customer-tags",
                 f"/customers/{customer_id}/conversations", "/verifications", "/reviews",
                 "/distribution-orders", "/weibo/mentions", "/trade/logistics", "/polls"):
        response = await world.client.get(shop.url(path), params={"cursor": EDGE_CURSOR},
                                          headers=shop.h("founder"))
        assert_error(response, 400, "pagination.invalid_cursor")


async def test_an_order_filter_time_outside_utc_is_4xx(world) -> None:
    shop = await make_shop(world)
    response = await world.client.get(shop.url("/orders"), params={"placed_from": EDGE},
                                      headers=shop.h("founder"))
    assert 400 <= response.status_code < 500, response.text

"""Forged pagination cursors: whatever is inside, a 400 ``pagination.invalid_cursor``."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.hardening.probes import assert_refused, forged_cursor
from tests.support.world import World

FORGED = [
    pytest.param(forged_cursor([2**64]), id="int-past-64-bits"),
    pytest.param(forged_cursor([-(2**70)]), id="negative-past-64-bits"),
    pytest.param(forged_cursor("[" + "9" * 5000 + "]"), id="int-5000-digits"),
    pytest.param(forged_cursor("[" * 5000 + "]" * 5000), id="deep-nesting"),
    pytest.param(forged_cursor('{"a":' * 2000 + "1" + "}" * 2000), id="deep-objects"),
    pytest.param(forged_cursor([1e308 * 10]), id="infinity"),
    pytest.param(forged_cursor('[NaN]'), id="nan"),
    pytest.param(forged_cursor(["x\x00y"]), id="nul-inside"),
    pytest.param(forged_cursor(b"\xff\xfe"), id="not-utf8"),
    pytest.param(forged_cursor([True]), id="bool"),
    pytest.param(forged_cursor([[1]]), id="nested-list"),
    pytest.param(forged_cursor([]), id="empty"),
    pytest.param("!!!not-base64!!!", id="not-base64"),
    pytest.param("A" * 5000, id="long"),
]


@pytest.fixture(scope="module")
async def founder_shop(world: World):  # type: ignore[no-untyped-def]
    shop_id, founder = await world.shop()
    return f"/api/v1/shops/{shop_id}", founder.headers()


@pytest.mark.parametrize("cursor", FORGED)
async def test_a_forged_audit_cursor_is_400(founder_shop, client: httpx.AsyncClient,  # type: ignore[no-untyped-def]
                                            cursor: str) -> None:
    shop, headers = founder_shop
    response = await client.get(f"{shop}/audit/", params={"cursor": cursor}, headers=headers)
    if len(cursor) > 200:  # this route bounds the parameter: refused before decoding
        assert_refused(response, 422, "request.validation_failed")
    else:
        assert_refused(response, 400, "pagination.invalid_cursor")


@pytest.mark.parametrize("cursor", FORGED)
async def test_a_forged_member_cursor_is_400(founder_shop, client: httpx.AsyncClient,  # type: ignore[no-untyped-def]
                                             cursor: str) -> None:
    shop, headers = founder_shop
    response = await client.get(f"{shop}/members/", params={"cursor": cursor}, headers=headers)
    assert_refused(response, 400, "pagination.invalid_cursor")

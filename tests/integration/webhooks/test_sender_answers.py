"""What a receiver answers cannot crash an attempt: it is always recorded as an outcome."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import text

from api.db.shop_context import bind_shop
from api.domain.webhooks.fanout import Claimed
from api.domain.webhooks.sender import send
from api.pagination import encode_cursor
from tests.integration.webhooks.conftest import emit_events, register
from tests.support.http import assert_error


def _claimed() -> Claimed:
    return Claimed(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), 1,
                   "http://127.0.0.1:9/hook", (b"k" * 32,), b"{}")


async def test_a_non_ascii_digit_retry_after_is_ignored_not_a_crash() -> None:
    # '²' is a digit to str.isdigit() (and arrives as latin-1 from a header), not to float():
    # the attempt must still be recorded, here as delivered.
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, headers=[(b"retry-after", b"\xb2")], stream=httpx.ByteStream(b"ok")))
    async with httpx.AsyncClient(transport=transport) as client:
        outcome = await send(client, _claimed(), allow_private=True, timeout_seconds=5)
    assert outcome.delivered and outcome.retry_after is None


async def test_a_huge_attempts_cursor_is_400_not_500(world) -> None:
    # attempt is a PostgreSQL integer: a 64-bit cursor value must not reach the driver.
    shop_id, founder = await world.shop()
    endpoint = await register(world, shop_id, founder, "http://127.0.0.1:9/hook")
    [event_id] = await emit_events(world, shop_id, [("test.ping", {})])
    delivery_id = uuid.uuid4()

    async def work(session):  # type: ignore[no-untyped-def]
        await bind_shop(session, shop_id)
        await session.execute(text(
            "INSERT INTO webhook_deliveries (shop_id, id, endpoint_id, event_seq, event_id, "
            "event_type, status) SELECT :s, :id, :e, seq, id, type, 'failed' FROM events "
            "WHERE shop_id = :s AND id = :ev"),
            {"s": shop_id, "id": delivery_id, "e": uuid.UUID(endpoint["id"]), "ev": event_id})

    await world._commit(work)
    response = await world.client.get(
        f"/api/v1/shops/{shop_id}/webhooks/endpoints/{endpoint['id']}/deliveries/"
        f"{delivery_id}/attempts", params={"cursor": encode_cursor([2**40])},
        headers=founder.headers())
    assert_error(response, 400, "pagination.invalid_cursor")

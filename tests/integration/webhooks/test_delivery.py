"""Events reach a registered receiver, signed by the Standard Webhooks scheme."""

from __future__ import annotations

import json

from api.domain.webhooks import signing
from docs.webhook_verifier import verify
from tests.integration.webhooks.conftest import emit_events, register, wait_log
from tests.integration.webhooks.receiver import Receiver
from tests.support.world import World


async def test_event_is_delivered_signed_and_verifiable(world: World, dispatcher) -> None:  # type: ignore[no-untyped-def]
    shop_id, founder = await world.shop()
    async with Receiver() as receiver:
        endpoint = await register(world, shop_id, founder, receiver.url, ["conversation.*"])
        assert endpoint["secret"].startswith("whsec_")
        [event_id] = await emit_events(world, shop_id, [
            ("conversation.assigned", {"conversation_id": "c1", "assignee_id": "u1"})])
        [got] = await receiver.wait_for(lambda r: len(r) >= 1)
    assert got.headers["webhook-id"] == str(event_id)
    body = json.loads(got.body)
    assert body["type"] == "conversation.assigned" and body["data"]["assignee_id"] == "u1"
    assert body["shop_id"] == str(shop_id) and body["timestamp"].endswith("Z")
    # The published verifier accepts it as sent, and refuses it once tampered with.
    payload = verify(endpoint["secret"], got.headers, got.body)
    assert payload["id"] == str(event_id)
    tampered = got.body.replace(b"u1", b"u2")
    try:
        verify(endpoint["secret"], got.headers, tampered)
        raise AssertionError("a tampered body verified")
    except ValueError:
        pass
    log = await wait_log(world, shop_id, founder, endpoint["id"],
                         lambda log: log and log[0]["status"] == "delivered")
    assert log[0]["last_status_code"] == 200 and log[0]["event_id"] == str(event_id)


async def test_only_matching_event_types_are_sent(world: World, dispatcher) -> None:  # type: ignore[no-untyped-def]
    shop_id, founder = await world.shop()
    async with Receiver() as receiver:
        await register(world, shop_id, founder, receiver.url, ["message.outbound", "sla.*"])
        await emit_events(world, shop_id, [
            ("conversation.assigned", {"conversation_id": "c1"}),
            ("message.outbound", {"conversation_id": "c1", "message_id": "m1"}),
            ("message.inbound", {"conversation_id": "c1"}),
            ("sla.breached", {"conversation_id": "c1"}),
        ])
        got = await receiver.wait_for(lambda r: len(r) >= 2)
    assert sorted(json.loads(r.body)["type"] for r in got) == ["message.outbound", "sla.breached"]


async def test_standard_webhooks_published_vector() -> None:
    """The reference libraries' own test vector (standard-webhooks, libraries/*/tests)."""
    key = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    got = signing.sign(signing.decode_secret(key), "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                       b'{"test": 2432232314}')
    assert got == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


async def test_events_before_registration_are_not_sent(world: World, dispatcher) -> None:  # type: ignore[no-untyped-def]
    shop_id, founder = await world.shop()
    await emit_events(world, shop_id, [("conversation.opened", {"id": "old"})])
    async with Receiver() as receiver:
        await register(world, shop_id, founder, receiver.url)
        await emit_events(world, shop_id, [("conversation.opened", {"id": "new"})])
        got = await receiver.wait_for(lambda r: len(r) >= 1)
        await receiver.wait_for(lambda r: True, timeout=1)
    assert [json.loads(r.body)["data"]["id"] for r in got] == ["new"]

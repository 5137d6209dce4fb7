"""Retries with backoff, the attempt log, disabling, redelivery and secret rotation."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar

from api.db.urls import to_libpq_dsn
from api.domain.webhooks import signing
from api.domain.webhooks.dispatcher import Dispatcher
from api.domain.webhooks.fanout import backoff_seconds
from api.settings import WebhookSettings
from docs.webhook_verifier import verify
from tests.integration.webhooks.conftest import emit_events, register, wait_log
from tests.integration.webhooks.receiver import Receiver
from tests.support.world import World

BASE = "/api/v1/shops/{shop}/webhooks/endpoints"


@pytest.fixture
async def strict_dispatcher(app: Litestar) -> AsyncIterator[Dispatcher]:
    """Gives up after 3 attempts and disables an endpoint after 4 failures in a row."""
    settings = dataclasses.replace(app.state.settings.webhooks, max_attempts=3,
                                   disable_after_failures=4)
    running = Dispatcher(app.state.sessionmaker, to_libpq_dsn(app.state.engine.url), settings)
    await running.start()
    yield running
    await running.stop()


async def test_failures_are_retried_and_logged(world: World, dispatcher) -> None:  # type: ignore[no-untyped-def]
    shop_id, founder = await world.shop()
    answers = iter([(500, b"boom" * 1000), (503, b"busy"), (200, b"fine")])
    async with Receiver(lambda _r: next(answers)) as receiver:
        endpoint = await register(world, shop_id, founder, receiver.url)
        await emit_events(world, shop_id, [("sla.breached", {"conversation_id": "c"})])
        got = await receiver.wait_for(lambda r: len(r) >= 3)
        log = await wait_log(world, shop_id, founder, endpoint["id"],
                             lambda log: log and log[0]["status"] == "delivered")
    # The same webhook-id on every attempt; a fresh timestamp and signature each time.
    assert len({r.headers["webhook-id"] for r in got}) == 1
    assert log[0]["attempts"] == 3 and log[0]["last_status_code"] == 200
    attempts = (await world.client.get(
        f"{BASE.format(shop=shop_id)}/{endpoint['id']}/deliveries/{log[0]['id']}/attempts",
        headers=founder.headers())).json()["items"]
    assert [a["status_code"] for a in attempts] == [500, 503, 200]
    assert len(attempts[0]["response_body"]) == 1024  # truncated
    assert attempts[0]["error"] == "HTTP 500" and attempts[2]["error"] is None
    assert all(a["duration_ms"] >= 0 for a in attempts)


def test_backoff_grows_exponentially_with_jitter() -> None:
    settings = WebhookSettings(retry_base_seconds=5, retry_max_seconds=3600)
    for attempt, step in ((1, 5), (2, 10), (5, 80), (20, 3600)):
        delays = {backoff_seconds(attempt, settings, None) for _ in range(50)}
        assert all(step / 2 <= d <= step for d in delays) and len(delays) > 1
    assert backoff_seconds(1, settings, retry_after=120) >= 120


async def test_endpoint_is_disabled_after_repeated_failure(
        world: World, strict_dispatcher: Dispatcher) -> None:
    shop_id, founder = await world.shop()
    async with Receiver(lambda _r: (500, b"down")) as receiver:
        endpoint = await register(world, shop_id, founder, receiver.url)
        await emit_events(world, shop_id, [("sla.breached", {"n": i}) for i in range(2)])
        await receiver.wait_for(lambda r: len(r) >= 4)
        for _ in range(100):
            body = (await world.client.get(f"{BASE.format(shop=shop_id)}/{endpoint['id']}",
                                           headers=founder.headers())).json()
            if body["status"] == "disabled":
                break
            await asyncio.sleep(0.1)
    assert body["status"] == "disabled"
    assert "4 consecutive failed attempts" in body["disabled_reason"]
    assert "HTTP 500" in body["disabled_reason"]


async def test_410_gone_disables_at_once(world: World, dispatcher) -> None:  # type: ignore[no-untyped-def]
    shop_id, founder = await world.shop()
    async with Receiver(lambda _r: (410, b"")) as receiver:
        endpoint = await register(world, shop_id, founder, receiver.url)
        await emit_events(world, shop_id, [("sla.breached", {})])
        await receiver.wait_for(lambda r: len(r) >= 1)
        await wait_log(world, shop_id, founder, endpoint["id"],
                       lambda log: log and log[0]["last_status_code"] == 410)
    body = (await world.client.get(f"{BASE.format(shop=shop_id)}/{endpoint['id']}",
                                   headers=founder.headers())).json()
    assert body["status"] == "disabled" and "410" in body["disabled_reason"]


async def test_exhausted_delivery_fails_and_can_be_redelivered(
        world: World, strict_dispatcher: Dispatcher) -> None:
    shop_id, founder = await world.shop()
    healthy = False
    async with Receiver(lambda _r: (200, b"") if healthy else (500, b"")) as receiver:
        endpoint = await register(world, shop_id, founder, receiver.url)
        [event_id] = await emit_events(world, shop_id, [("sla.breached", {})])
        log = await wait_log(world, shop_id, founder, endpoint["id"],
                             lambda log: log and log[0]["status"] == "failed")
        assert log[0]["attempts"] == 3
        healthy = True
        path = f"{BASE.format(shop=shop_id)}/{endpoint['id']}/deliveries/{log[0]['id']}/redeliver"
        again = await world.client.post(path, headers=founder.headers())
        assert again.status_code == 202, again.text
        assert again.json()["redelivery_of"] == log[0]["id"]
        log = await wait_log(world, shop_id, founder, endpoint["id"],
                             lambda log: log[0]["status"] == "delivered")
        assert receiver.received[-1].headers["webhook-id"] == str(event_id)


async def test_rotation_signs_with_both_secrets_during_the_overlap(world: World, dispatcher) -> None:  # type: ignore[no-untyped-def]
    shop_id, founder = await world.shop()
    async with Receiver() as receiver:
        endpoint = await register(world, shop_id, founder, receiver.url)
        path = f"{BASE.format(shop=shop_id)}/{endpoint['id']}/rotate-secret"
        rotated = await world.client.post(path, json={"overlap_seconds": 3600},
                                          headers=founder.headers())
        assert rotated.status_code == 200 and rotated.json()["previous_secret_expires_at"]
        new_secret = rotated.json()["secret"]
        await emit_events(world, shop_id, [("sla.breached", {"n": 1})])
        [first] = await receiver.wait_for(lambda r: len(r) >= 1)
        assert len(first.headers["webhook-signature"].split(" ")) == 2
        verify(endpoint["secret"], first.headers, first.body)  # a receiver not yet updated
        verify(new_secret, first.headers, first.body)
        # Rotating with no overlap: the old secret stops signing at once.
        final = (await world.client.post(path, json={"overlap_seconds": 0},
                                         headers=founder.headers())).json()["secret"]
        await emit_events(world, shop_id, [("sla.breached", {"n": 2})])
        second = (await receiver.wait_for(lambda r: len(r) >= 2))[1]
    assert len(second.headers["webhook-signature"].split(" ")) == 1
    verify(final, second.headers, second.body)
    with pytest.raises(ValueError):
        verify(new_secret, second.headers, second.body)
    assert second.headers["webhook-signature"] == signing.sign(
        signing.decode_secret(final), second.headers["webhook-id"],
        int(second.headers["webhook-timestamp"]), second.body)


async def test_conversation_events_keep_their_order_others_do_not_wait(world: World, dispatcher) -> None:  # type: ignore[no-untyped-def]
    shop_id, founder = await world.shop()
    release = asyncio.Event()

    async def respond(item):  # type: ignore[no-untyped-def]
        body = json.loads(item.body)
        if body["data"].get("n") == 0 and body["data"].get("conversation_id") == "A":
            await release.wait()  # the head of conversation A is slow
        return 200, b""

    async with Receiver(respond) as receiver:
        await register(world, shop_id, founder, receiver.url)
        await emit_events(world, shop_id, [
            *[("message.outbound", {"conversation_id": "A", "n": i}) for i in range(4)],
            ("message.outbound", {"conversation_id": "B", "n": 0}),
            ("store_action.requested", {"n": 9}),
        ])
        # B and the unordered event arrive while A's first message is still held up.
        got = await receiver.wait_for(lambda r: len(r) >= 3)
        assert sorted(json.loads(r.body)["data"].get("conversation_id", "-") for r in got) == [
            "-", "A", "B"]
        release.set()
        got = await receiver.wait_for(lambda r: len(r) >= 6)
    a_order = [json.loads(r.body)["data"]["n"] for r in got
               if json.loads(r.body)["data"].get("conversation_id") == "A"]
    assert a_order == [0, 1, 2, 3]


async def test_a_stuck_receiver_does_not_hold_up_the_api(world: World, dispatcher) -> None:  # type: ignore[no-untyped-def]
    shop_id, founder = await world.shop()
    never = asyncio.Event()

    async def hang(_item):  # type: ignore[no-untyped-def]
        await never.wait()
        return 200, b""

    async with Receiver(hang) as receiver:
        await register(world, shop_id, founder, receiver.url)
        await emit_events(world, shop_id, [("sla.breached", {"n": i}) for i in range(5)])
        await receiver.wait_for(lambda r: len(r) >= 1)
        # The receiver holds its connections open; the API answers and commits regardless.
        listed = await world.client.get(BASE.format(shop=shop_id), headers=founder.headers())
        assert listed.status_code == 200
        await emit_events(world, shop_id, [("sla.breached", {"n": 99})])
        never.set()


async def test_two_dispatchers_make_each_attempt_once(world: World, app: Litestar) -> None:
    settings = app.state.settings.webhooks
    dsn = to_libpq_dsn(app.state.engine.url)
    pair = [Dispatcher(app.state.sessionmaker, dsn, settings) for _ in range(2)]
    for d in pair:
        await d.start()
    try:
        shop_id, founder = await world.shop()
        async with Receiver() as receiver:
            await register(world, shop_id, founder, receiver.url)
            ids = await emit_events(world, shop_id, [("sla.breached", {"n": i})
                                                     for i in range(40)])
            await receiver.wait_for(lambda r: len(r) >= 40)
            await asyncio.sleep(0.5)  # time for a duplicate to show up, if there were one
        assert sorted(r.headers["webhook-id"] for r in receiver.received) == sorted(map(str, ids))
    finally:
        for d in pair:
            await d.stop()

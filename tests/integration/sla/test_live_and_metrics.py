"""Time left before breach (live view, queue helper) and what /metrics shows."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

from api.domain.sla.live import seconds_to_breach
from api.domain.sla.worker import refresh_queue_depth, run_once
from tests.integration.sla.helpers import set_policy
from tests.integration.sla.script import Convo, run_in_shop
from tests.support.world import World


async def test_live_view_orders_by_time_left_and_pages(world: World) -> None:
    shop_id, founder = await world.shop()
    await set_policy(world, shop_id, founder, targets=[
        {"metric": "frt", "seconds": 3600}, {"metric": "frt", "seconds": 600,
                                             "channel": "wechat"}])
    now = datetime.now(UTC)
    slow, urgent = Convo(world, shop_id), Convo(world, shop_id, channel="wechat")
    await slow.open(now)
    await urgent.open(now)
    base = f"/api/v1/shops/{shop_id}/sla/live"
    first = await world.client.get(base, params={"limit": 1}, headers=founder.headers())
    assert first.status_code == 200, first.text
    [item] = first.json()["items"]
    assert item["conversation_id"] == str(urgent.id) and 500 < item["seconds_to_breach"] <= 600
    second = await world.client.get(base, params={"limit": 1, "cursor": first.json()["next_cursor"]},
                                    headers=founder.headers())
    assert [i["conversation_id"] for i in second.json()["items"]] == [str(slow.id)]
    assert second.json()["next_cursor"] is None
    bad = await world.client.get(base, params={"cursor": "nope"}, headers=founder.headers())
    assert bad.status_code == 400 and bad.json()["code"] == "pagination.invalid_cursor"

    async def left(session):  # type: ignore[no-untyped-def]
        return await seconds_to_breach(session, shop_id, [slow.id, urgent.id, uuid.uuid4()])

    result = await run_in_shop(world, shop_id, left)
    assert 3500 < result[slow.id] <= 3600 and 500 < result[urgent.id] <= 600
    assert list(result.values())[2] is None


async def test_breached_wait_has_negative_time_left(world: World) -> None:
    shop_id, founder = await world.shop()
    await set_policy(world, shop_id, founder, targets=[{"metric": "frt", "seconds": 60}])
    convo = Convo(world, shop_id)
    await convo.open(datetime.now(UTC) - timedelta(minutes=10))
    await run_once(world.app.state.sessionmaker)

    async def left(session):  # type: ignore[no-untyped-def]
        return await seconds_to_breach(session, shop_id, [convo.id])

    assert (await run_in_shop(world, shop_id, left))[convo.id] < -500


async def test_metrics_show_breaches_and_queue_depth(world: World) -> None:
    shop_id, founder = await world.shop()
    await set_policy(world, shop_id, founder, targets=[{"metric": "frt", "seconds": 60}])
    await Convo(world, shop_id, channel="mobile").open(datetime.now(UTC) - timedelta(minutes=5))
    await run_once(world.app.state.sessionmaker)
    await refresh_queue_depth(world.app.state.sessionmaker)
    body = (await world.client.get("/metrics")).text
    assert (f'shopdesk_sla_breaches_total{{channel="mobile",metric="frt",shop_id="{shop_id}"}} 1.0'
            in body)
    assert f'shopdesk_sla_queue_depth{{channel="mobile",shop_id="{shop_id}"}} 1.0' in body


async def test_metrics_token_and_loopback(world: World) -> None:
    settings = world.app.state.settings
    try:
        world.app.state.settings = dataclasses.replace(settings, metrics_token="s3cret")
        assert (await world.client.get("/metrics")).status_code == 401
        wrong = await world.client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.json()["code"] == "metrics.unauthorized"
        ok = await world.client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200
        world.app.state.settings = dataclasses.replace(settings, metrics_loopback_only=True)
        # The test client's peer is not the loopback interface.
        response = await world.client.get("/metrics")
        assert response.status_code in (200, 403)
        if response.status_code == 403:
            assert response.json()["code"] == "metrics.not_local"
    finally:
        world.app.state.settings = settings

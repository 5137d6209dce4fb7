"""Policy and calendar routes: who may, what is refused, with which code."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.world import World

GOOD_CALENDAR = {"timezone": "Europe/Berlin", "intervals": [
    {"weekday": 0, "start": "09:00", "end": "12:00"},
    {"weekday": 0, "start": "13:00", "end": "18:00"},
    {"weekday": 4, "start": "22:00", "end": "02:00"}], "holidays": ["2027-12-25"]}


async def test_founder_sets_policy_and_calendar_as_new_versions(world: World) -> None:
    shop_id, founder = await world.shop()
    base = f"/api/v1/shops/{shop_id}/sla"
    empty = (await world.client.get(f"{base}/policy", headers=founder.headers())).json()
    assert empty["version"] == 0 and empty["targets"] == []
    body = {"targets": [{"metric": "frt", "seconds": 60},
                        {"metric": "frt", "seconds": 30, "channel": "wechat"},
                        {"metric": "frt", "seconds": 10, "priority": "urgent"}],
            "business_hours": True, "frt_start": "assignment", "warning_ratio": 0.8,
            "escalate_reassign": True}
    first = (await world.client.put(f"{base}/policy", json=body, headers=founder.headers()))
    assert first.status_code == 200, first.text
    second = (await world.client.put(f"{base}/policy", json=body, headers=founder.headers()))
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    calendar = await world.client.put(f"{base}/calendar", json=GOOD_CALENDAR,
                                      headers=founder.headers())
    assert calendar.status_code == 200, calendar.text
    assert calendar.json()["version"] == 1 and calendar.json()["always_open"] is False
    read = (await world.client.get(f"{base}/calendar", headers=founder.headers())).json()
    assert read["intervals"][2] == {"weekday": 4, "start": "22:00", "end": "02:00"}


@pytest.mark.parametrize(("body", "code"), [
    ({"timezone": "Mars/Olympus"}, "sla.unknown_timezone"),
    ({"timezone": "Europe/Berlin", "intervals": [
        {"weekday": 0, "start": "09:00", "end": "12:00"},
        {"weekday": 0, "start": "11:00", "end": "13:00"}]}, "sla.overlapping_intervals"),
    ({"timezone": "Europe/Berlin", "intervals": [
        {"weekday": 0, "start": "22:00", "end": "03:00"},
        {"weekday": 1, "start": "02:00", "end": "05:00"}]}, "sla.overlapping_intervals"),
    ({"timezone": "Europe/Berlin", "intervals": [
        {"weekday": 0, "start": "24:00", "end": "03:00"}]}, "sla.invalid_interval"),
    ({"timezone": "Europe/Berlin", "intervals": [
        {"weekday": 7, "start": "09:00", "end": "10:00"}]}, "request.validation_failed"),
    ({"timezone": "Europe/Berlin", "intervals": [
        {"weekday": 0, "start": "9am", "end": "10:00"}]}, "request.validation_failed"),
    ({"timezone": "Europe/\x00Berlin"}, "request.nul_character"),
    ({"timezone": "x" * 500}, "request.validation_failed"),
    ({"timezone": "UTC", "extra": 1}, "request.validation_failed"),
])
async def test_calendar_refusals(world: World, body: dict, code: str) -> None:
    shop_id, founder = await world.shop()
    response = await world.client.put(f"/api/v1/shops/{shop_id}/sla/calendar", json=body,
                                      headers=founder.headers())
    assert response.status_code in (400, 422), response.text
    assert response.json()["code"] == code


@pytest.mark.parametrize(("targets", "code"), [
    ([{"metric": "frt", "seconds": -5}], "sla.negative_target"),
    ([{"metric": "nrt", "seconds": 0}], "sla.target_too_small"),
    ([{"metric": "frt", "seconds": 10**30}], "request.number_out_of_range"),
    ([{"metric": "frt", "seconds": 10**12}], "request.validation_failed"),
    ([{"metric": "frt", "seconds": "ten"}], "request.validation_failed"),
    ([{"metric": "speed", "seconds": 10}], "request.validation_failed"),
    ([{"metric": "frt", "seconds": 10}, {"metric": "frt", "seconds": 20}], "sla.duplicate_target"),
])
async def test_policy_refusals(world: World, targets: list, code: str) -> None:
    shop_id, founder = await world.shop()
    response = await world.client.put(f"/api/v1/shops/{shop_id}/sla/policy",
                                      json={"targets": targets}, headers=founder.headers())
    assert response.status_code in (400, 422), response.text
    assert response.json()["code"] == code


async def test_warning_ratio_out_of_range_is_refused(world: World) -> None:
    shop_id, founder = await world.shop()
    response = await world.client.put(f"/api/v1/shops/{shop_id}/sla/policy",
                                      json={"warning_ratio": 1.5}, headers=founder.headers())
    assert response.status_code == 422


async def test_wrong_role_and_other_shop(world: World) -> None:
    shop_id, founder = await world.shop()
    other_id, _ = await world.shop()
    admin = await world.staff(shop_id, "admin")  # analytics:read but not sla:configure
    agent = await world.staff(shop_id, "agent")
    base = f"/api/v1/shops/{shop_id}/sla"
    denied = await world.client.put(f"{base}/policy", json={}, headers=admin.headers())
    assert denied.status_code == 403
    assert denied.json()["details"]["permission"] == "sla:configure"
    assert (await world.client.get(f"{base}/report", headers=admin.headers())).status_code == 200
    report = await world.client.get(f"{base}/report", headers=agent.headers())
    assert report.status_code == 403 and report.json()["details"]["permission"] == "analytics:read"
    foreign = await world.client.put(f"/api/v1/shops/{other_id}/sla/policy", json={},
                                     headers=founder.headers())
    assert foreign.status_code == 404


async def test_concurrent_policy_writes_get_distinct_versions(world: World) -> None:
    shop_id, founder = await world.shop()
    url = f"/api/v1/shops/{shop_id}/sla/policy"
    responses = await asyncio.gather(*(world.client.put(
        url, json={"targets": [{"metric": "frt", "seconds": 60 + i}]},
        headers=founder.headers()) for i in range(4)))
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    assert sorted(r.json()["version"] for r in responses) == [1, 2, 3, 4]

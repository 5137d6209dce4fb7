"""Hosting settings (信息托管): validation and storage."""

from __future__ import annotations

from tests.integration.auto_replies.helpers import rules_path
from tests.integration.members.helpers import assert_error
from tests.support.world import World

TEXT = {"kind": "text", "text": "客服暂时不在,稍后回复您"}


async def test_settings_round_trip(world: World) -> None:
    shop_id, founder = await world.shop()
    admin = await world.staff(shop_id, "admin")
    empty = (await world.client.get(rules_path(shop_id, "/hosting"), headers=admin.headers())).json()
    assert empty["configured"] is False and empty["enabled"] is False
    assert empty["throttle_minutes"] == 60
    saved = await world.client.put(rules_path(shop_id, "/hosting"), headers=admin.headers(), json={
        "enabled": True, "content": TEXT, "windows": [{"start": "22:00", "end": "08:00"}],
        "weekdays": ["sun", "fri"], "wait_minutes": 3})
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["configured"] is True and body["weekdays"] == ["fri", "sun"]
    assert body["windows"] == [{"start": "22:00", "end": "08:00"}]
    assert body["throttle_minutes"] == 60 and body["wait_minutes"] == 3
    again = await world.client.put(rules_path(shop_id, "/hosting"), headers=founder.headers(),
                                   json={"enabled": False, "content": TEXT})
    assert again.json()["enabled"] is False and len(again.json()["weekdays"]) == 7


async def test_refusals(world: World) -> None:
    shop_id, founder = await world.shop()
    path = rules_path(shop_id, "/hosting")
    body = assert_error(await world.client.put(path, headers=founder.headers(), json={
        "enabled": True, "content": TEXT,
        "windows": [{"start": "09:00", "end": "12:00"}, {"start": "13:30", "end": "13:30"}]}),
        422, "hosting.empty_window")
    assert body["details"] == {"window": 1}
    assert_error(await world.client.put(path, headers=founder.headers(), json={
        "enabled": True, "content": TEXT, "weekdays": ["mon", "mon"]}),
        422, "hosting.duplicate_weekday")
    bad = [
        {"weekdays": ["funday"]},
        {"weekdays": []},
        {"weekdays": [1]},
        {"windows": [{"start": "24:00", "end": "01:00"}]},
        {"windows": [{"start": "9:00", "end": "10:00"}]},
        {"windows": [{"start": "09:00"}]},
        {"windows": [{"start": "09:00", "end": "10:00", "tz": "UTC"}]},
        {"windows": [{"start": "09:00", "end": "10:00"}] * 11},
        {"wait_minutes": -1},
        {"wait_minutes": 10**12},
        {"throttle_minutes": 0},
        {"content": {"kind": "text", "text": "a\x00"}},
        {"content": {"kind": "text", "text": "a" * 5000}},
        {"surprise": 1},
    ]
    for change in bad:
        response = await world.client.put(path, headers=founder.headers(),
                                          json={"enabled": True, "content": TEXT, **change})
        assert response.status_code in (400, 422), (change, response.text)
        assert response.json()["code"].startswith("request."), response.text
    assert (await world.client.get(path, headers=founder.headers())).json()["configured"] is False

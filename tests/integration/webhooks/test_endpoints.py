"""Endpoint management: who may, what is refused, what another shop sees."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.webhooks.conftest import register
from tests.support.world import World

BASE = "/api/v1/shops/{shop}/webhooks/endpoints"


async def test_secret_is_shown_once(world: World) -> None:
    shop_id, founder = await world.shop()
    created = await register(world, shop_id, founder, "http://127.0.0.1:9/hook")
    got = await world.client.get(f"{BASE.format(shop=shop_id)}/{created['id']}",
                                 headers=founder.headers())
    assert got.status_code == 200 and "secret" not in got.json()
    listed = await world.client.get(BASE.format(shop=shop_id), headers=founder.headers())
    assert [e["id"] for e in listed.json()["items"]] == [created["id"]]
    assert "secret" not in listed.json()["items"][0]


@pytest.mark.parametrize("role", ["admin", "agent", "verifier"])
async def test_roles_without_integrations_manage_are_refused(world: World, role: str) -> None:
    shop_id, _ = await world.shop()
    member = await world.staff(shop_id, role)
    response = await world.client.post(BASE.format(shop=shop_id), json={
        "url": "http://127.0.0.1:9/hook", "event_types": ["*"]}, headers=member.headers())
    assert response.status_code == 403
    assert response.json()["details"]["permission"] == "integrations:manage"


async def test_senior_admin_may_manage(world: World) -> None:
    shop_id, _ = await world.shop()
    senior = await world.staff(shop_id, "senior_admin")
    await register(world, shop_id, senior, "http://127.0.0.1:9/hook")


async def test_another_shops_endpoint_is_404(world: World) -> None:
    shop_a, founder_a = await world.shop()
    shop_b, founder_b = await world.shop()
    created = await register(world, shop_a, founder_a, "http://127.0.0.1:9/hook")
    path = f"{BASE.format(shop=shop_b)}/{created['id']}"
    for method, extra in (("GET", ""), ("PATCH", ""), ("DELETE", ""),
                          ("POST", "/rotate-secret"), ("GET", "/deliveries")):
        response = await world.client.request(
            method, path + extra, headers=founder_b.headers(),
            json={} if method in ("PATCH", "POST") else None)
        assert response.status_code == 404, (method, extra, response.text)
        assert response.json()["code"] == "webhook.endpoint_not_found"
    redeliver = f"{path}/deliveries/{uuid.uuid4()}/redeliver"
    response = await world.client.post(redeliver, headers=founder_b.headers())
    assert response.status_code == 404


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"url": "http://127.0.0.1:9/x", "event_types": []}, 422, "request.validation_failed"),
    ({"url": "http://127.0.0.1:9/x", "event_types": ["Bad Type"]}, 422,
     "request.validation_failed"),
    ({"url": "http://127.0.0.1:9/x", "event_types": ["*"], "extra": 1}, 422,
     "request.validation_failed"),
    ({"url": "http://127.0.0.1:9/x\x00", "event_types": ["*"]}, 400, "request.nul_character"),
    ({"url": "http://" + "a" * 3000, "event_types": ["*"]}, 422, "request.validation_failed"),
    ({"url": "ftp://127.0.0.1/x", "event_types": ["*"]}, 422, "webhook.url_invalid"),
    ({"url": "http://user:pw@127.0.0.1/x", "event_types": ["*"]}, 422, "webhook.url_invalid"),
    ({"url": "http://127.0.0.1:99999/x", "event_types": ["*"]}, 422, "webhook.url_invalid"),
    ({"url": "https://no-such-host.invalid/x", "event_types": ["*"]}, 422,
     "webhook.url_unresolvable"),
    ({"url": "http://127.0.0.1:9/x", "event_types": ["*"], "description": "d" * 501}, 422,
     "request.validation_failed"),
])
async def test_bad_input_is_a_4xx(world: World, body: dict, status: int, code: str) -> None:  # type: ignore[type-arg]
    shop_id, founder = await world.shop()
    response = await world.client.post(BASE.format(shop=shop_id), json=body,
                                       headers=founder.headers())
    assert response.status_code == status, response.text
    assert response.json()["code"] == code


async def test_update_disable_and_reenable(world: World) -> None:
    shop_id, founder = await world.shop()
    created = await register(world, shop_id, founder, "http://127.0.0.1:9/hook")
    path = f"{BASE.format(shop=shop_id)}/{created['id']}"
    off = await world.client.patch(path, json={"status": "disabled"}, headers=founder.headers())
    assert off.status_code == 200 and off.json()["status"] == "disabled"
    assert off.json()["disabled_reason"] == "disabled by staff"
    on = await world.client.patch(path, json={"status": "active", "event_types": ["sla.*"]},
                                  headers=founder.headers())
    assert on.json()["status"] == "active" and on.json()["disabled_reason"] is None
    assert on.json()["event_types"] == ["sla.*"]
    gone = await world.client.delete(path, headers=founder.headers())
    assert gone.status_code == 204
    assert (await world.client.get(path, headers=founder.headers())).status_code == 404


async def test_list_is_cursor_paginated(world: World) -> None:
    shop_id, founder = await world.shop()
    made = [(await register(world, shop_id, founder, f"http://127.0.0.1:9/h{i}"))["id"]
            for i in range(3)]
    seen, cursor = [], None
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = (await world.client.get(BASE.format(shop=shop_id) + query,
                                       headers=founder.headers())).json()
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made
    bad = await world.client.get(BASE.format(shop=shop_id) + "?cursor=%00zz",
                                 headers=founder.headers())
    assert bad.status_code == 400

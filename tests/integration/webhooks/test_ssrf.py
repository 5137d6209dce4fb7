"""Receivers inside the network are refused unless the operator allows them."""

from __future__ import annotations

import dataclasses

import pytest

from api.app import create_app
from api.domain.webhooks.targets import TargetRefused, resolve
from tests.support.apps import http_client, running
from tests.support.database import TestDatabase
from tests.support.world import World

INSIDE = ["https://127.0.0.1/x", "https://10.1.2.3/x", "https://192.168.0.1/x",
          "https://172.16.5.4/x", "https://169.254.169.254/latest/meta-data", "https://[::1]/x",
          "https://[fe80::1]/x", "https://[::ffff:127.0.0.1]/x", "https://100.64.0.1/x",
          "https://0.0.0.0/x", "https://localhost/x", "https://224.0.0.1/x"]


@pytest.mark.parametrize("url", INSIDE)
async def test_private_addresses_are_refused(url: str) -> None:
    with pytest.raises(TargetRefused) as refused:
        await resolve(url, allow_private=False)
    assert refused.value.code == "webhook.url_not_public"


async def test_http_needs_the_private_setting() -> None:
    with pytest.raises(TargetRefused) as refused:
        await resolve("http://93.184.215.14/x", allow_private=False)
    assert refused.value.code == "webhook.https_required"


async def test_public_address_is_pinned_with_host_and_sni() -> None:
    target = await resolve("https://93.184.215.14:8443/p?q=1", allow_private=False)
    assert target.url == "https://93.184.215.14:8443/p?q=1"
    assert target.host_header == "93.184.215.14:8443"


async def test_registration_refuses_private_urls_without_the_setting(
        world: World, settings, database: TestDatabase) -> None:  # type: ignore[no-untyped-def]
    strict = dataclasses.replace(settings, webhooks=dataclasses.replace(
        settings.webhooks, allow_private=False, dispatcher_enabled=False))
    shop_id, founder = await world.shop()
    async with running(create_app(strict, database_url=database.app_url,
                                  start_policy_listener=False)) as app, http_client(app) as http:
        await app.state.authz.catch_up()
        for url in ("https://127.0.0.1/hook", "https://169.254.169.254/", "https://[::1]/x"):
            response = await http.post(f"/api/v1/shops/{shop_id}/webhooks/endpoints",
                                       json={"url": url, "event_types": ["*"]},
                                       headers=founder.headers())
            assert response.status_code == 422, response.text
            assert response.json()["code"] == "webhook.url_not_public"

"""A Python client generated from the served OpenAPI document works, unchanged.

The client is generated with ``openapi-python-client`` from ``/schema/openapi.json`` of the
suite's app into a temporary package, imported, and pointed at the app through an
``httpx.ASGITransport``. Onboarding, a conversation and a webhook registration then run
through its typed functions only: a wrong schema (a missing status, a duplicate model, a
body the server refuses, an answer that does not parse) fails here. The served document
also validates against the OpenAPI specification.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from rbac.catalog import FirmRole
from tests.support.world import PASSWORD, World

PACKAGE = "shopdesk_generated_client"
# A global address written as a literal: registration checks it without a DNS look-up (the
# SSRF rule refuses private ones), and nothing in this test emits an ``order.*`` event, so
# the dispatcher never tries to reach it.
WEBHOOK_URL = "https://93.184.215.14/shopdesk/webhooks"


@pytest.fixture
async def document(world: World) -> dict[str, Any]:
    response = await world.client.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def generated(document: dict[str, Any], tmp_path: Path) -> Iterator[Any]:
    (tmp_path / "openapi.json").write_text(json.dumps(document))
    # No post hooks: formatting the generated code is not what is tested, and ruff's
    # presence on PATH must not matter.
    (tmp_path / "config.yaml").write_text("post_hooks: []\n")
    command = [str(Path(sys.executable).with_name("openapi-python-client")), "generate",
               "--path", "openapi.json", "--output-path", PACKAGE, "--meta", "none",
               "--config", "config.yaml"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    # The generator reports schemas it skipped as warnings and still exits 0.
    assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield _Generated()
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


class _Generated:
    """``generated.api("shops.api_v1_shops_create_shop")``, ``generated.models.ShopCreate``."""

    def __init__(self) -> None:
        self.package = importlib.import_module(PACKAGE)
        self.models = importlib.import_module(f"{PACKAGE}.models")

    def api(self, name: str) -> ModuleType:
        return importlib.import_module(f"{PACKAGE}.api.{name}")

    def client(self, app: Any, token: str | None = None) -> Any:
        # The generated client builds its own httpx.AsyncClient (and its Authorization
        # header); only the transport is ours, so requests go to the app in process.
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50001))
        args = {"base_url": "http://shopdesk.test", "httpx_args": {"transport": transport},
                "raise_on_unexpected_status": True}
        if token is None:
            return self.package.Client(**args)
        return self.package.AuthenticatedClient(token=token, **args)


def test_the_served_document_validates(document: dict[str, Any]) -> None:
    validate(document)


async def _sign_in(gen: _Generated, app: Any, email: str) -> Any:
    models = gen.models
    async with gen.client(app) as anonymous:
        answer = await gen.api("auth.api_v1_auth_login_login").asyncio_detailed(
            client=anonymous, body=models.LoginRequest(email=email, password=PASSWORD))
    assert answer.status_code == HTTPStatus.OK, answer.content
    assert isinstance(answer.parsed, models.TokenPair)
    return answer.parsed


async def test_onboarding_a_conversation_and_a_webhook_through_the_client(
        world: World, generated: _Generated) -> None:
    gen, models, app = generated, generated.models, world.app
    admin = await world.user(platform_role=FirmRole.PLATFORM_ADMIN, login=False, prefix="admin")
    founder = await world.user(login=False, prefix="founder")

    # Onboarding: the firm creates a shop naming an existing account as its founder.
    admin_tokens = await _sign_in(gen, app, admin.email)
    slug = f"gen-{uuid.uuid4().hex[:12]}"
    async with gen.client(app, admin_tokens.access_token) as firm:
        created = await gen.api("shops.api_v1_shops_create_shop").asyncio_detailed(
            client=firm, body=models.ShopCreate(
                name="Generated", slug=slug, timezone="Asia/Shanghai",
                founder=models.FounderSpec(user_id=founder.id)))
    assert created.status_code == HTTPStatus.CREATED, created.content
    assert isinstance(created.parsed, models.ShopCreated)
    shop_id = created.parsed.shop.id
    assert created.parsed.shop.slug == slug and created.parsed.founder_id == founder.id

    # A conversation: a key posts an inbound message; the founder, online, claims and replies.
    tokens = await _sign_in(gen, app, founder.email)
    assert tokens.user_id == str(founder.id)
    async with gen.client(app, tokens.access_token) as staff:
        key = await gen.api("integrations.api_v1_shops_shop_id_integration_keys_create_key") \
            .asyncio(shop_id, client=staff, body=models.IntegrationKeyCreate(
                name="storefront",
                scopes=[models.IntegrationKeyCreateScopesItem("messages:ingest")]))
        assert isinstance(key, models.IntegrationKeyCreated), key
        async with gen.client(app, key.token) as storefront:
            inbound = await gen.api("conversations.api_v1_shops_shop_id_messages_inbound_receive") \
                .asyncio(shop_id, client=storefront, body=models.InboundMessage(
                    channel="web", customer_external_id="buyer-1",
                    channel_message_id=uuid.uuid4().hex, text="Is this in stock?"))
        assert isinstance(inbound, models.InboundAnswer), inbound
        presence = await gen.api("presence.api_v1_shops_shop_id_presence_me_set_presence") \
            .asyncio(shop_id, client=staff, body=models.PresenceIn(
                status=models.PresenceStatus.ONLINE))
        assert isinstance(presence, models.PresenceRead), presence
        claimed = await gen.api(
            "conversations.api_v1_shops_shop_id_conversations_conversation_id_claim_claim") \
            .asyncio(shop_id, inbound.conversation_id, client=staff)
        assert isinstance(claimed, models.ConversationRead), claimed
        assert claimed.assignee_id == founder.id
        reply = await gen.api(
            "conversations.api_v1_shops_shop_id_conversations_conversation_id_messages_reply") \
            .asyncio(shop_id, inbound.conversation_id, client=staff,
                     body=models.ReplyIn(text="Yes, ships today."))
        assert isinstance(reply, models.MessageRead), reply
        assert (reply.conversation_id, reply.author_id, reply.body) == (
            inbound.conversation_id, founder.id, "Yes, ships today.")
        assert reply.seq > inbound.seq

        # A webhook endpoint: registered, its secret shown once.
        endpoint = await gen.api(
            "webhooks.api_v1_shops_shop_id_webhooks_endpoints_create_endpoint").asyncio(
            shop_id, client=staff, body=models.EndpointCreate(
                url=WEBHOOK_URL, event_types=["order.*"], description="generated client"))
        assert isinstance(endpoint, models.EndpointCreated), endpoint
        assert endpoint.status == models.EndpointStatus.ACTIVE
        assert endpoint.url == WEBHOOK_URL and endpoint.secret

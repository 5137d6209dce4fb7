"""Through the workspace's own routes: inbound message, claim, note, reply, pending, resolve."""

from __future__ import annotations

from sqlalchemy import text

from rbac.catalog import INTEGRATION_SCOPES
from tests.integration.sla.helpers import set_policy
from tests.integration.sla.script import clocks_of, ledger_of, run_in_shop
from tests.support.world import World


async def test_clocks_follow_the_workspace(world: World) -> None:
    shop_id, founder = await world.shop()
    agent = await world.staff(shop_id, "agent")
    await set_policy(world, shop_id, founder, targets=[{"metric": "frt", "seconds": 3600}])
    base = f"/api/v1/shops/{shop_id}"
    key = await world.client.post(f"{base}/integration-keys", headers=founder.headers(),
                                  json={"name": "store", "scopes": sorted(INTEGRATION_SCOPES)})
    assert key.status_code == 201, key.text
    key_headers = {"Authorization": f"Bearer {key.json()['token']}"}

    async def inbound(cmid: str) -> dict:
        response = await world.client.post(f"{base}/messages/inbound", headers=key_headers, json={
            "channel": "web", "customer_external_id": "buyer-e2e", "channel_message_id": cmid,
            "text": "hello"})
        assert response.status_code == 200, response.text
        return response.json()

    first = await inbound("m1")
    conversation = first["conversation_id"]
    conv = f"{base}/conversations/{conversation}"
    online = await world.client.put(f"{base}/presence/me", json={"status": "online"},
                                    headers=agent.headers())
    assert online.status_code == 200, online.text
    claim = await world.client.post(f"{conv}/claim", headers=agent.headers())
    assert claim.status_code == 200, claim.text
    note = await world.client.post(f"{conv}/notes", json={"text": "vip"}, headers=agent.headers())
    assert note.status_code == 201, note.text
    reply = await world.client.post(f"{conv}/messages", json={"text": "hi!"},
                                    headers=agent.headers())
    assert reply.status_code == 201, reply.text
    await inbound("m2")
    pending = await world.client.post(f"{conv}/status", json={"status": "pending"},
                                      headers=agent.headers())
    assert pending.status_code == 200, pending.text
    await inbound("m3")  # the buyer writes back: open again
    assert (await world.client.post(f"{conv}/messages", json={"text": "done"},
                                    headers=agent.headers())).status_code == 201
    resolved = await world.client.post(f"{conv}/status", json={"status": "resolved"},
                                       headers=agent.headers())
    assert resolved.status_code == 200, resolved.text

    async def conversation_id(session):  # type: ignore[no-untyped-def]
        return (await session.execute(text(
            "SELECT id FROM conversations WHERE shop_id = :s"), {"s": shop_id})).scalar_one()

    cid = await run_in_shop(world, shop_id, conversation_id)
    clocks = {(c.metric, c.seq): c for c in await clocks_of(world, shop_id, cid)}
    assert clocks[("frt", 0)].state == "fulfilled" and clocks[("frt", 0)].agent_id == agent.id
    assert clocks[("nrt", 1)].state == "fulfilled" and clocks[("nrt", 1)].agent_id == agent.id
    assert clocks[("resolution", 0)].state == "fulfilled"
    kinds = {(r.metric, r.kind) for r in await ledger_of(world, shop_id, cid)}
    assert {("nrt", "pause"), ("nrt", "resume"), ("resolution", "pause")} <= kinds
    body = (await world.client.get("/metrics")).text
    assert (f'shopdesk_sla_response_seconds_count{{channel="web",metric="frt",'
            f'shop_id="{shop_id}"}} 1.0') in body

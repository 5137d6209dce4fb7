"""A key's token exists in its creation answer only: never at rest, never shown again, not
even to a retry carrying the same Idempotency-Key (that would keep it in the database)."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from api.db.shop_context import bind_shop
from tests.integration.conversations.workspace import shop_path
from tests.support.world import World


async def test_the_token_is_not_kept_for_an_idempotent_replay(world: World) -> None:
    shop_id, founder = await world.shop()
    headers = {**founder.headers(), "Idempotency-Key": f"k-{uuid.uuid4().hex}"}
    body = {"name": "storefront", "scopes": ["messages:ingest"]}
    first = await world.client.post(shop_path(shop_id, "/integration-keys"), json=body,
                                    headers=headers)
    assert first.status_code == 201, first.text
    token = first.json()["token"]
    again = await world.client.post(shop_path(shop_id, "/integration-keys"), json=body,
                                    headers=headers)
    assert token not in again.text
    async with world.app.state.sessionmaker() as session, session.begin():
        await bind_shop(session, shop_id)
        kept = (await session.execute(text(
            "SELECT count(*) FROM idempotency_keys WHERE shop_id = :s "
            "AND position(CAST(:t AS bytea) IN response_body) > 0"),
            {"s": shop_id, "t": token.encode()})).scalar_one()
    assert kept == 0

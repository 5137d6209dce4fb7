"""Store actions are read with their target's permission, not only with the route's.

``/store-actions`` is an ``orders:read`` route, and agents hold ``orders:read``; a review
reply (``reviews:manage``) or a redemption (``verifications:read``) is not theirs to read,
in the list, by id, or on the staff stream.
"""

from __future__ import annotations

import uuid

from sqlalchemy import text

from api.db.shop_context import bind_shop
from api.domain.reviews.services import REPLY_ACTION
from api.domain.store_actions import services as actions
from api.domain.store_actions.enums import ActionKind
from api.domain.verifications.services import REDEEM_ACTION
from tests.integration.commerce.helpers import make_shop
from tests.support.world import World


async def _review_reply(world: World, shop) -> str:  # type: ignore[no-untyped-def]
    pushed = await world.client.put(shop.url("/sync/reviews"), headers=shop.store, json={
        "platform_id": f"rv-{uuid.uuid4().hex[:8]}", "rating": 1, "body": "太慢了",
        "reviewed_at": "2026-11-30T10:00:00Z", "buyer_name": "买家"})
    assert pushed.status_code in (200, 201), pushed.text
    review_id = pushed.json()["review"]["id"]
    replied = await world.client.post(shop.url(f"/reviews/{review_id}/reply"),
                                      json={"body": "非常抱歉,马上处理"}, headers=shop.h("admin"))
    assert replied.status_code == 201, replied.text
    return replied.json()["reply"]["action_id"]


async def _order_action(world: World, shop) -> str:  # type: ignore[no-untyped-def]
    order = await shop.order(status="pending_payment")
    repriced = await world.client.post(shop.url(f"/orders/{order['id']}/reprice"),
                                       json={"total_minor": 8_000}, headers=shop.h("agent"))
    assert repriced.status_code == 202, repriced.text
    return repriced.json()["id"]


async def test_agents_see_order_actions_but_not_review_replies(world: World) -> None:
    shop = await make_shop(world)
    reply_id = await _review_reply(world, shop)
    order_action_id = await _order_action(world, shop)

    def listed(role: str):  # type: ignore[no-untyped-def]
        return world.client.get(shop.url("/store-actions"), headers=shop.h(role))

    agent_sees = {a["id"] for a in (await listed("agent")).json()["items"]}
    admin_sees = {a["id"] for a in (await listed("admin")).json()["items"]}
    assert agent_sees == {order_action_id}
    assert admin_sees == {order_action_id, reply_id}

    hidden = await world.client.get(shop.url(f"/store-actions/{reply_id}"), headers=shop.h("agent"))
    assert hidden.status_code == 404 and hidden.json()["code"] == "store_action.not_found"
    shown = await world.client.get(shop.url(f"/store-actions/{reply_id}"), headers=shop.h("admin"))
    assert shown.status_code == 200 and shown.json()["kind"] == REPLY_ACTION
    own = await world.client.get(shop.url(f"/store-actions/{order_action_id}"),
                                 headers=shop.h("agent"))
    assert own.status_code == 200


async def test_action_events_carry_the_kinds_permission(world: World) -> None:
    # The staff stream shows an event to whoever holds its permission (tested with the
    # stream); here: the reply's events are for reviews:manage, the order's for orders:read.
    shop = await make_shop(world)
    reply_id = await _review_reply(world, shop)
    order_action_id = await _order_action(world, shop)
    async with world.app.state.sessionmaker() as session, session.begin():
        await bind_shop(session, shop.shop_id)
        rows = (await session.execute(text(
            "SELECT data->>'action_id' AS action_id, permission FROM events "
            "WHERE shop_id = :s AND type LIKE 'store_action.%'"), {"s": shop.shop_id})).all()
    permissions = {(r.action_id, r.permission) for r in rows}
    assert permissions == {(reply_id, "reviews:manage"), (order_action_id, "orders:read")}


def test_every_kind_requested_anywhere_has_a_read_permission() -> None:
    import api.app  # noqa: F401  (imports every slice, which registers its kinds)

    kinds = {kind.value for kind in ActionKind} | {REPLY_ACTION, REDEEM_ACTION}
    assert {kind: actions.read_permission(kind) for kind in kinds} == {
        **{kind.value: "orders:read" for kind in ActionKind if kind.value.startswith("order.")},
        **{kind.value: "products:read" for kind in ActionKind
           if kind.value.startswith("product.")},
        REPLY_ACTION: "reviews:manage", REDEEM_ACTION: "verifications:read"}

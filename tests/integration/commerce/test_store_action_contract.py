"""The store-action service as other slices call it: one action per key, effects once."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import text

from api.db.shop_context import bind_shop
from api.domain.audit.context import AuditContext
from api.domain.store_actions import services
from api.errors import ApiError
from tests.integration.commerce.helpers import make_shop

CTX = AuditContext(actor_id=None, client="test", ip=None, request_id=None)
services.readable_with("test.contract", "orders:read")  # as a slice registers its kinds


async def _in_shop(world, shop_id, work):  # type: ignore[no-untyped-def]
    async with world.app.state.sessionmaker() as session, session.begin():
        await bind_shop(session, shop_id)
        return await work(session)


async def test_request_confirm_and_the_applied_hook(world) -> None:
    shop = await make_shop(world, roles=())
    target = uuid.uuid4()
    applied: list[uuid.UUID] = []

    async def effect(session, action, audit_context):  # type: ignore[no-untyped-def]
        applied.append(action.id)

    services.on_applied("test.contract", effect)

    async def ask(session):  # type: ignore[no-untyped-def]
        return await services.request_action(
            session, shop.shop_id, kind="test.contract", target_type="thing", target_id=target,
            payload={"n": 1}, requested_by=None, idempotency_key="contract-1",
            audit_context=CTX)

    first, second = await asyncio.gather(_in_shop(world, shop.shop_id, ask),
                                         _in_shop(world, shop.shop_id, ask))
    assert first.id == second.id and first.status == "requested"

    async def confirm(session):  # type: ignore[no-untyped-def]
        return await services.confirm_action(session, shop.shop_id, first.id,
                                             outcome="applied", reason=None, audit_context=CTX)

    done = await _in_shop(world, shop.shop_id, confirm)
    again = await _in_shop(world, shop.shop_id, confirm)
    assert done.status == again.status == "applied"
    assert applied == [first.id]  # the effect ran once, not on the repeated answer

    async def audit(session):  # type: ignore[no-untyped-def]
        return [r.action for r in (await session.execute(text(
            "SELECT action FROM audit_log WHERE shop_id = :s AND target = :t ORDER BY seq"),
            {"s": shop.shop_id, "t": f"thing:{target}"})).all()]

    assert await _in_shop(world, shop.shop_id, audit) == [
        "store_action.requested", "store_action.applied"]

    async def reuse(session):  # type: ignore[no-untyped-def]
        return await services.request_action(
            session, shop.shop_id, kind="test.contract", target_type="thing", target_id=target,
            payload={"n": 2}, requested_by=None, idempotency_key="contract-1",
            audit_context=CTX)

    with pytest.raises(ApiError) as refused:
        await _in_shop(world, shop.shop_id, reuse)
    assert refused.value.code == "store_action.idempotency_key_reused"


async def test_another_shops_action_is_not_found(world) -> None:
    shop = await make_shop(world, roles=())
    other = await make_shop(world, roles=())

    async def ask(session):  # type: ignore[no-untyped-def]
        return await services.request_action(
            session, shop.shop_id, kind="test.contract", target_type="thing",
            target_id=uuid.uuid4(), payload={}, requested_by=None, idempotency_key=None,
            audit_context=CTX)

    action = await _in_shop(world, shop.shop_id, ask)

    async def confirm(session):  # type: ignore[no-untyped-def]
        return await services.confirm_action(session, other.shop_id, action.id,
                                             outcome="applied", reason=None, audit_context=CTX)

    with pytest.raises(ApiError) as missing:
        await _in_shop(world, other.shop_id, confirm)
    assert missing.value.status == 404


async def test_a_kind_nobody_may_read_is_refused_before_anything_is_written(world) -> None:
    shop = await make_shop(world, roles=())

    async def ask(session):  # type: ignore[no-untyped-def]
        return await services.request_action(
            session, shop.shop_id, kind="test.unregistered", target_type="thing",
            target_id=uuid.uuid4(), payload={}, requested_by=None, idempotency_key=None,
            audit_context=CTX)

    with pytest.raises(LookupError, match="test.unregistered"):
        await _in_shop(world, shop.shop_id, ask)

"""Endpoint management and the delivery log (the request path: no network but DNS)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.audit.services import record
from api.domain.webhooks import errors, signing
from api.domain.webhooks.schemas import EndpointCreate, EndpointUpdate
from api.domain.webhooks.targets import TargetRefused, resolve
from api.pagination import Page, decode_cursor, invalid_cursor, page_of

__all__ = ["create_endpoint", "delete_endpoint", "get_endpoint", "list_attempts",
           "list_deliveries", "list_endpoints", "redeliver", "rotate_secret", "update_endpoint"]

_ENDPOINT_COLUMNS = ("id, url, description, event_types, status, disabled_reason, disabled_at, "
                     "failure_streak, previous_expires_at AS previous_secret_expires_at, "
                     "created_at, updated_at")
_DELIVERY_COLUMNS = ("id, endpoint_id, event_id, event_seq, event_type, status, attempts, "
                     "CASE WHEN status = 'pending' THEN next_attempt_at END AS next_attempt_at, "
                     "last_status_code, last_error, redelivery_of, created_at, delivered_at")


async def _check_target(url: str, allow_private: bool) -> None:
    try:
        await resolve(url, allow_private=allow_private)
    except TargetRefused as refused:
        raise refused.as_api_error() from None


async def create_endpoint(session: AsyncSession, shop_id: uuid.UUID, data: EndpointCreate,
                          actor: uuid.UUID | None, audit: AuditContext, *,
                          allow_private: bool) -> tuple[Any, str]:
    await _check_target(data.url, allow_private)
    count = (await session.execute(text(
        "SELECT count(*) FROM webhook_endpoints WHERE shop_id = :s"), {"s": shop_id})).scalar_one()
    if count >= errors.MAX_ENDPOINTS_PER_SHOP:
        raise errors.too_many_endpoints()
    secret = signing.new_secret()
    # A new endpoint receives what happens from now on, not the shop's history.
    row = (await session.execute(text(
        "INSERT INTO webhook_endpoints (shop_id, id, url, description, event_types, secret, "
        "fanout_seq, created_by) VALUES (:s, :id, :url, :d, :types, :secret, "
        "coalesce((SELECT last_seq FROM shop_event_counters WHERE shop_id = :s), 0), :by) "
        f"RETURNING {_ENDPOINT_COLUMNS}"), {
            "s": shop_id, "id": uuid.uuid4(), "url": data.url, "d": data.description,
            "types": sorted(set(data.event_types)), "secret": secret, "by": actor})).one()
    await record(session, audit, shop_id=shop_id, action="webhook.endpoint_created",
                 target=str(row.id), details={"url": data.url, "event_types": row.event_types})
    return row, signing.encode_secret(secret)


async def get_endpoint(session: AsyncSession, shop_id: uuid.UUID, endpoint_id: uuid.UUID) -> Any:
    row = (await session.execute(text(
        f"SELECT {_ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE shop_id = :s AND id = :id"),
        {"s": shop_id, "id": endpoint_id})).first()
    if row is None:
        raise errors.endpoint_not_found()
    return row


async def list_endpoints(session: AsyncSession, shop_id: uuid.UUID, *, limit: int,
                         cursor: str | None) -> Page[Any]:
    after = decode_cursor(cursor, (datetime, uuid.UUID))
    rows = (await session.execute(text(
        f"SELECT {_ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE shop_id = :s "
        "AND (CAST(:at AS timestamptz) IS NULL OR (created_at, id) > (:at, :aid)) "
        "ORDER BY created_at, id LIMIT :n"), {
            "s": shop_id, "at": after[0] if after else None, "aid": after[1] if after else None,
            "n": limit + 1})).all()
    return page_of(rows, limit, lambda r: [r.created_at, r.id])


async def update_endpoint(session: AsyncSession, shop_id: uuid.UUID, endpoint_id: uuid.UUID,
                          data: EndpointUpdate, audit: AuditContext, *,
                          allow_private: bool) -> Any:
    if data.url is not None:
        await _check_target(data.url, allow_private)
    enable = data.status is not None and data.status.value == "active"
    row = (await session.execute(text(
        "UPDATE webhook_endpoints SET url = coalesce(:url, url), "
        "description = coalesce(:d, description), event_types = coalesce(:types, event_types), "
        "status = coalesce(:status, status), "
        "disabled_reason = CASE WHEN :status = 'disabled' THEN 'disabled by staff' "
        "  WHEN :status = 'active' THEN NULL ELSE disabled_reason END, "
        "disabled_at = CASE WHEN :status = 'disabled' THEN coalesce(disabled_at, now()) "
        "  WHEN :status = 'active' THEN NULL ELSE disabled_at END, "
        "failure_streak = CASE WHEN :enable THEN 0 ELSE failure_streak END, updated_at = now() "
        f"WHERE shop_id = :s AND id = :id RETURNING {_ENDPOINT_COLUMNS}"), {
            "s": shop_id, "id": endpoint_id, "url": data.url, "d": data.description,
            "types": sorted(set(data.event_types)) if data.event_types is not None else None,
            "status": data.status.value if data.status else None, "enable": enable})).first()
    if row is None:
        raise errors.endpoint_not_found()
    await record(session, audit, shop_id=shop_id, action="webhook.endpoint_updated",
                 target=str(endpoint_id),
                 details={k: v for k, v in {"url": data.url, "status": data.status,
                                            "event_types": data.event_types}.items() if v})
    return row


async def delete_endpoint(session: AsyncSession, shop_id: uuid.UUID, endpoint_id: uuid.UUID,
                          audit: AuditContext) -> None:
    gone = (await session.execute(text(
        "DELETE FROM webhook_endpoints WHERE shop_id = :s AND id = :id RETURNING id"),
        {"s": shop_id, "id": endpoint_id})).first()
    if gone is None:
        raise errors.endpoint_not_found()
    await record(session, audit, shop_id=shop_id, action="webhook.endpoint_deleted",
                 target=str(endpoint_id), details={})


async def rotate_secret(session: AsyncSession, shop_id: uuid.UUID, endpoint_id: uuid.UUID,
                        overlap_seconds: int, audit: AuditContext) -> tuple[str, Any]:
    secret = signing.new_secret()
    row = (await session.execute(text(
        "UPDATE webhook_endpoints SET previous_secret = CASE WHEN :o > 0 THEN secret END, "
        "previous_expires_at = CASE WHEN :o > 0 THEN now() + make_interval(secs => :o) END, "
        "secret = :secret, updated_at = now() WHERE shop_id = :s AND id = :id "
        "RETURNING previous_expires_at"),
        {"s": shop_id, "id": endpoint_id, "o": overlap_seconds, "secret": secret})).first()
    if row is None:
        raise errors.endpoint_not_found()
    await record(session, audit, shop_id=shop_id, action="webhook.secret_rotated",
                 target=str(endpoint_id), details={"overlap_seconds": overlap_seconds})
    return signing.encode_secret(secret), row.previous_expires_at


async def list_deliveries(session: AsyncSession, shop_id: uuid.UUID, endpoint_id: uuid.UUID, *,
                          limit: int, cursor: str | None, status: str | None) -> Page[Any]:
    await get_endpoint(session, shop_id, endpoint_id)
    after = decode_cursor(cursor, (datetime, uuid.UUID))
    # Newest first: the log is read to find what just went wrong.
    rows = (await session.execute(text(
        f"SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries "
        "WHERE shop_id = :s AND endpoint_id = :e AND (CAST(:st AS text) IS NULL OR status = :st) "
        "AND (CAST(:at AS timestamptz) IS NULL OR (created_at, id) < (:at, :aid)) "
        "ORDER BY created_at DESC, id DESC LIMIT :n"), {
            "s": shop_id, "e": endpoint_id, "st": status, "at": after[0] if after else None,
            "aid": after[1] if after else None, "n": limit + 1})).all()
    return page_of(rows, limit, lambda r: [r.created_at, r.id])


async def _delivery(session: AsyncSession, shop_id: uuid.UUID, endpoint_id: uuid.UUID,
                    delivery_id: uuid.UUID) -> Any:
    row = (await session.execute(text(
        f"SELECT {_DELIVERY_COLUMNS}, ordering_key FROM webhook_deliveries "
        "WHERE shop_id = :s AND endpoint_id = :e AND id = :id"),
        {"s": shop_id, "e": endpoint_id, "id": delivery_id})).first()
    if row is None:
        raise errors.delivery_not_found()
    return row


async def list_attempts(session: AsyncSession, shop_id: uuid.UUID, endpoint_id: uuid.UUID,
                        delivery_id: uuid.UUID, *, limit: int, cursor: str | None) -> Page[Any]:
    await _delivery(session, shop_id, endpoint_id, delivery_id)
    after = decode_cursor(cursor, (int,))
    if after is not None and not 0 <= after[0] < 2**31:  # attempt is a PostgreSQL integer
        raise invalid_cursor()
    rows = (await session.execute(text(
        "SELECT attempt, started_at, duration_ms, status_code, error, response_body "
        "FROM webhook_attempts WHERE shop_id = :s AND delivery_id = :d "
        "AND (CAST(:a AS integer) IS NULL OR attempt > :a) ORDER BY attempt LIMIT :n"),
        {"s": shop_id, "d": delivery_id, "a": after[0] if after else None, "n": limit + 1})).all()
    return page_of(rows, limit, lambda r: [r.attempt])


async def redeliver(session: AsyncSession, shop_id: uuid.UUID, endpoint_id: uuid.UUID,
                    delivery_id: uuid.UUID, audit: AuditContext) -> Any:
    """A new delivery of the same event (same ``webhook-id``), due now, logged on its own."""
    original = await _delivery(session, shop_id, endpoint_id, delivery_id)
    row = (await session.execute(text(
        "INSERT INTO webhook_deliveries (shop_id, id, endpoint_id, event_seq, event_id, "
        "event_type, ordering_key, redelivery_of) VALUES (:s, :id, :e, :seq, :eid, :type, "
        f":key, :orig) RETURNING {_DELIVERY_COLUMNS}"), {
            "s": shop_id, "id": uuid.uuid4(), "e": endpoint_id, "seq": original.event_seq,
            "eid": original.event_id, "type": original.event_type,
            # A replay is out of band: it must not queue behind (or block) the live chain.
            "key": None, "orig": original.redelivery_of or original.id})).one()
    await record(session, audit, shop_id=shop_id, action="webhook.redelivered",
                 target=str(row.id), details={"delivery_id": str(delivery_id)})
    return row

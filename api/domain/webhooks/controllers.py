"""Webhook routes under ``/shops/{shop_id}/webhooks`` (``integrations:manage``)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.webhooks import services
from api.domain.webhooks.enums import DeliveryStatus, EndpointStatus
from api.domain.webhooks.schemas import (
    AttemptRead,
    DeliveryRead,
    EndpointCreate,
    EndpointCreated,
    EndpointRead,
    EndpointUpdate,
    SecretRotate,
    SecretRotated,
)
from api.guard import ShopScope
from api.idempotency import idempotent
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.routing import requires

__all__ = ["WebhookController"]

PERMISSION = "integrations:manage"
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, QueryParameter(max_length=2048)]


def _endpoint(row: Any) -> dict[str, Any]:
    return {**row._asdict(), "status": EndpointStatus(row.status)}


def _delivery(row: Any) -> DeliveryRead:
    fields = {k: v for k, v in row._asdict().items() if k != "ordering_key"}
    return DeliveryRead(**{**fields, "status": DeliveryStatus(row.status)})


def _allow_private(request: Request[Any, Any, Any]) -> bool:
    return bool(request.app.state.settings.webhooks.allow_private)


class WebhookController(Controller):
    """Endpoints that receive the shop's events, signed (Standard Webhooks), and their log."""

    path = "/webhooks/endpoints"
    tags = ["webhooks"]

    @post("/", **requires(PERMISSION))
    @idempotent
    async def create_endpoint(self, request: Request[Any, Any, Any],
                              shop_session: NamedDependency[AsyncSession],
                              shop_scope: NamedDependency[ShopScope],
                              data: JSONBody[EndpointCreate],
                              audit_context: NamedDependency[AuditContext]) -> EndpointCreated:
        """Register a receiver; the answer carries its signing secret, shown this once."""
        row, secret = await services.create_endpoint(
            shop_session, shop_scope.shop_id, data, shop_scope.user_id, audit_context,
            allow_private=_allow_private(request))
        return EndpointCreated(**_endpoint(row), secret=secret)

    @get("/", **requires(PERMISSION))
    async def list_endpoints(self, shop_session: NamedDependency[AsyncSession],
                             shop_scope: NamedDependency[ShopScope],
                             limit: Limit = DEFAULT_LIMIT,
                             cursor: Cursor = None) -> Page[EndpointRead]:
        """The shop's endpoints, oldest first."""
        page = await services.list_endpoints(shop_session, shop_scope.shop_id, limit=limit,
                                             cursor=cursor)
        return Page(items=[EndpointRead(**_endpoint(r)) for r in page.items],
                    next_cursor=page.next_cursor)

    @get("/{endpoint_id:uuid}", **requires(PERMISSION))
    async def get_endpoint(self, shop_session: NamedDependency[AsyncSession],
                           shop_scope: NamedDependency[ShopScope],
                           endpoint_id: FromPath[uuid.UUID]) -> EndpointRead:
        """One endpoint, with why it was disabled if it was."""
        row = await services.get_endpoint(shop_session, shop_scope.shop_id, endpoint_id)
        return EndpointRead(**_endpoint(row))

    @patch("/{endpoint_id:uuid}", **requires(PERMISSION))
    async def update_endpoint(self, request: Request[Any, Any, Any],
                              shop_session: NamedDependency[AsyncSession],
                              shop_scope: NamedDependency[ShopScope],
                              endpoint_id: FromPath[uuid.UUID], data: JSONBody[EndpointUpdate],
                              audit_context: NamedDependency[AuditContext]) -> EndpointRead:
        """Change the URL, event types or description; ``status`` disables or re-enables."""
        row = await services.update_endpoint(shop_session, shop_scope.shop_id, endpoint_id,
                                             data, audit_context,
                                             allow_private=_allow_private(request))
        return EndpointRead(**_endpoint(row))

    @delete("/{endpoint_id:uuid}", **requires(PERMISSION))
    async def delete_endpoint(self, shop_session: NamedDependency[AsyncSession],
                              shop_scope: NamedDependency[ShopScope],
                              endpoint_id: FromPath[uuid.UUID],
                              audit_context: NamedDependency[AuditContext]) -> None:
        """Remove the endpoint and its delivery log."""
        await services.delete_endpoint(shop_session, shop_scope.shop_id, endpoint_id,
                                       audit_context)

    @post("/{endpoint_id:uuid}/rotate-secret", **requires(PERMISSION), status_code=200)
    async def rotate_secret(self, shop_session: NamedDependency[AsyncSession],
                            shop_scope: NamedDependency[ShopScope],
                            endpoint_id: FromPath[uuid.UUID], data: JSONBody[SecretRotate],
                            audit_context: NamedDependency[AuditContext]) -> SecretRotated:
        """A new secret (shown once); the old one keeps signing for ``overlap_seconds``."""
        secret, expires = await services.rotate_secret(
            shop_session, shop_scope.shop_id, endpoint_id, data.overlap_seconds, audit_context)
        return SecretRotated(secret=secret, previous_secret_expires_at=expires)

    @get("/{endpoint_id:uuid}/deliveries", **requires(PERMISSION))
    async def list_deliveries(
        self, shop_session: NamedDependency[AsyncSession], shop_scope: NamedDependency[ShopScope],
        endpoint_id: FromPath[uuid.UUID], limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None,
        status: Annotated[DeliveryStatus | None, QueryParameter()] = None,
    ) -> Page[DeliveryRead]:
        """The delivery log, newest first: status, attempts, last status code or error."""
        page = await services.list_deliveries(
            shop_session, shop_scope.shop_id, endpoint_id, limit=limit, cursor=cursor,
            status=status.value if status else None)
        return Page(items=[_delivery(r) for r in page.items], next_cursor=page.next_cursor)

    @get("/{endpoint_id:uuid}/deliveries/{delivery_id:uuid}/attempts", **requires(PERMISSION))
    async def list_attempts(self, shop_session: NamedDependency[AsyncSession],
                            shop_scope: NamedDependency[ShopScope],
                            endpoint_id: FromPath[uuid.UUID], delivery_id: FromPath[uuid.UUID],
                            limit: Limit = DEFAULT_LIMIT,
                            cursor: Cursor = None) -> Page[AttemptRead]:
        """Every attempt: when, how long, the status code or error, the answer's start."""
        page = await services.list_attempts(shop_session, shop_scope.shop_id, endpoint_id,
                                            delivery_id, limit=limit, cursor=cursor)
        return Page(items=[AttemptRead(**r._asdict()) for r in page.items],
                    next_cursor=page.next_cursor)

    @post("/{endpoint_id:uuid}/deliveries/{delivery_id:uuid}/redeliver",
          **requires(PERMISSION), status_code=202)
    @idempotent
    async def redeliver(self, shop_session: NamedDependency[AsyncSession],
                        shop_scope: NamedDependency[ShopScope],
                        endpoint_id: FromPath[uuid.UUID], delivery_id: FromPath[uuid.UUID],
                        audit_context: NamedDependency[AuditContext]) -> DeliveryRead:
        """Send the event again (same ``webhook-id``) as a new delivery, due now."""
        row = await services.redeliver(shop_session, shop_scope.shop_id, endpoint_id,
                                       delivery_id, audit_context)
        return _delivery(row)

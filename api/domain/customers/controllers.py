"""``PUT /shops/{shop_id}/customers``: a shop's systems tell ShopDesk who a customer is."""

from __future__ import annotations

from litestar import Controller, put
from litestar.di import NamedDependency
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.customers import services
from api.domain.customers.schemas import CustomerRead, CustomerUpsert
from api.guard import ShopScope
from api.routing import requires

__all__ = ["CustomerController"]


class CustomerController(Controller):
    path = "/customers"
    tags = ["customers"]

    @put("/", **requires("customers:write"))
    async def upsert_customer(self, shop_session: NamedDependency[AsyncSession],
                              shop_scope: NamedDependency[ShopScope],
                              audit_context: NamedDependency[AuditContext],
                              data: JSONBody[CustomerUpsert]) -> CustomerRead:
        """The customer behind one channel identity, created on first contact (idempotent)."""
        return await services.upsert_customer(shop_session, shop_scope.shop_id, data,
                                              audit_context)

"""Product and group routes: staff reads and actions, the store's pushes (catalog:write)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from litestar import Controller, Response, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.products import groups, services
from api.domain.products.schemas import (
    ProductGroupIn,
    ProductGroupPatch,
    ProductGroupRead,
    ProductGroupUpsert,
    ProductPatch,
    ProductRead,
    ProductUpsert,
    ProductUpserted,
)
from api.domain.store_actions.schemas import IdempotencyKey, StoreActionRead, to_read
from api.guard import ShopScope
from api.idempotency import idempotent
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.routing import requires

__all__ = ["CatalogSyncController", "ProductController", "ProductGroupController"]

Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, QueryParameter(max_length=500)]


def product_read(row: Any) -> ProductRead:
    fields = row._asdict()
    fields.pop("created", None)
    return ProductRead(**fields)


def group_read(row: Any) -> ProductGroupRead:
    return ProductGroupRead(**row._asdict())


def _accepted(action: Any) -> Response[StoreActionRead]:
    return Response(to_read(action), status_code=202)


class ProductController(Controller):
    path = "/products"
    tags = ["products"]

    @get("/", **requires("products:read"))
    async def list_products(
        self, shop_session: NamedDependency[AsyncSession], shop_scope: NamedDependency[ShopScope],
        status: Annotated[Literal["published", "unpublished"] | None, QueryParameter()] = None,
        group_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
        limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None,
    ) -> Page[ProductRead]:
        page = await services.list_products(shop_session, shop_scope.shop_id, limit=limit,
                                            cursor=cursor, status=status, group_id=group_id)
        return Page(items=[product_read(r) for r in page.items], next_cursor=page.next_cursor)

    @get("/{product_id:uuid}", **requires("products:read"))
    async def get_product(self, shop_session: NamedDependency[AsyncSession],
                          shop_scope: NamedDependency[ShopScope],
                          product_id: FromPath[uuid.UUID]) -> ProductRead:
        return product_read(await services.get_product(shop_session, shop_scope.shop_id,
                                                       product_id))

    @patch("/{product_id:uuid}", **requires("products:write"))
    async def edit(self, shop_session: NamedDependency[AsyncSession],
                   shop_scope: NamedDependency[ShopScope], product_id: FromPath[uuid.UUID],
                   data: JSONBody[ProductPatch], audit_context: NamedDependency[AuditContext],
                   idempotency_key: IdempotencyKey = None) -> Response[StoreActionRead]:
        """编辑商品: asks the store; the desk's copy changes when the store applies it."""
        return _accepted(await services.edit(
            shop_session, shop_scope.shop_id, product_id, data, user_id=shop_scope.user_id,
            key=idempotency_key, audit_context=audit_context))

    @post("/{product_id:uuid}/publish", **requires("products:publish"))
    async def publish(self, shop_session: NamedDependency[AsyncSession],
                      shop_scope: NamedDependency[ShopScope], product_id: FromPath[uuid.UUID],
                      audit_context: NamedDependency[AuditContext],
                      idempotency_key: IdempotencyKey = None) -> Response[StoreActionRead]:
        """上架 (a store action)."""
        return _accepted(await services.set_published(
            shop_session, shop_scope.shop_id, product_id, True, user_id=shop_scope.user_id,
            key=idempotency_key, audit_context=audit_context))

    @post("/{product_id:uuid}/unpublish", **requires("products:publish"))
    async def unpublish(self, shop_session: NamedDependency[AsyncSession],
                        shop_scope: NamedDependency[ShopScope], product_id: FromPath[uuid.UUID],
                        audit_context: NamedDependency[AuditContext],
                        idempotency_key: IdempotencyKey = None) -> Response[StoreActionRead]:
        """下架 (a store action)."""
        return _accepted(await services.set_published(
            shop_session, shop_scope.shop_id, product_id, False, user_id=shop_scope.user_id,
            key=idempotency_key, audit_context=audit_context))


class ProductGroupController(Controller):
    path = "/product-groups"
    tags = ["products"]

    @get("/", **requires("product_groups:read"))
    async def list_groups(self, shop_session: NamedDependency[AsyncSession],
                          shop_scope: NamedDependency[ShopScope], limit: Limit = DEFAULT_LIMIT,
                          cursor: Cursor = None) -> Page[ProductGroupRead]:
        page = await groups.list_groups(shop_session, shop_scope.shop_id, limit=limit,
                                        cursor=cursor)
        return Page(items=[group_read(r) for r in page.items], next_cursor=page.next_cursor)

    @get("/{group_id:uuid}", **requires("product_groups:read"))
    async def get_group(self, shop_session: NamedDependency[AsyncSession],
                        shop_scope: NamedDependency[ShopScope],
                        group_id: FromPath[uuid.UUID]) -> ProductGroupRead:
        return group_read(await groups.get_group(shop_session, shop_scope.shop_id, group_id))

    @post("/", **requires("product_groups:write"))
    @idempotent
    async def create_group(self, shop_session: NamedDependency[AsyncSession],
                           shop_scope: NamedDependency[ShopScope], data: JSONBody[ProductGroupIn],
                           audit_context: NamedDependency[AuditContext]) -> ProductGroupRead:
        return group_read(await groups.create_group(shop_session, shop_scope.shop_id, data.name,
                                                    data.position, audit_context))

    @patch("/{group_id:uuid}", **requires("product_groups:write"))
    async def update_group(self, shop_session: NamedDependency[AsyncSession],
                           shop_scope: NamedDependency[ShopScope], group_id: FromPath[uuid.UUID],
                           data: JSONBody[ProductGroupPatch],
                           audit_context: NamedDependency[AuditContext]) -> ProductGroupRead:
        return group_read(await groups.update_group(shop_session, shop_scope.shop_id, group_id,
                                                    data, audit_context))

    @delete("/{group_id:uuid}", **requires("product_groups:write"))
    async def delete_group(self, shop_session: NamedDependency[AsyncSession],
                           shop_scope: NamedDependency[ShopScope], group_id: FromPath[uuid.UUID],
                           audit_context: NamedDependency[AuditContext]) -> None:
        await groups.delete_group(shop_session, shop_scope.shop_id, group_id, audit_context)

    @put("/{group_id:uuid}/products/{product_id:uuid}", **requires("product_groups:write"))
    async def add_product(self, shop_session: NamedDependency[AsyncSession],
                          shop_scope: NamedDependency[ShopScope], group_id: FromPath[uuid.UUID],
                          product_id: FromPath[uuid.UUID],
                          audit_context: NamedDependency[AuditContext]) -> ProductGroupRead:
        return group_read(await groups.add_product(shop_session, shop_scope.shop_id, group_id,
                                                   product_id, audit_context))

    @delete("/{group_id:uuid}/products/{product_id:uuid}", status_code=200,
            **requires("product_groups:write"))
    async def remove_product(self, shop_session: NamedDependency[AsyncSession],
                             shop_scope: NamedDependency[ShopScope],
                             group_id: FromPath[uuid.UUID], product_id: FromPath[uuid.UUID],
                             audit_context: NamedDependency[AuditContext]) -> ProductGroupRead:
        return group_read(await groups.remove_product(shop_session, shop_scope.shop_id,
                                                      group_id, product_id, audit_context))


class CatalogSyncController(Controller):
    """The store pushes products and groups in (an integration key with catalog:write)."""

    path = "/sync"
    tags = ["store-sync"]

    @put("/products", **requires("catalog:write"))
    async def upsert_product(self, shop_session: NamedDependency[AsyncSession],
                             shop_scope: NamedDependency[ShopScope], data: JSONBody[ProductUpsert],
                             audit_context: NamedDependency[AuditContext]) -> ProductUpserted:
        row, created = await services.upsert_product(shop_session, shop_scope.shop_id, data,
                                                     audit_context)
        read = product_read(row)
        return ProductUpserted(**{f: getattr(read, f) for f in ProductRead.__struct_fields__},
                               created=created)

    @put("/product-groups", **requires("catalog:write"))
    async def upsert_group(self, shop_session: NamedDependency[AsyncSession],
                           shop_scope: NamedDependency[ShopScope], data: JSONBody[ProductGroupUpsert],
                           audit_context: NamedDependency[AuditContext]) -> ProductGroupRead:
        return group_read(await groups.upsert_group(shop_session, shop_scope.shop_id, data,
                                                    audit_context))

"""Staff routes under ``/shops/{shop_id}/members``."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import asyncpg
from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.members import services
from api.domain.members.deps import StaffActor, provide_staff_actor
from api.domain.members.schemas import MemberAdd, MemberAdded, MemberRead, MemberRoleChange
from api.guard import ShopScope
from api.idempotency import idempotent
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.routing import requires
from rbac.catalog import ShopRole

__all__ = ["MemberController", "to_read"]


def _fields(row: services.MemberRow) -> dict[str, Any]:
    return {**row._asdict(), "role": ShopRole(row.role)}


_ROLES = {role.value: role for role in ShopRole}  # a dict lookup beats ShopRole(value)


if services.MemberRow._fields != MemberRead.__struct_fields__:
    raise RuntimeError("MemberRow and MemberRead must list their fields in the same order")


def to_read(row: services.MemberRow) -> MemberRead:
    # Positional (MemberRow and MemberRead share their field order): this runs once per row
    # of the busiest list, and keywords cost ten times as much.
    return MemberRead(row.user_id, row.email, row.display_name, _ROLES[row.role], row.status,
                      row.added_by, row.created_at, row.removed_at)


class MemberController(Controller):
    """A shop's staff: who works here, in which role (mounted under ``/shops/{shop_id}``)."""

    path = "/members"
    tags = ["members"]
    dependencies = {"staff_actor": Provide(provide_staff_actor, sync_to_thread=False)}

    @get("/", **requires("staff:read"))
    async def list_members(
        # The scope, not the staff actor: one dependency chain, no task group per request.
        self, shop_reader: NamedDependency[asyncpg.Connection],
        shop_scope: NamedDependency[ShopScope],
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter()] = None,
        include_removed: Annotated[bool, QueryParameter()] = False,
    ) -> Page[MemberRead]:
        """The shop's members in the order they joined; removed ones on request."""
        page = await services.list_members(shop_reader, shop_scope.shop_id, limit=limit,
                                           cursor=cursor, include_removed=include_removed)
        return Page(items=[to_read(row) for row in page.items], next_cursor=page.next_cursor)

    @post("/", **requires("staff:add"))
    @idempotent
    async def add_member(self, shop_session: NamedDependency[AsyncSession],
                         staff_actor: NamedDependency[StaffActor], data: JSONBody[MemberAdd],
                         audit_context: NamedDependency[AuditContext]) -> MemberAdded:
        """Re-add a former member of this shop by ``user_id`` in a grantable role, or (a
        platform admin) place an account as agent. New staff join by invitation
        (``POST /shops/{shop_id}/invitations``); any other ``user_id`` gets the same 422
        ``member.not_a_former_member``, whether or not an account has it."""
        added = await services.add_member(shop_session, staff_actor, data, audit_context)
        return MemberAdded(**_fields(added.row), readded=added.readded)

    @patch("/{user_id:uuid}", **requires("staff:change_role"))
    async def change_role(self, shop_session: NamedDependency[AsyncSession],
                          staff_actor: NamedDependency[StaffActor],
                          user_id: FromPath[uuid.UUID], data: JSONBody[MemberRoleChange],
                          audit_context: NamedDependency[AuditContext]) -> MemberRead:
        """Give a member another role (never founder, never your own)."""
        row = await services.change_role(shop_session, staff_actor, user_id, data.role,
                                          audit_context)
        return to_read(row)

    @delete("/{user_id:uuid}", **requires("staff:remove"))
    async def remove_member(self, shop_session: NamedDependency[AsyncSession],
                            staff_actor: NamedDependency[StaffActor],
                            user_id: FromPath[uuid.UUID],
                            audit_context: NamedDependency[AuditContext]) -> None:
        """Remove a member; their access to this shop ends with their next request."""
        await services.remove_member(shop_session, staff_actor, user_id, audit_context)

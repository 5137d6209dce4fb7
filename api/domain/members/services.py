"""Staff lifecycle: list, re-add or place, change role, remove (roles.md rules 1-3 and 6).

New staff join by invitation (``api.domain.invitations``); here a former member comes back,
or the firm places one of its people as an agent.

Every change first locks the shop's row, so changes to one shop's staff run one at a time
and the "at least one staff manager" count below cannot be raced (two senior admins
removing each other: the second one sees the first removal). Every change journals an
authorization change in the same transaction, so the guard of every process sees it on the
caller's next request. Services never commit.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit import services as audit
from api.domain.audit.context import AuditContext
from api.domain.members.deps import StaffActor
from api.domain.members.enums import MemberStatus
from api.domain.members.models import ShopMember
from api.domain.members.schemas import MemberAdd
from api.domain.shops import services as shops
from api.domain.users import services as users
from api.domain.users.models import User
from api.errors import ApiError
from api.pagination import Page, decode_cursor, page_of
from rbac.catalog import STAFF_MANAGER_ROLES, FirmRole, ShopRole
from rbac.policy_store import record_change

if TYPE_CHECKING:
    from api.domain.shops.models import Shop

__all__ = ["AddedMember", "MemberRow", "add_member", "change_role", "list_members",
           "list_members_sql",
           "remove_member"]

_MANAGERS = sorted(role.value for role in STAFF_MANAGER_ROLES)


class MemberRow(NamedTuple):
    """One member as the API shows it: the membership and the account's name and email."""

    user_id: uuid.UUID
    email: str
    display_name: str
    role: str
    status: str
    added_by: uuid.UUID | None
    created_at: datetime
    removed_at: datetime | None

    @classmethod
    def of(cls, member: ShopMember, user: User) -> MemberRow:
        return cls(member.user_id, user.email, user.display_name, member.role, member.status,
                   member.added_by, member.created_at, member.removed_at)


class Standing(Enum):
    """Why the caller may change this shop's staff, decided under the shop's lock."""

    STAFF_MANAGER = "shop"  # an active founder or senior admin of this shop
    FIRM = "firm"  # a platform admin with no managing role here: places agents only


class AddedMember(NamedTuple):
    row: MemberRow
    readded: bool


# -- reading ------------------------------------------------------------------------------

# The busiest read of the API: one SELECT on the request's plain asyncpg connection
# (``api.db.reader``), built once per shape. Only the columns the response shows.
_LIST_SQL = (
    "SELECT m.user_id, u.email, u.display_name, m.role, m.status, m.added_by, "
    "m.created_at, m.removed_at "
    "FROM shop_members m JOIN users u ON u.id = m.user_id "
    "WHERE m.shop_id = $1{status}{after} "
    "ORDER BY m.created_at, m.user_id LIMIT $2"
)


@cache
def list_members_sql(include_removed: bool, after_cursor: bool) -> str:
    return _LIST_SQL.format(
        status="" if include_removed else f" AND m.status = '{MemberStatus.ACTIVE}'",
        after=" AND (m.created_at, m.user_id) > ($3, $4)" if after_cursor else "")


async def list_members(conn: asyncpg.Connection, shop_id: uuid.UUID, *, limit: int,
                       cursor: str | None, include_removed: bool) -> Page[MemberRow]:
    """The shop's staff in the order they joined, ``(created_at, user_id)``."""
    after = decode_cursor(cursor, (datetime, uuid.UUID))
    args: tuple[Any, ...] = (shop_id, limit + 1, *(after or ()))
    records = await conn.fetch(list_members_sql(include_removed, after is not None), *args)
    rows = [MemberRow._make(record.values()) for record in records]
    return page_of(rows, limit, lambda last: [last.created_at, last.user_id])


# -- changing -----------------------------------------------------------------------------

async def add_member(session: AsyncSession, actor: StaffActor, data: MemberAdd,
                     ctx: AuditContext) -> AddedMember:
    """Re-add a former member of this shop, or (a platform admin) place an account as agent.

    Nobody else is added by id: staff join by invitation. A stranger's id and an id nobody
    has get the same refusal, after the same queries, so the answer never tells whether an
    account exists or where it works.
    """
    shop = await shops.lock_shop(session, actor.shop_id)
    standing = await _standing(session, actor, "staff:add")
    _refuse_founder_grant(shop, data.role)
    if standing is Standing.FIRM and data.role is not ShopRole.AGENT:
        raise ApiError.forbidden("member.firm_places_agents_only",
                                 "The firm places its people into shops as agents only.",
                                 role=data.role.value)
    if data.email is not None:
        raise ApiError.unprocessable(
            "member.invite_by_email",
            f"Staff join by invitation: POST /api/v1/shops/{actor.shop_id}/invitations")
    if data.user_id is None:
        raise _not_a_former_member(actor.shop_id)
    member = await _member(session, actor.shop_id, data.user_id)
    if member is not None and member.status == MemberStatus.ACTIVE:
        raise ApiError.conflict("member.already_member", "This user is already a member.",
                                user_id=str(data.user_id), role=member.role)
    via, readded = standing.value, member is not None
    if member is None:
        user = await _firm_placement(session, actor, data)
        member = ShopMember(shop_id=actor.shop_id, user_id=user.id, role=data.role.value,
                            status=MemberStatus.ACTIVE, added_by=actor.user_id)
        session.add(member)
        via = Standing.FIRM.value
    else:
        user = await _user(session, data.user_id)
        member.role, member.status, member.added_by = (
            data.role.value, MemberStatus.ACTIVE, actor.user_id)
        member.removed_at = member.removed_by = None
    await _journal(session, actor, ctx, member,
                   "member.readded" if readded else "member.added",
                   {"role": data.role.value, "via": via})
    return AddedMember(MemberRow.of(member, user), readded)


async def change_role(session: AsyncSession, actor: StaffActor, user_id: uuid.UUID,
                      role: ShopRole, ctx: AuditContext) -> MemberRow:
    """Give an active member another grantable role."""
    if user_id == actor.user_id:
        raise ApiError.forbidden("member.self_role_change", "You cannot change your own role.")
    shop = await shops.lock_shop(session, actor.shop_id)
    await _require_staff_manager(session, actor, "staff:change_role")
    _refuse_founder_grant(shop, role)
    member = await _active_target(session, actor, user_id)
    if member.role == ShopRole.FOUNDER:
        raise ApiError.conflict("member.founder_role_fixed", "The founder's role cannot change.")
    if role not in STAFF_MANAGER_ROLES:
        await _keep_a_staff_manager(session, member)
    if member.role == role:
        return MemberRow.of(member, await _user(session, user_id))
    previous, member.role = member.role, role.value
    await _journal(session, actor, ctx, member, "member.role_changed",
                   {"from": previous, "to": role.value})
    return MemberRow.of(member, await _user(session, user_id))


async def remove_member(session: AsyncSession, actor: StaffActor, user_id: uuid.UUID,
                        ctx: AuditContext) -> None:
    """Remove a member, keeping the row. Removing the founder is permanent for the shop."""
    if user_id == actor.user_id:
        raise ApiError.forbidden("member.self_removal",
                                 "You cannot remove yourself; another staff manager must.")
    shop = await shops.lock_shop(session, actor.shop_id)
    await _require_staff_manager(session, actor, "staff:remove")
    member = await _active_target(session, actor, user_id)
    await _keep_a_staff_manager(session, member)
    founder_removed = member.role == ShopRole.FOUNDER
    if founder_removed:
        shop.founder_removed = True  # rule 1: the shop never has a founder again
    member.status, member.removed_at, member.removed_by = (
        MemberStatus.REMOVED, func.now(), actor.user_id)
    await _journal(session, actor, ctx, member, "member.removed",
                   {"role": member.role, "founder_removed": founder_removed})


# -- helpers ------------------------------------------------------------------------------

async def _standing(session: AsyncSession, actor: StaffActor, permission: str) -> Standing:
    """Decide, from the database and under the shop's lock, why the caller may act here.

    The guard decided before the lock was taken; another manager may have removed or demoted
    this caller meanwhile. And the guard only says *that* the caller may act: a staff
    manager who is also a platform admin must keep full staff rights, so the standing is
    read from the caller's own rows, never from which policy line admitted them.
    """
    role = (await session.execute(select(ShopMember.role).where(
        ShopMember.shop_id == actor.shop_id, ShopMember.user_id == actor.user_id,
        ShopMember.status == MemberStatus.ACTIVE))).scalar_one_or_none()
    if role in STAFF_MANAGER_ROLES:
        return Standing.STAFF_MANAGER
    if permission == "staff:add":  # the only staff permission the firm holds (roles.md)
        caller = await users.get_user(session, actor.user_id)
        if caller is not None and caller.platform_role == FirmRole.PLATFORM_ADMIN:
            return Standing.FIRM
    if role is None:
        raise ApiError(404, "shop.not_found", "Shop not found.")
    raise ApiError(403, "permission.denied", "Your role lacks this permission.",
                   {"permission": permission})


async def _require_staff_manager(session: AsyncSession, actor: StaffActor, permission: str
                                 ) -> None:
    """Refuse anyone but an active founder or senior admin of this shop.

    Checked first, under the lock: a caller removed a moment ago is a stranger now (404,
    rule 3), whatever the guard decided before the removal committed. With the caller a
    manager and self-removal refused, ``_keep_a_staff_manager`` is the invariant's last line.
    """
    await _standing(session, actor, permission)


def _not_a_former_member(shop_id: uuid.UUID) -> ApiError:
    # One answer for a stranger's id, an unknown id and no id at all: nothing to compare.
    return ApiError.unprocessable(
        "member.not_a_former_member",
        "Only a former member of this shop can be re-added by user_id; staff join by "
        f"invitation: POST /api/v1/shops/{shop_id}/invitations")


async def _firm_placement(session: AsyncSession, actor: StaffActor, data: MemberAdd) -> User:
    """The account a platform admin places here as an agent, or the common refusal.

    Only the firm's own admins add someone who never worked here, and only as an agent; the
    firm knows its people, so naming them by id reveals nothing it does not hold already.
    """
    assert data.user_id is not None
    if data.role is ShopRole.AGENT:
        caller = await users.get_user(session, actor.user_id)
        if caller is not None and caller.platform_role == FirmRole.PLATFORM_ADMIN:
            user = await users.get_user(session, data.user_id)
            if user is not None:
                return user
    raise _not_a_former_member(actor.shop_id)


def _refuse_founder_grant(shop: Shop, role: ShopRole) -> None:
    if role is not ShopRole.FOUNDER:
        return
    if shop.founder_removed:
        raise ApiError.conflict("member.founder_not_restorable",
                                "This shop's founder was removed; a shop never gets one back.")
    raise ApiError.unprocessable("member.founder_not_grantable",
                                 "The founder is named at onboarding and cannot be granted.")


async def _member(session: AsyncSession, shop_id: uuid.UUID, user_id: uuid.UUID
                  ) -> ShopMember | None:
    return (await session.execute(select(ShopMember).where(
        ShopMember.shop_id == shop_id, ShopMember.user_id == user_id))).scalar_one_or_none()


async def _active_target(session: AsyncSession, actor: StaffActor, user_id: uuid.UUID
                         ) -> ShopMember:
    member = await _member(session, actor.shop_id, user_id)
    if member is None or member.status != MemberStatus.ACTIVE:
        raise ApiError.not_found("member")
    return member


async def _user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await users.get_user(session, user_id)
    assert user is not None  # shop_members.user_id references users
    return user


async def _keep_a_staff_manager(session: AsyncSession, leaving: ShopMember) -> None:
    """Refuse if ``leaving`` is the shop's last active founder or senior admin (rule 2)."""
    if leaving.role not in STAFF_MANAGER_ROLES:
        return
    others = (await session.execute(
        select(func.count()).select_from(ShopMember).where(
            ShopMember.shop_id == leaving.shop_id, ShopMember.status == MemberStatus.ACTIVE,
            ShopMember.role.in_(_MANAGERS), ShopMember.user_id != leaving.user_id))).scalar_one()
    if others == 0:
        raise ApiError.conflict("member.last_staff_manager",
                                "The shop must keep at least one founder or senior admin.")


async def _journal(session: AsyncSession, actor: StaffActor, ctx: AuditContext,
                   member: ShopMember, action: str, details: dict[str, Any]) -> None:
    """Flush the change, journal it for every process's policy, and audit it."""
    await session.flush()
    await record_change(session, "shop", shop_id=actor.shop_id)
    await audit.record(session, ctx, shop_id=actor.shop_id, action=action,
                       target=str(member.user_id), details=details)
    await session.refresh(member)

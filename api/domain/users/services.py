"""Creating and finding users. Never commits: the request (or CLI command) does."""

from __future__ import annotations

import uuid
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.passwords import hash_password
from api.auth.principal import UserPrincipal
from api.domain.users.models import User
from api.domain.users.schemas import Me, MyShop, UserRead
from api.errors import ApiError
from rbac.catalog import FirmRole
from rbac.policy_store import record_change
from rbac.runtime import AuthzRuntime

__all__ = ["IdentityCodes", "create_user", "describe_me", "find_or_invite", "get_user",
           "get_user_by_email", "normalise_email"]


class IdentityCodes(NamedTuple):
    """The error codes a caller of ``find_or_invite`` documents for its route."""

    noun: str  # who is being named, for the message: "founder", "member"
    ambiguous: str
    not_found: str


USER_CODES = IdentityCodes("user", "user.identity_ambiguous", "user.not_found")


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def get_user_by_email(session: AsyncSession, email: str) -> User | None:
    return (
        await session.execute(select(User).where(User.email == normalise_email(email)))
    ).scalar_one_or_none()


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    password: str | None,
    display_name: str = "",
    phone: str | None = None,
    platform_role: FirmRole | str | None = None,
) -> User:
    """Create a user; ``password=None`` makes an invited account that cannot sign in yet."""
    email = normalise_email(email)
    role = FirmRole(platform_role) if platform_role is not None else None
    if await get_user_by_email(session, email) is not None:
        raise ApiError.conflict("user.email_taken", "A user with this email already exists.",
                                email=email)
    if phone and (
        await session.execute(select(User.id).where(User.phone == phone))
    ).scalar_one_or_none():
        raise ApiError.conflict("user.phone_taken", "A user with this phone number already exists.")
    user = User(
        id=uuid.uuid4(), email=email, phone=phone, display_name=display_name,
        password_hash=hash_password(password) if password else None,
        platform_role=role.value if role else None,
    )
    session.add(user)
    await session.flush()
    if role is not None:
        await record_change(session, "user", user_id=user.id)
    return user


async def find_or_invite(session: AsyncSession, *, user_id: uuid.UUID | None, email: str | None,
                         display_name: str = "", codes: IdentityCodes = USER_CODES
                         ) -> tuple[User, bool]:
    """The account named by exactly one of ``user_id`` or ``email``; returns (user, invited).

    An unknown email invites a new account (no password yet); an unknown id is refused.
    """
    if (user_id is None) == (email is None):
        raise ApiError.unprocessable(
            codes.ambiguous, f"Name the {codes.noun} by exactly one of user_id or email.")
    if user_id is not None:
        user = await get_user(session, user_id)
        if user is None:
            raise ApiError.unprocessable(codes.not_found, "No user has this id.",
                                         user_id=str(user_id))
        return user, False
    assert email is not None
    existing = await get_user_by_email(session, email)
    if existing is not None:
        return existing, False
    try:
        # A savepoint: two shops inviting the same new address at once must both end up
        # with the one account, not one of them with a unique-violation error.
        async with session.begin_nested():
            invited = await create_user(session, email=email, password=None,
                                        display_name=display_name)
    except IntegrityError:
        existing = await get_user_by_email(session, email)
        if existing is None:
            raise
        return existing, False
    return invited, True


async def describe_me(session: AsyncSession, runtime: AuthzRuntime, principal: UserPrincipal) -> Me:
    """Who the caller is, the client the token was issued to, and their role in each shop."""
    # Imported here: the shops feature names its founder through this module, so a
    # module-level import would be circular.
    from api.domain.shops import services as shops

    user = await get_user(session, uuid.UUID(principal.user_id))
    if user is None:
        raise ApiError(401, "auth.account_disabled", "This account no longer exists.")
    assert runtime.policy is not None  # the lifespan builds it before serving
    # Roles come from the live policy (what the guard decides with), never the token.
    roles = {uuid.UUID(shop): role for shop, role in runtime.policy.shops_of(principal.user_id)}
    found = await shops.get_shops(session, list(roles))
    return Me(
        user=UserRead(id=user.id, email=user.email, display_name=user.display_name,
                      phone=user.phone, platform_role=user.platform_role),
        client=principal.client.value,
        shops=[MyShop(shop_id=shop.id, slug=shop.slug, name=shop.name, status=shop.status,
                      role=roles[shop.id])
               for shop in sorted(found.values(), key=lambda s: s.slug)],
    )

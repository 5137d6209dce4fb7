"""Creating and finding users. Never commits: the request (or CLI command) does."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.passwords import hash_password
from api.domain.users import errors
from api.domain.users.models import User
from rbac.catalog import FirmRole
from rbac.policy_store import record_change

__all__ = ["create_user", "get_user", "get_user_by_email", "normalise_email",
           "set_password_hash"]


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
        raise errors.email_taken(email)
    if phone and (
        await session.execute(select(User.id).where(User.phone == phone))
    ).scalar_one_or_none():
        raise errors.phone_taken()
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


async def set_password_hash(session: AsyncSession, user: User, password_hash: str, *,
                            display_name: str | None = None) -> None:
    """Give an account its (already hashed) password, and optionally its display name.

    Hashing is the caller's, off the event loop (``asyncio.to_thread(hash_password, ...)``).
    """
    user.password_hash = password_hash
    if display_name:
        user.display_name = display_name
    await session.flush()

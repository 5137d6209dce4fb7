"""Building test data through the real services, and signing in through the real API.

Tests stay independent by construction: every user and shop gets unique names, so no test
depends on another's rows and no test asserts global counts.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from api.db.shop_context import bind_shop
from api.db.urls import to_asyncpg_url
from api.domain.audit.context import AuditContext
from api.domain.shops.schemas import FounderSpec, ShopCreate
from api.domain.shops.services import create_shop
from api.domain.users.services import create_user
from rbac.catalog import FirmRole
from rbac.policy_store import record_change
from tests.support.crew import Crew, build_crew
from tests.support.http import bearer
from tests.support.paths import LOGIN, shop_path

__all__ = ["PASSWORD", "Account", "Crew", "World"]

PASSWORD = "correct-horse-battery-staple"
SYSTEM = AuditContext(actor_id=None, client="test", ip="127.0.0.1", request_id=None)


@dataclass
class Account:
    id: uuid.UUID
    email: str
    tokens: dict[str, str] = field(default_factory=dict)  # client -> access token

    def headers(self, client: str = "web") -> dict[str, str]:
        return bearer(self.tokens[client])


class World:
    def __init__(self, app: Litestar, client: httpx.AsyncClient):
        self.app = app
        self.client = client

    @property
    def runtime(self):  # type: ignore[no-untyped-def]
        return self.app.state.authz

    @property
    def owner_url(self) -> str:
        """The database owner's URL (in the suite's settings, ``DATABASE_URL`` is the owner)."""
        return self.app.state.settings.database.url

    async def _commit(self, work, *, as_owner: bool = False):  # type: ignore[no-untyped-def]
        if as_owner:
            return await self._commit_as_owner(work)
        async with self.app.state.sessionmaker() as session, session.begin():
            result = await work(session)
        await self.runtime.catch_up()
        return result

    async def _commit_as_owner(self, work):  # type: ignore[no-untyped-def]
        # The API role may not write users.platform_role: only the owner grants firm roles.
        engine = create_async_engine(to_asyncpg_url(self.owner_url), poolclass=NullPool)
        try:
            async with (async_sessionmaker(engine, expire_on_commit=False)() as session,
                        session.begin()):
                result = await work(session)
        finally:
            await engine.dispose()
        await self.runtime.catch_up()
        return result

    async def user(self, *, platform_role: FirmRole | None = None, login: bool = True,
                   prefix: str = "user") -> Account:
        email = f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"

        async def work(session):  # type: ignore[no-untyped-def]
            return await create_user(session, email=email, password=PASSWORD,
                                     platform_role=platform_role)

        user = await self._commit(work, as_owner=platform_role is not None)
        account = Account(user.id, email)
        if login:
            await self.login(account, "web")
            await self.login(account, "mobile")
        return account

    async def login(self, account: Account, client: str = "web") -> dict[str, Any]:
        response = await self.client.post(LOGIN, json={
            "email": account.email, "password": PASSWORD, "client": client})
        assert response.status_code == 200, response.text
        body = response.json()
        account.tokens[client] = body["access_token"]
        return body

    async def shop(self, founder: Account | None = None, *, wechat_bound: bool = False,
                   ) -> tuple[uuid.UUID, Account]:
        founder = founder or await self.user(prefix="founder")
        data = ShopCreate(name="Shop", slug=f"shop-{uuid.uuid4().hex[:12]}",
                          timezone="Asia/Shanghai", founder=FounderSpec(user_id=founder.id),
                          wechat_bound=wechat_bound)

        async def work(session):  # type: ignore[no-untyped-def]
            shop, _, _ = await create_shop(session, data, SYSTEM)
            return shop.id

        return await self._commit(work), founder

    async def add_member(self, shop_id: uuid.UUID, account: Account, role: str) -> None:
        """Put ``account`` into the shop directly (tests of other features need staff fast)."""

        async def work(session):  # type: ignore[no-untyped-def]
            await bind_shop(session, shop_id)
            await session.execute(text(
                "INSERT INTO shop_members (shop_id, user_id, role) VALUES (:s, :u, :r) "
                "ON CONFLICT (shop_id, user_id) DO UPDATE SET role = EXCLUDED.role, "
                "status = 'active', removed_at = NULL"), {"s": shop_id, "u": account.id, "r": role})
            await record_change(session, "shop", shop_id=shop_id)

        await self._commit(work)

    async def staff(self, shop_id: uuid.UUID, role: str) -> Account:
        account = await self.user(prefix=role)
        await self.add_member(shop_id, account, role)
        return account

    # -- helpers for the auditors' view (authz, audit) ----------------------------------

    async def crew(self, shop_id: uuid.UUID, founder: Account, *,
                   also_in: Sequence[uuid.UUID] = ()) -> Crew:
        """One person per role (``tests.support.crew``): every shop role of ``shop_id`` (and
        of ``also_in``), both firm roles and an outsider, all signed in."""
        return await build_crew(self, shop_id, founder, also_in=also_in)

    async def set_wechat(self, shop_id: uuid.UUID, founder: Account, bound: bool) -> None:
        """Bind or unbind the shop's WeChat account through the API, as its founder."""
        response = await self.client.patch(shop_path(shop_id),
                                           json={"wechat_bound": bound},
                                           headers=founder.headers())
        assert response.status_code == 200, response.text

    async def suspend(self, shop_id: uuid.UUID, reason: str = "test") -> None:
        """Suspend the shop through the API, as a platform admin."""
        admin = await self.user(platform_role=FirmRole.PLATFORM_ADMIN, prefix="platform-admin")
        response = await self.client.post(shop_path(shop_id, "suspend"),
                                          json={"reason": reason}, headers=admin.headers())
        assert response.status_code == 200, response.text

    async def remove_member_directly(self, shop_id: uuid.UUID, account: Account) -> None:
        """Mark a member removed without the members API (for tests of other features)."""

        async def work(session):  # type: ignore[no-untyped-def]
            await bind_shop(session, shop_id)
            await session.execute(text(
                "UPDATE shop_members SET status = 'removed', removed_at = now() "
                "WHERE shop_id = :s AND user_id = :u"), {"s": shop_id, "u": account.id})
            await record_change(session, "shop", shop_id=shop_id)

        await self._commit(work)

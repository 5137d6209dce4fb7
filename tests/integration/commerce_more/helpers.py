"""Shared helpers for the commerce-desk tests: store keys, shops with their staff."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import text

from api.auth.integration_keys import generate_key
from api.db.shop_context import bind_shop
from tests.support.world import Account, World

__all__ = ["BAD_INPUT_CODES", "Desk", "assert_refused_input", "desk", "store_key"]

# Bad input is refused in the one error shape, never a 500: by the schema (422) or, for NUL
# characters or integers beyond 64 bits, by the request filter in front of it (400).
BAD_INPUT_CODES = {"request.validation_failed", "request.nul_character", "request.malformed_body",
                   "request.number_out_of_range"}


def assert_refused_input(response, bad: object) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code in (400, 422), (repr(bad)[:200], response.text[:300])
    assert response.json()["code"] in BAD_INPUT_CODES, response.text[:300]


async def store_key(world: World, shop_id: uuid.UUID,
                    scopes: tuple[str, ...] = ("catalog:write",)) -> dict[str, str]:
    """An integration key of ``shop_id`` (the store's systems), as request headers."""
    key = generate_key()

    async def work(session):  # type: ignore[no-untyped-def]
        await bind_shop(session, shop_id)
        await session.execute(text(
            "INSERT INTO integration_keys (shop_id, id, name, prefix, secret_hash, scopes) "
            "VALUES (:s, :id, 'store', :prefix, :hash, :scopes)"),
            {"s": shop_id, "id": key.key_id, "prefix": key.prefix, "hash": key.secret_hash,
             "scopes": list(scopes)})

    await world._commit(work)
    return {"Authorization": f"Bearer {key.token}"}


@dataclass
class Desk:
    shop_id: uuid.UUID
    founder: Account
    staff: dict[str, Account]
    store: dict[str, str]

    def url(self, suffix: str) -> str:
        return f"/api/v1/shops/{self.shop_id}{suffix}"

    def __getitem__(self, role: str) -> Account:
        return self.founder if role == "founder" else self.staff[role]


async def desk(world: World, *, roles: tuple[str, ...] = ("admin", "agent"),
               wechat_bound: bool = False) -> Desk:
    shop_id, founder = await world.shop(wechat_bound=wechat_bound)
    staff = {role: await world.staff(shop_id, role) for role in roles}
    return Desk(shop_id, founder, staff, await store_key(world, shop_id))

"""One person per role: the one way tests get a shop's whole cast.

``await world.crew(shop_id, founder)`` signs in (web and mobile) one account for every shop
role of ``shop_id`` (the founder given), one for each firm role, and an outsider who belongs
to no shop. With ``also_in=[other_shop, ...]`` the same people hold the same roles there too
(the founder must have founded those shops as well).

Read it by role name, ``crew["admin"]``, ``crew.by_role(ShopRole.AGENT)``, or by attribute,
``crew.senior``, ``crew.firm_admin``; ``crew.items()`` walks everyone in role order.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rbac.catalog import SHOP_ROLES, FirmRole, ShopRole

if TYPE_CHECKING:
    from tests.support.world import Account, World

__all__ = ["OUTSIDER", "Crew", "build_crew"]

OUTSIDER = "outsider"


@dataclass(frozen=True)
class Crew:
    shop_ids: tuple[uuid.UUID, ...]  # the first is "the" shop
    staff: dict[ShopRole, Account]
    firm: dict[FirmRole, Account]
    outsider: Account

    @property
    def shop_id(self) -> uuid.UUID:
        return self.shop_ids[0]

    def by_role(self, role: str) -> Account:
        """The account holding ``role``: a shop role, a firm role, or ``"outsider"``."""
        if role == OUTSIDER:
            return self.outsider
        if role in {r.value for r in ShopRole}:
            return self.staff[ShopRole(role)]
        return self.firm[FirmRole(role)]

    __getitem__ = by_role

    def items(self) -> Iterator[tuple[str, Account]]:
        """Everyone, as (role name, account): shop roles, firm roles, then the outsider."""
        yield from ((role.value, account) for role, account in self.staff.items())
        yield from ((role.value, account) for role, account in self.firm.items())
        yield OUTSIDER, self.outsider

    founder = property(lambda self: self.staff[ShopRole.FOUNDER])
    senior = property(lambda self: self.staff[ShopRole.SENIOR_ADMIN])
    admin = property(lambda self: self.staff[ShopRole.ADMIN])
    agent = property(lambda self: self.staff[ShopRole.AGENT])
    verifier = property(lambda self: self.staff[ShopRole.VERIFIER])
    firm_admin = property(lambda self: self.firm[FirmRole.PLATFORM_ADMIN])
    auditor = property(lambda self: self.firm[FirmRole.PLATFORM_AUDITOR])


async def build_crew(world: World, shop_id: uuid.UUID, founder: Account, *,
                     also_in: Sequence[uuid.UUID] = ()) -> Crew:
    shop_ids = (shop_id, *also_in)
    staff: dict[ShopRole, Account] = {ShopRole.FOUNDER: founder}
    for role in SHOP_ROLES:
        if role is ShopRole.FOUNDER:
            continue
        staff[role] = await world.user(prefix=role.value)
        for shop in shop_ids:
            await world.add_member(shop, staff[role], role.value)
    firm = {role: await world.user(platform_role=role, prefix=role.value) for role in FirmRole}
    return Crew(shop_ids, staff, firm, await world.user(prefix=OUTSIDER))

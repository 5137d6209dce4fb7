"""What onboarding announces, in the transaction that creates the shop (see ``api.signals``).

The members slice subscribes and writes the founder's membership, so ``shops`` needs nothing
of ``members`` (which builds on ``shops``: it locks the shop's row for every staff change).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

__all__ = ["ShopOnboarded"]


@dataclass(frozen=True, slots=True)
class ShopOnboarded:
    """A shop was created; the transaction is bound to it.

    ``founder_id`` names an existing account that becomes the founder now; ``None`` when the
    founder was invited by e-mail and joins only on accepting (``api.domain.invitations``).
    """

    shop_id: uuid.UUID
    founder_id: uuid.UUID | None
    added_by: uuid.UUID | None

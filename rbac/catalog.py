"""The permission catalog: ``../shared/spec/roles.md`` as data.

The matrix below is the contract. The stored Casbin policy, the guard, the OpenAPI
``x-permission`` fields and the tests all use these keys; a unit test checks this table
against the spec text cell by cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "ACCOUNT_SELF",
    "FIRM_PERMISSIONS",
    "FIRM_ROLE_GRANTS",
    "GRANTABLE_ROLES",
    "INTEGRATION_SCOPES",
    "MATRIX",
    "PERMISSIONS",
    "SHOP_ROLES",
    "Cell",
    "FirmRole",
    "PolicyLine",
    "ShopRole",
    "policy_lines",
]


class ShopRole(StrEnum):
    FOUNDER = "founder"
    SENIOR_ADMIN = "senior_admin"
    ADMIN = "admin"
    AGENT = "agent"
    VERIFIER = "verifier"


class FirmRole(StrEnum):
    PLATFORM_ADMIN = "platform_admin"
    PLATFORM_AUDITOR = "platform_auditor"


class Cell(StrEnum):
    """One matrix cell: Y allowed, - denied, B only with WeChat bound, M only on mobile."""

    ALLOWED = "Y"
    DENIED = "-"
    WECHAT = "B"
    MOBILE = "M"


SHOP_ROLES: tuple[ShopRole, ...] = tuple(ShopRole)
# Rule 1 and 2: founder is given at onboarding only; these are the roles staff managers grant.
GRANTABLE_ROLES: frozenset[ShopRole] = frozenset(
    {ShopRole.SENIOR_ADMIN, ShopRole.ADMIN, ShopRole.AGENT, ShopRole.VERIFIER}
)
STAFF_MANAGER_ROLES: frozenset[ShopRole] = frozenset({ShopRole.FOUNDER, ShopRole.SENIOR_ADMIN})

# permission: founder senior_admin admin agent verifier  (order of SHOP_ROLES)
_MATRIX_TEXT = """
staff:read               Y Y Y - -
staff:add                Y Y - - -
staff:remove             Y Y - - -
staff:change_role        Y Y - - -
shop:settings            Y Y Y - -
shop:decorate            Y Y Y - -
shop:preview_settings    Y Y - - -
cs:mobile_settings       Y Y - - -
cs:workspace             Y Y Y Y -
cs:supervise             Y Y Y - -
faq:write                Y Y Y - -
quick_phrases:read       Y Y Y Y -
quick_phrases:write_shop Y Y Y - -
auto_replies:read        Y Y Y - -
auto_replies:write       Y Y Y - -
wechat:overview          Y Y Y Y -
wechat:realtime          Y Y Y B -
customers:read           Y Y Y B -
customer_tags:create     Y Y Y B -
customer_tags:assign     Y Y Y B -
customer_tags:edit       Y Y Y - -
customer_levels:set      Y Y Y B -
level_rules:write        Y Y Y - -
points:issue             Y Y Y B -
points_rules:write       Y Y Y - -
products:read            Y Y Y Y -
product_groups:read      Y Y Y Y -
products:write           Y Y Y - -
products:publish         Y Y Y - -
product_groups:write     Y Y Y - -
orders:overview          Y Y Y Y -
orders:read              Y Y Y Y -
orders:reprice           Y Y Y Y -
orders:note              Y Y Y Y -
orders:star              Y Y Y Y -
orders:ship              Y Y Y Y -
orders:close             Y Y Y Y -
disputes:handle          Y Y Y Y -
refunds:process          Y Y Y - -
verifications:redeem     Y Y Y Y M
verifications:read       Y Y Y - -
verifications:read_own   Y Y Y Y M
distribution_orders:read Y Y Y - -
reviews:manage           Y Y Y - -
trade_logistics:read     Y Y Y - -
weibo:read               Y Y Y - -
marketing_apps:read      Y Y Y - -
analytics:read           Y Y Y - -
polls:read               Y Y Y - -
polls:read_private       Y Y - - -
sla:configure            Y Y - - -
audit:read               Y Y - - -
integrations:manage      Y Y - - -
"""


def _parse_matrix(text: str) -> dict[str, dict[ShopRole, Cell]]:
    matrix: dict[str, dict[ShopRole, Cell]] = {}
    for line in text.strip().splitlines():
        key, *cells = line.split()
        matrix[key] = {role: Cell(cell) for role, cell in zip(SHOP_ROLES, cells, strict=True)}
    return matrix


MATRIX: dict[str, dict[ShopRole, Cell]] = _parse_matrix(_MATRIX_TEXT)

# Firm-level permissions: actions on the firm itself, not inside one shop.
# analytics:firm: the SLA report across every shop and the ranking of shops (issue 7).
FIRM_PERMISSIONS: frozenset[str] = frozenset({"shops:create", "shops:list", "shops:suspend",
                                              "analytics:firm",
                                              # integration keys' request limits per shop
                                              "shops:configure_limits"})
# Any signed-in user acting on their own account (profile, own sessions, own shops).
ACCOUNT_SELF = "account:self"

# What a shop's integration key may be granted (its own systems calling ShopDesk). No staff
# role holds these, and a key holds nothing else: a route declaring one of them admits only
# a key of the shop in the path that carries the scope.
INTEGRATION_SCOPES: frozenset[str] = frozenset({
    "messages:ingest",   # inbound customer messages from the shop's channels
    "customers:write",   # customers and their channel identities
    "events:read",       # the shop's outbound event stream (replies to deliver, actions)
    "catalog:write",     # products, groups, orders and reviews pushed in by the store
    "actions:confirm",   # the store confirming or failing a requested action
})

# What the firm roles may do, in every shop and at the firm level (roles.md, firm roles).
FIRM_ROLE_GRANTS: dict[FirmRole, frozenset[str]] = {
    FirmRole.PLATFORM_ADMIN: frozenset(
        {
            "shops:create", "shops:list", "shops:suspend", "shops:configure_limits",
            "shop:settings",
            # Places firm agents into shops; the member service narrows this to agents.
            "staff:read", "staff:add",
            "audit:read", "analytics:read", "analytics:firm",
        }
    ),
    FirmRole.PLATFORM_AUDITOR: frozenset({"shops:list", "staff:read", "audit:read"}),
}

PERMISSIONS: frozenset[str] = (frozenset(MATRIX) | FIRM_PERMISSIONS | INTEGRATION_SCOPES
                               | {ACCOUNT_SELF})


@dataclass(frozen=True, slots=True)
class PolicyLine:
    """One Casbin ``p`` line: ``p, perm, role, cond``."""

    perm: str
    role: str
    cond: str  # "always" | "wechat" | "mobile"


_CONDITION = {Cell.ALLOWED: "always", Cell.WECHAT: "wechat", Cell.MOBILE: "mobile"}


def policy_lines() -> list[PolicyLine]:
    """Every ``p`` line the catalog implies, shop roles and firm roles, in a stable order."""
    lines = [
        PolicyLine(perm, role.value, _CONDITION[cell])
        for perm, row in MATRIX.items()
        for role, cell in row.items()
        if cell is not Cell.DENIED
    ]
    lines += [
        PolicyLine(perm, role.value, "always")
        for role, perms in FIRM_ROLE_GRANTS.items()
        for perm in sorted(perms)
    ]
    return sorted(lines, key=lambda line: (line.perm, line.role))

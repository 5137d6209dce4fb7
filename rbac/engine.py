"""The in-memory policy: a Casbin enforcer plus the shop and user state it is asked about.

One ``PolicyEngine`` is built from a consistent snapshot (in a worker thread when large)
and then kept current by small, idempotent, version-guarded updates on the event loop.
Decisions are cached per shop; any change to a shop drops that shop's cache, and a change
to a firm role drops everything.

Known pycasbin pitfalls and how this module avoids them:
- a grouping added twice and removed once stays in force: groupings are applied as a
  *difference* against the members map, so a present grouping is never added again;
- an in-memory change that outlives a rolled-back transaction: nothing here changes until
  the change is committed and read back from the journal (see ``rbac.runtime``);
- a full load blocks the event loop: ``build`` runs off the loop and the result is swapped in.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import casbin
from casbin.model import fast_policy_filter

from rbac.catalog import MATRIX, PERMISSIONS, Cell, FirmRole, PolicyLine, ShopRole
from rbac.decision import Decision, Reason
from rbac.policy_store import ShopState, UserState

__all__ = ["FIRM_DOMAIN", "MODEL_PATH", "PolicyEngine", "Snapshot", "new_enforcer"]

MODEL_PATH = Path(__file__).with_name("model.conf")
FIRM_DOMAIN = "*"
_FIRM_ROLES = frozenset(role.value for role in FirmRole)
_CACHE_LIMIT = 500_000
logger = logging.getLogger(__name__)


def new_enforcer() -> casbin.FastEnforcer:
    """A Casbin enforcer on our model whose ``p`` lines are indexed by permission."""
    return casbin.FastEnforcer(str(MODEL_PATH), cache_key_order=[0])


@dataclass(slots=True)
class Snapshot:
    """A consistent read of the whole policy at ``version``."""

    version: int
    lines: list[PolicyLine]
    groupings: list[tuple[str, str, str]]  # (user, role, shop)
    shops: list[ShopState]
    users: list[UserState]


@dataclass(slots=True)
class PolicyEngine:
    enforcer: casbin.FastEnforcer
    lines: list[PolicyLine]
    shops: dict[str, ShopState] = field(default_factory=dict)
    users: dict[str, UserState] = field(default_factory=dict)
    members: dict[str, dict[str, str]] = field(default_factory=dict)  # shop -> user -> role
    _cache: dict[str, dict[tuple[str, str, str], Decision]] = field(default_factory=dict)
    _cached: int = 0

    @classmethod
    def build(cls, snapshot: Snapshot) -> PolicyEngine:
        """Build from a snapshot. Pure CPU work: safe to run in a worker thread."""
        enforcer = new_enforcer()
        p_policy = enforcer.get_model().model["p"]["p"].policy
        for line in snapshot.lines:
            p_policy.append([line.perm, line.role, line.cond])
        members: dict[str, dict[str, str]] = {}
        for user, role, shop in snapshot.groupings:
            members.setdefault(shop, {})[user] = role
        g_policy = enforcer.get_model().model["g"]["g"].policy
        # Appending straight to the model avoids pycasbin's per-line duplicate scan, which
        # is quadratic; the source rows are unique by (shop, user) already.
        g_policy.extend([user, role, shop] for shop, by_user in members.items()
                        for user, role in by_user.items())
        users = {u.user_id: u for u in snapshot.users}
        g_policy.extend([u.user_id, u.platform_role, FIRM_DOMAIN] for u in snapshot.users
                        if u.platform_role)
        enforcer.build_role_links()
        return cls(enforcer=enforcer, lines=list(snapshot.lines),
                   shops={s.shop_id: s for s in snapshot.shops}, users=users, members=members)

    # -- updates (event loop only) -------------------------------------------------------

    def set_shop(self, state: ShopState, members: dict[str, str]) -> bool:
        """Make a shop's state and groupings equal to the given ones, unless they are older."""
        current = self.shops.get(state.shop_id)
        if current is not None and state.version < current.version:
            return False
        self._replace_groupings(state.shop_id, self.members.get(state.shop_id, {}), members)
        self.members[state.shop_id] = dict(members)
        self.shops[state.shop_id] = state
        self._drop_cache(state.shop_id)
        return True

    def set_user(self, state: UserState) -> None:
        """Apply a user's firm role and session state."""
        old = self.users.get(state.user_id)
        old_role = old.platform_role if old else None
        if old_role != state.platform_role:
            if old_role:
                self.enforcer.remove_grouping_policy(state.user_id, old_role, FIRM_DOMAIN)
            if state.platform_role:
                self.enforcer.add_grouping_policy(state.user_id, state.platform_role, FIRM_DOMAIN)
        self.users[state.user_id] = state
        # A firm role reaches every shop, so every cached decision may be stale.
        self._cache.clear()
        self._cached = 0

    def _replace_groupings(self, shop: str, old: dict[str, str], new: dict[str, str]) -> None:
        for user, role in old.items():
            if new.get(user) != role:
                self.enforcer.remove_grouping_policy(user, role, shop)
        for user, role in new.items():
            if old.get(user) != role:
                self.enforcer.add_grouping_policy(user, role, shop)

    def _drop_cache(self, shop: str) -> None:
        dropped = self._cache.pop(shop, None)
        if dropped:
            self._cached -= len(dropped)

    # -- decisions -----------------------------------------------------------------------

    def decide(self, perm: str, user_id: str, domain: str, client: str) -> Decision:
        """May ``user_id`` use ``perm`` in ``domain`` (a shop id or ``"*"``) from ``client``?"""
        per_shop = self._cache.get(domain)
        if per_shop is None:
            per_shop = self._cache[domain] = {}
        key = (perm, user_id, client)
        decision = per_shop.get(key)
        if decision is None:
            decision = self.evaluate(perm, user_id, domain, client)
            if self._cached >= _CACHE_LIMIT:
                self._cache.clear()
                self._cached = 0
                per_shop = self._cache[domain] = {}
            per_shop[key] = decision
            self._cached += 1
        return decision

    def evaluate(self, perm: str, user_id: str, domain: str, client: str) -> Decision:
        """Decide without the cache: Casbin decides, the rest explains a denial."""
        if perm not in PERMISSIONS:
            logger.warning("unknown permission key denied: %s", perm)
            return Decision(False, Reason.UNKNOWN_PERMISSION)
        if domain == FIRM_DOMAIN:
            wechat, status = "unbound", "active"
        else:
            shop = self.shops.get(domain)
            if shop is None:
                return Decision(False, Reason.UNKNOWN_SHOP)
            wechat = "bound" if shop.wechat_bound else "unbound"
            status = shop.status
        allowed, rule = self.enforce(perm, user_id, domain, client, wechat, status)
        if allowed:
            role = rule[1]
            return Decision(True, Reason.ALLOWED, role=role, rule=tuple(rule),
                            via="firm" if role in _FIRM_ROLES else "shop")
        return self._explain_denial(perm, user_id, domain, client, wechat, status)

    def enforce(self, perm: str, user_id: str, domain: str, client: str, wechat: str,
                status: str) -> tuple[bool, list[str]]:
        """The raw Casbin call, with ``p`` lines narrowed to this permission."""
        with fast_policy_filter(self.enforcer.get_model().model["p"]["p"].policy, perm):
            return self.enforcer.enforce_ex(perm, user_id, domain, client, wechat, status)

    def _explain_denial(self, perm: str, user_id: str, domain: str, client: str, wechat: str,
                        status: str) -> Decision:
        user = self.users.get(user_id)
        firm_role = user.platform_role if user else None
        if domain == FIRM_DOMAIN:
            return Decision(False, Reason.PERMISSION_MISSING, role=firm_role)
        role = self.members.get(domain, {}).get(user_id)
        if role is None:
            # A firm role knows every shop exists; anyone else must not learn it does.
            reason = Reason.PERMISSION_MISSING if firm_role else Reason.NOT_MEMBER
            return Decision(False, reason, role=firm_role)
        if status != "active":
            return Decision(False, Reason.SHOP_SUSPENDED, role=role)
        if role == ShopRole.VERIFIER and client != "mobile":
            return Decision(False, Reason.WEB_CLIENT_FOR_VERIFIER, role=role)
        cell = MATRIX.get(perm, {}).get(ShopRole(role))
        if cell is Cell.WECHAT and wechat != "bound":
            return Decision(False, Reason.WECHAT_NOT_BOUND, role=role)
        if cell is Cell.MOBILE and client != "mobile":
            return Decision(False, Reason.MOBILE_ONLY, role=role)
        return Decision(False, Reason.PERMISSION_MISSING, role=role)

    # -- reads for the auditors' view ---------------------------------------------------------

    def shops_of(self, user_id: str) -> Iterable[tuple[str, str]]:
        """(shop, role) for every shop where the user is an active member."""
        for shop, by_user in self.members.items():
            role = by_user.get(user_id)
            if role is not None:
                yield shop, role

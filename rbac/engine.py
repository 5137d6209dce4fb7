"""The in-memory policy: a Casbin enforcer plus the shop and user state it is asked about.

One ``PolicyEngine`` is built from a consistent snapshot (in a worker thread when large)
and then kept current by small, idempotent, version-guarded updates on the event loop.
Decisions are cached per shop; any change to a shop drops that shop's cache, and a change
to a firm role drops everything.

Groupings live only in the enforcer's role manager (``g`` is answered from its links), and
``members`` is their source of truth. Known pycasbin pitfalls and how this module avoids them:
- a grouping added twice and removed once stays in force: links are changed as a
  *difference* against ``members``, so a present link is never added again;
- adding or removing one grouping scans the model's whole grouping list (100k entries at
  10k shops): links go straight to the role manager, per shop, never through that list;
- the default name matcher makes every new role scan all roles of its shop: it is off;
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
    enforcer = casbin.FastEnforcer(str(MODEL_PATH), cache_key_order=[0])
    # Names are plain ids, never patterns: exact matching only.
    enforcer.get_role_manager().matching_func = None
    return enforcer


@dataclass(slots=True)
class Snapshot:
    """A consistent read of the whole policy at ``version``."""

    version: int
    lines: list[PolicyLine]
    groupings: list[tuple[str, str, str]]  # (user, role, shop)
    shops: list[ShopState]
    users: list[UserState]

    def release(self) -> None:
        """Empty the lists piece by piece (see ``PolicyEngine.dismantle`` for why)."""
        for items in (self.groupings, self.shops, self.users):
            while items:
                del items[-1000:]


@dataclass(slots=True)
class PolicyEngine:
    enforcer: casbin.FastEnforcer
    lines: list[PolicyLine]
    shops: dict[str, ShopState] = field(default_factory=dict)
    users: dict[str, UserState] = field(default_factory=dict)
    members: dict[str, dict[str, str]] = field(default_factory=dict)  # shop -> user -> role
    _cache: dict[str, dict[tuple[str, str, str], Decision]] = field(default_factory=dict)
    _conditions: dict[tuple[str, str], str] = field(default_factory=dict)  # (perm, role) -> cond
    _cached: int = 0

    @classmethod
    def build(cls, snapshot: Snapshot) -> PolicyEngine:
        """Build from a snapshot. Pure CPU work: safe to run in a worker thread."""
        enforcer = new_enforcer()
        p_policy = enforcer.get_model().model["p"]["p"].policy
        for line in snapshot.lines:
            p_policy.append([line.perm, line.role, line.cond])
        links = enforcer.get_role_manager()
        members: dict[str, dict[str, str]] = {}
        for user, role, shop in snapshot.groupings:
            members.setdefault(shop, {})[user] = role
            links.add_link(user, role, shop)  # rows are unique by (shop, user) already
        users = {u.user_id: u for u in snapshot.users}
        for u in snapshot.users:
            if u.platform_role:
                links.add_link(u.user_id, u.platform_role, FIRM_DOMAIN)
        return cls(enforcer=enforcer, lines=list(snapshot.lines),
                   shops={s.shop_id: s for s in snapshot.shops}, users=users, members=members,
                   _conditions={(line.perm, line.role): line.cond for line in snapshot.lines})

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
        self.users[state.user_id] = state
        if old_role == state.platform_role:
            return  # sessions or activation: checked per request, never cached
        links = self.enforcer.get_role_manager()
        if old_role:
            links.delete_link(state.user_id, old_role, FIRM_DOMAIN)
        if state.platform_role:
            links.add_link(state.user_id, state.platform_role, FIRM_DOMAIN)
        # A firm role reaches every shop, so every cached decision may be stale.
        self._cache.clear()
        self._cached = 0

    def _replace_groupings(self, shop: str, old: dict[str, str], new: dict[str, str]) -> None:
        links = self.enforcer.get_role_manager()
        for user, role in old.items():
            if new.get(user) != role:
                links.delete_link(user, role, shop)
        for user, role in new.items():
            if old.get(user) != role:
                links.add_link(user, role, shop)

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
        if not self._has_firm_role(user_id) and (
                domain == FIRM_DOMAIN or user_id not in self.members.get(domain, ())):
            # Neither a member nor firm staff: nothing in the policy can allow it, and asking
            # Casbin would make its role manager remember every stranger it was asked about.
            return Decision(False, Reason.PERMISSION_MISSING if domain == FIRM_DOMAIN
                            else Reason.NOT_MEMBER)
        allowed, rule = self.enforce(perm, user_id, domain, client, wechat, status)
        if allowed:
            rule = self._shop_rule(perm, user_id, domain, client, wechat, status) or rule
            role = rule[1]
            return Decision(True, Reason.ALLOWED, role=role, rule=tuple(rule),
                            via="firm" if role in _FIRM_ROLES else "shop")
        return self._explain_denial(perm, user_id, domain, client, wechat, status)

    def enforce(self, perm: str, user_id: str, domain: str, client: str, wechat: str,
                status: str) -> tuple[bool, list[str]]:
        """The raw Casbin call, with ``p`` lines narrowed to this permission."""
        with fast_policy_filter(self.enforcer.get_model().model["p"]["p"].policy, perm):
            return self.enforcer.enforce_ex(perm, user_id, domain, client, wechat, status)

    def _shop_rule(self, perm: str, user_id: str, domain: str, client: str, wechat: str,
                   status: str) -> list[str] | None:
        """The caller's own shop-role line, when it grants ``perm`` too.

        Casbin reports whichever matching line it met first; for a shop member who is also
        firm staff the shop role is the truer explanation (and what the staff rules use).
        """
        role = self.members.get(domain, {}).get(user_id)
        cond = self._conditions.get((perm, role)) if role and status == "active" else None
        if cond == "always" or (cond == "wechat" and wechat == "bound") or (
                cond == "mobile" and client == "mobile"):
            return [perm, role, cond]
        return None

    def _has_firm_role(self, user_id: str) -> bool:
        user = self.users.get(user_id)
        return user is not None and user.platform_role is not None

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

    def dismantle(self) -> None:
        """Break the role manager's reference cycles so the engine frees without a collection.

        Runs in a worker thread. Everything is released item by item: freeing a whole large
        container is one C call that holds the GIL, and the event loop would wait for it.
        """
        domains = self.enforcer.get_role_manager()
        while domains.rm_map:
            _, manager = domains.rm_map.popitem()
            while manager.all_roles:
                _, role = manager.all_roles.popitem()
                role.roles.clear()
                role.users.clear()
        for container in (domains.all_links, self._cache, self.members, self.shops, self.users):
            while container:
                container.popitem()

    # -- reads for the auditors' view ---------------------------------------------------------

    def shops_of(self, user_id: str) -> Iterable[tuple[str, str]]:
        """(shop, role) for every shop where the user is an active member."""
        for shop, by_user in self.members.items():
            role = by_user.get(user_id)
            if role is not None:
                yield shop, role

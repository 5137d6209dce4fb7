"""Which controllers the API serves: firm-level ones, and those under ``/shops/{shop_id}``."""

from __future__ import annotations

from typing import Any

__all__ = ["firm_route_handlers", "shop_route_handlers"]


def firm_route_handlers() -> list[Any]:
    from api.domain.audit.controllers import FirmAuditController
    from api.domain.auth.controllers import AuthController
    from api.domain.invitations.controllers import InvitationAcceptController
    from api.domain.me.controllers import MeController
    from api.domain.shops.controllers import FirmShopController
    from api.domain.sla.controllers import FirmSlaController

    return [AuthController, MeController, FirmShopController, FirmAuditController,
            FirmSlaController, InvitationAcceptController]


def shop_route_handlers() -> list[Any]:
    """Everything here gets ``shop_session``: a session bound to the shop in the path."""
    from api.domain.audit.controllers import AuditController
    from api.domain.authz.controllers import AuthzController
    from api.domain.auto_replies.controllers import AutoReplyController
    from api.domain.commerce_desk.routes import desk_route_handlers
    from api.domain.conversations.routes import workspace_route_handlers
    from api.domain.events.controllers import EventStreamController, IntegrationEventController
    from api.domain.faq.controllers import FaqController
    from api.domain.invitations.controllers import InvitationController
    from api.domain.members.controllers import MemberController
    from api.domain.quick_phrases.controllers import (
        PersonalQuickPhraseController,
        QuickPhraseController,
    )
    from api.domain.rate_limits.controllers import RateLimitController
    from api.domain.shops.controllers import ShopController
    from api.domain.sla.controllers import SlaController
    from api.domain.webhooks.controllers import WebhookController

    return [ShopController, MemberController, InvitationController, AuthzController,
            AuditController,
            *desk_route_handlers(), *commerce_route_handlers(), *workspace_route_handlers(),
            QuickPhraseController, PersonalQuickPhraseController, AutoReplyController,
            FaqController, EventStreamController, IntegrationEventController, SlaController,
            WebhookController, RateLimitController]


def commerce_route_handlers() -> list[Any]:
    """The commerce desk (issue 8, first half): store actions, orders, products, customers'
    profiles, after-sales. Listed here: a list inside one of those slices would import the
    others and close an import cycle between sibling slices."""
    from api.domain.after_sales.controllers import AfterSalesController, RefundController
    from api.domain.customer_profile.controllers import (
        CustomerLevelController,
        CustomerProfileController,
        CustomerTagController,
        PointsRuleController,
    )
    from api.domain.orders.controllers import OrderController, OrderSyncController
    from api.domain.products.controllers import (
        CatalogSyncController,
        ProductController,
        ProductGroupController,
    )
    from api.domain.store_actions.controllers import StoreActionController

    return [StoreActionController, OrderController, OrderSyncController, AfterSalesController,
            RefundController, ProductController, ProductGroupController, CatalogSyncController,
            CustomerProfileController, CustomerTagController, CustomerLevelController,
            PointsRuleController]

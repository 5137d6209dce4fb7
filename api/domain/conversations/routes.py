"""Every controller of the workspace core, for ``api.routes`` to mount under a shop."""

from __future__ import annotations

from typing import Any

__all__ = ["workspace_route_handlers"]


def workspace_route_handlers() -> list[Any]:
    from api.domain.conversations.controllers import (
        ConversationController,
        InboundController,
        WorkspaceSettingsController,
    )
    from api.domain.customers.controllers import CustomerController
    from api.domain.integrations.controllers import IntegrationKeyController
    from api.domain.presence.controllers import PresenceController

    return [IntegrationKeyController, CustomerController, InboundController,
            ConversationController, WorkspaceSettingsController, PresenceController]

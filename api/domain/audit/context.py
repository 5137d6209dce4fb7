"""Who did it, from where: what every audit entry carries about the request."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.connection import ASGIConnection

from api.auth.principal import IntegrationKeyPrincipal, Principal, UserPrincipal

__all__ = ["AuditContext", "audit_actor", "audit_context_of", "provide_audit_context"]


@dataclass(frozen=True, slots=True)
class AuditContext:
    actor_id: str | None
    client: str | None
    ip: str | None
    request_id: str | None


def audit_actor(principal: Principal) -> tuple[str, str]:
    """(actor id, client) as the audit log names a caller."""
    if isinstance(principal, IntegrationKeyPrincipal):
        return principal.actor_id, principal.client
    return principal.user_id, principal.client.value


def audit_context_of(connection: ASGIConnection, principal: Principal | None = None) -> AuditContext:
    if principal is None:
        user = connection.scope.get("user")
        principal = user if isinstance(user, UserPrincipal | IntegrationKeyPrincipal) else None
    # An integration key is its own actor: its id, with the client naming it as a key.
    if isinstance(principal, IntegrationKeyPrincipal):
        actor_id, client = principal.actor_id, principal.client
    elif principal is not None:
        actor_id, client = principal.user_id, principal.client.value
    else:
        actor_id = client = None
    return AuditContext(
        actor_id=actor_id,
        client=client,
        ip=connection.client.host if connection.client else None,
        request_id=connection.scope.get("state", {}).get("request_id"),
    )


def provide_audit_context(request: ASGIConnection) -> AuditContext:
    return audit_context_of(request)

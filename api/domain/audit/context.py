"""Who did it, from where: what every audit entry carries about the request."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.connection import ASGIConnection

from api.auth.principal import Principal

__all__ = ["AuditContext", "audit_context_of", "provide_audit_context"]


@dataclass(frozen=True, slots=True)
class AuditContext:
    actor_id: str | None
    client: str | None
    ip: str | None
    request_id: str | None


def audit_context_of(connection: ASGIConnection, principal: Principal | None = None) -> AuditContext:
    if principal is None:
        user = connection.scope.get("user")
        principal = user if isinstance(user, Principal) else None
    return AuditContext(
        actor_id=principal.user_id if principal else None,
        client=principal.client.value if principal else None,
        ip=connection.client.host if connection.client else None,
        request_id=connection.scope.get("state", {}).get("request_id"),
    )


def provide_audit_context(request: ASGIConnection) -> AuditContext:
    return audit_context_of(request)

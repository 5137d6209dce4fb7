"""Every model, imported once so the metadata is complete (Alembic, tests)."""

from __future__ import annotations

from api.db.base import Base
from api.domain.audit.models import AuditEntry
from api.domain.auth.models import LoginAttempt, RefreshToken
from api.domain.members.models import ShopMember
from api.domain.shops.models import Shop
from api.domain.users.models import User

__all__ = ["AuditEntry", "LoginAttempt", "RefreshToken", "Shop", "ShopMember", "User", "metadata"]

metadata = Base.metadata

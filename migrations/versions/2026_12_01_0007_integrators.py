"""Webhooks, rate limits, idempotency (issue 9).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""
from __future__ import annotations

from alembic import context, op
from sqlalchemy.util import await_only

from api.db.tenancy_ddl import tenant_table_sql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _sql(script: str) -> None:
    driver = op.get_bind().connection.dbapi_connection.driver_connection
    await_only(driver.execute(script))


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    _ = (app_role, tenant_table_sql)  # nothing yet


def downgrade() -> None:
    pass

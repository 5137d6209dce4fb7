"""Invitations: single-use, expiring tokens that turn an e-mail into a membership (issues 9, 11).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""
from __future__ import annotations

from alembic import context, op
from sqlalchemy.util import await_only

from api.db.tenancy_ddl import tenant_table_sql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _sql(script: str) -> None:
    driver = op.get_bind().connection.dbapi_connection.driver_connection
    await_only(driver.execute(script))


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    # A shop's invitation of an e-mail address into a role. Until it is accepted the shop
    # knows only what it typed: nothing says whether an account with that address exists.
    # The token is 'inv_' || shop (hex) || '_' || id (hex) || '_' || secret; only
    # sha256(secret) is kept.
    _sql("""
    CREATE TABLE invitations (
        shop_id uuid NOT NULL REFERENCES shops (id),
        id uuid NOT NULL,
        email text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 320),
        role text NOT NULL
            CHECK (role IN ('founder', 'senior_admin', 'admin', 'agent', 'verifier')),
        secret_hash bytea NOT NULL,
        invited_by uuid REFERENCES users (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        sent_count integer NOT NULL DEFAULT 1,
        accepted_at timestamptz,
        accepted_by uuid REFERENCES users (id),
        revoked_at timestamptz,
        CONSTRAINT pk_invitations PRIMARY KEY (shop_id, id)
    );
    -- One open invitation per address and shop: inviting again renews it.
    CREATE UNIQUE INDEX uq_invitations_open ON invitations (shop_id, email)
        WHERE accepted_at IS NULL AND revoked_at IS NULL;
    CREATE INDEX ix_invitations_created ON invitations (shop_id, created_at, id);
    """)
    _sql(tenant_table_sql("invitations"))
    _sql(f"GRANT SELECT, INSERT, UPDATE ON invitations TO {app_role}")


def downgrade() -> None:
    _sql("DROP TABLE IF EXISTS invitations")

"""Hardening (issue 11): signed-out sessions every process refuses, folded refusals.

- ``revoked_sessions``: a signed-out refresh-token family (the ``sid`` of its access tokens),
  kept until the last access token it issued has expired. Every process loads the live ones
  into the policy engine's user state and refuses those tokens on the next request.
- ``audit_denial_folds``: repeated identical refusals within a window are counted here and
  written to the (append-only) chain as one entry with ``details.count`` when the window
  closes; the first of each window is written at once. Shop-owned, under the tenant policy.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""
from __future__ import annotations

from alembic import context, op
from sqlalchemy.util import await_only

from api.db.tenancy_ddl import tenant_table_sql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _sql(script: str) -> None:
    driver = op.get_bind().connection.dbapi_connection.driver_connection
    await_only(driver.execute(script))


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    _sql(f"""
    CREATE TABLE revoked_sessions (
        family_id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        revoked_at timestamptz NOT NULL DEFAULT now(),
        -- past this, every access token of the family has expired: the row can go
        expires_at timestamptz NOT NULL
    );
    CREATE INDEX ix_revoked_sessions_user ON revoked_sessions (user_id, expires_at);
    GRANT SELECT, INSERT, UPDATE, DELETE ON revoked_sessions TO {app_role};

    CREATE TABLE audit_denial_folds (
        shop_id uuid NOT NULL,
        fold_key text NOT NULL,
        window_started_at timestamptz NOT NULL,
        last_at timestamptz NOT NULL,
        pending integer NOT NULL DEFAULT 0 CHECK (pending >= 0),
        -- what the folded entry will say: actor, client, ip, action, target, details
        sample jsonb NOT NULL,
        CONSTRAINT pk_audit_denial_folds PRIMARY KEY (shop_id, fold_key)
    );
    CREATE INDEX ix_audit_denial_folds_pending ON audit_denial_folds (shop_id, window_started_at)
        WHERE pending > 0;
    {tenant_table_sql("audit_denial_folds")}
    GRANT SELECT, INSERT, UPDATE, DELETE ON audit_denial_folds TO {app_role};
    """)


def downgrade() -> None:
    _sql("DROP TABLE IF EXISTS audit_denial_folds; DROP TABLE IF EXISTS revoked_sessions;")

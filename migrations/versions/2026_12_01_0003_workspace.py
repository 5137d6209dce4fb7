"""Workspace: presence, assignment settings, transfers (issue 6).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""
from __future__ import annotations

from alembic import context, op
from sqlalchemy.util import await_only

from api.db.tenancy_ddl import tenant_table_sql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ("shop_workspace_settings", "staff_presence", "conversation_transfers")


def _sql(script: str) -> None:
    driver = op.get_bind().connection.dbapi_connection.driver_connection
    await_only(driver.execute(script))


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    _sql("""
    -- How a shop hands out new conversations. The row is also the lock that serialises
    -- auto-assignment decisions in one shop (capacity and the round-robin cursor).
    CREATE TABLE shop_workspace_settings (
        shop_id uuid NOT NULL REFERENCES shops (id),
        assignment_mode text NOT NULL DEFAULT 'off'
            CHECK (assignment_mode IN ('off', 'round_robin', 'least_open')),
        agent_capacity integer NOT NULL DEFAULT 5 CHECK (agent_capacity BETWEEN 1 AND 500),
        last_assignee_id uuid,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_shop_workspace_settings PRIMARY KEY (shop_id)
    );

    -- Online / busy / offline per staff member per shop (the seed's 离线). No row: offline.
    -- via 'live': kept alive by a live-stream tool's heartbeats; once refreshed_at is older
    -- than the configured time, readers treat it as offline.
    CREATE TABLE staff_presence (
        shop_id uuid NOT NULL,
        user_id uuid NOT NULL,
        status text NOT NULL CHECK (status IN ('online', 'busy', 'offline')),
        via text NOT NULL DEFAULT 'workspace' CHECK (via IN ('workspace', 'live')),
        refreshed_at timestamptz NOT NULL DEFAULT now(),
        changed_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_staff_presence PRIMARY KEY (shop_id, user_id),
        CONSTRAINT fk_staff_presence_member FOREIGN KEY (shop_id, user_id)
            REFERENCES shop_members (shop_id, user_id)
    );

    -- Every hand-over of a conversation, with the reason given.
    CREATE TABLE conversation_transfers (
        shop_id uuid NOT NULL,
        id uuid NOT NULL,
        conversation_id uuid NOT NULL,
        from_user_id uuid,
        to_user_id uuid NOT NULL,
        actor_id uuid NOT NULL,
        reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_conversation_transfers PRIMARY KEY (shop_id, id),
        CONSTRAINT fk_conversation_transfers_conversation FOREIGN KEY (shop_id, conversation_id)
            REFERENCES conversations (shop_id, id),
        CONSTRAINT fk_conversation_transfers_to FOREIGN KEY (shop_id, to_user_id)
            REFERENCES shop_members (shop_id, user_id)
    );
    CREATE INDEX ix_conversation_transfers_conversation
        ON conversation_transfers (shop_id, conversation_id, created_at);

    -- The waiting queue is ordered by when the current cycle started (a reopened
    -- conversation waits from its reopening, not from its first message years ago).
    CREATE INDEX ix_conversations_waiting ON conversations (shop_id, cycle_started_at, id)
        WHERE assignee_id IS NULL AND status <> 'resolved';
    -- Lists are newest first over an immutable key (created_at, id), per filter.
    CREATE INDEX ix_conversations_created ON conversations (shop_id, created_at, id);
    CREATE INDEX ix_conversations_assignee_created
        ON conversations (shop_id, assignee_id, created_at, id);
    CREATE INDEX ix_conversations_status_created
        ON conversations (shop_id, status, created_at, id);
    -- Open conversations per assignee (capacity checks).
    CREATE INDEX ix_conversations_assignee_open ON conversations (shop_id, assignee_id)
        WHERE status <> 'resolved';
    """)
    for table in TABLES:
        _sql(tenant_table_sql(table))
    _sql(f"""
    GRANT SELECT, INSERT, UPDATE ON shop_workspace_settings, staff_presence TO {app_role};
    GRANT SELECT, INSERT ON conversation_transfers TO {app_role};
    """)


def downgrade() -> None:
    for index in ("ix_conversations_waiting", "ix_conversations_created",
                  "ix_conversations_assignee_created", "ix_conversations_status_created",
                  "ix_conversations_assignee_open"):
        _sql(f"DROP INDEX IF EXISTS {index}")
    for table in reversed(TABLES):
        _sql(f"DROP TABLE IF EXISTS {table}")

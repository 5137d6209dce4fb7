"""Workspace core: integration keys, customers and their channel identities, conversations,
messages, and the shop's event log (the outbox every stream and webhook reads).

Every table is shop-owned: ``shop_id`` leads the primary key and sits inside every foreign
key, and RLS is enabled and forced with the one tenant policy.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""
from __future__ import annotations

from alembic import context, op
from sqlalchemy.util import await_only

from api.db.tenancy_ddl import tenant_table_sql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ("integration_keys", "customers", "customer_identities", "conversations",
          "messages", "shop_event_counters", "events")


def _sql(script: str) -> None:
    driver = op.get_bind().connection.dbapi_connection.driver_connection
    await_only(driver.execute(script))


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    _sql("""
    -- A shop's own systems (storefront, WeChat bridge, live-stream tool) call ShopDesk with
    -- a key: 'sdk_' || id (hex) || '_' || secret. Only sha256(secret) is kept; the secret
    -- has 256 bits of entropy, so a fast hash is enough and lookups stay cheap.
    CREATE TABLE integration_keys (
        shop_id uuid NOT NULL REFERENCES shops (id),
        id uuid NOT NULL,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        prefix text NOT NULL,
        secret_hash bytea NOT NULL,
        scopes text[] NOT NULL,
        created_by uuid REFERENCES users (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz,
        revoked_by uuid REFERENCES users (id),
        CONSTRAINT pk_integration_keys PRIMARY KEY (shop_id, id)
    );

    -- A buyer of one shop. The same channel identity always maps to the same customer.
    CREATE TABLE customers (
        shop_id uuid NOT NULL REFERENCES shops (id),
        id uuid NOT NULL,
        display_name text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_customers PRIMARY KEY (shop_id, id)
    );
    CREATE TABLE customer_identities (
        shop_id uuid NOT NULL,
        channel text NOT NULL CHECK (channel IN ('web', 'mobile', 'wechat', 'live')),
        external_id text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 200),
        customer_id uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_customer_identities PRIMARY KEY (shop_id, channel, external_id),
        CONSTRAINT fk_customer_identities_customer FOREIGN KEY (shop_id, customer_id)
            REFERENCES customers (shop_id, id)
    );
    CREATE INDEX ix_customer_identities_customer ON customer_identities (shop_id, customer_id);

    -- One thread with one customer on one channel. A cycle starts when it opens and again
    -- when a resolved conversation is reopened by a new customer message.
    CREATE TABLE conversations (
        shop_id uuid NOT NULL,
        id uuid NOT NULL,
        customer_id uuid NOT NULL,
        channel text NOT NULL CHECK (channel IN ('web', 'mobile', 'wechat', 'live')),
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'pending', 'resolved')),
        priority text NOT NULL DEFAULT 'normal'
            CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
        assignee_id uuid,
        cycle integer NOT NULL DEFAULT 1,
        cycle_started_at timestamptz NOT NULL DEFAULT now(),
        last_message_seq integer NOT NULL DEFAULT 0,
        last_customer_message_at timestamptz,
        -- The oldest customer message no qualifying reply has answered yet (NULL: none).
        waiting_since timestamptz,
        assigned_at timestamptz,
        resolved_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_conversations PRIMARY KEY (shop_id, id),
        CONSTRAINT fk_conversations_customer FOREIGN KEY (shop_id, customer_id)
            REFERENCES customers (shop_id, id),
        CONSTRAINT fk_conversations_assignee FOREIGN KEY (shop_id, assignee_id)
            REFERENCES shop_members (shop_id, user_id)
    );
    -- The waiting queue (unclaimed, oldest first) and each assignee's own list.
    CREATE INDEX ix_conversations_queue ON conversations (shop_id, created_at, id)
        WHERE assignee_id IS NULL AND status <> 'resolved';
    CREATE INDEX ix_conversations_assignee ON conversations (shop_id, assignee_id, updated_at, id);
    CREATE INDEX ix_conversations_status ON conversations (shop_id, status, updated_at, id);
    CREATE INDEX ix_conversations_customer ON conversations (shop_id, customer_id, created_at);
    -- At most one conversation that is not resolved per customer and channel.
    CREATE UNIQUE INDEX uq_conversations_live ON conversations (shop_id, customer_id, channel)
        WHERE status <> 'resolved';

    -- author_kind: customer (the buyer), staff (a human of the shop), automatic
    -- (auto-reply or hosting), system (an integration posting as the shop). Only public
    -- staff messages are qualifying replies; notes are never shown to the customer.
    CREATE TABLE messages (
        shop_id uuid NOT NULL,
        id uuid NOT NULL,
        conversation_id uuid NOT NULL,
        seq integer NOT NULL,
        cycle integer NOT NULL,
        channel text NOT NULL CHECK (channel IN ('web', 'mobile', 'wechat', 'live')),
        author_kind text NOT NULL
            CHECK (author_kind IN ('customer', 'staff', 'automatic', 'system')),
        visibility text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'note')),
        author_id uuid,
        body text NOT NULL DEFAULT '',
        attachments jsonb NOT NULL DEFAULT '[]'::jsonb,
        -- The channel's own id for an inbound message: a redelivery stores nothing new.
        channel_message_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_messages PRIMARY KEY (shop_id, id),
        CONSTRAINT fk_messages_conversation FOREIGN KEY (shop_id, conversation_id)
            REFERENCES conversations (shop_id, id),
        CONSTRAINT uq_messages_conversation_seq UNIQUE (shop_id, conversation_id, seq),
        CONSTRAINT ck_messages_note_by_staff CHECK (visibility = 'public' OR author_kind = 'staff')
    );
    CREATE UNIQUE INDEX uq_messages_channel_message ON messages
        (shop_id, channel, channel_message_id) WHERE channel_message_id IS NOT NULL;
    CREATE INDEX ix_messages_created ON messages (shop_id, created_at);

    -- The shop's event log: the outbox for live streams and webhooks, written in the
    -- transaction of the change that causes it. seq is per shop and handed out under a row
    -- lock on the counter, so within a shop commit order equals seq order and a reader
    -- resuming after seq N never misses an event committed later with a smaller number.
    CREATE TABLE shop_event_counters (
        shop_id uuid NOT NULL REFERENCES shops (id),
        last_seq bigint NOT NULL DEFAULT 0,
        CONSTRAINT pk_shop_event_counters PRIMARY KEY (shop_id)
    );
    CREATE TABLE events (
        shop_id uuid NOT NULL,
        seq bigint NOT NULL,
        id uuid NOT NULL,
        type text NOT NULL,
        -- Who may see it on the staff stream: a permission key, and optionally the one
        -- staff member it concerns (an agent without cs:supervise sees their own only).
        permission text NOT NULL,
        subject_user_id uuid,
        data jsonb NOT NULL,
        occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT pk_events PRIMARY KEY (shop_id, seq)
    );
    CREATE INDEX ix_events_type ON events (shop_id, type, seq);
    """)
    for table in TABLES:
        _sql(tenant_table_sql(table))
    _sql(f"""
    GRANT SELECT, INSERT, UPDATE ON integration_keys, customers, customer_identities,
        conversations, messages, shop_event_counters TO {app_role};
    GRANT SELECT, INSERT ON events TO {app_role};
    """)
    # A key is presented before anything says which shop it belongs to, so its lookup
    # crosses shops: one narrow SECURITY DEFINER function owned by the loader role, like the
    # policy loader's. It returns the one key asked for by id, never a list.
    loader_role = context.config.attributes["loader_role"]
    _sql(f"""
    CREATE INDEX ix_integration_keys_id ON integration_keys (id);
    CREATE POLICY authz_loader_read ON integration_keys FOR SELECT TO {loader_role} USING (true);
    GRANT SELECT ON integration_keys TO {loader_role};
    CREATE FUNCTION integration_key_lookup(p_id uuid)
    RETURNS TABLE (shop_id uuid, prefix text, secret_hash bytea, scopes text[],
                   revoked_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        SELECT k.shop_id, k.prefix, k.secret_hash, k.scopes, k.revoked_at
          FROM public.integration_keys k WHERE k.id = p_id
    $$;
    ALTER FUNCTION integration_key_lookup(uuid) OWNER TO {loader_role};
    REVOKE ALL ON FUNCTION integration_key_lookup(uuid) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION integration_key_lookup(uuid) TO {app_role};
    """)


def downgrade() -> None:
    _sql("DROP FUNCTION IF EXISTS integration_key_lookup(uuid)")
    for table in reversed(TABLES):
        _sql(f"DROP TABLE IF EXISTS {table}")

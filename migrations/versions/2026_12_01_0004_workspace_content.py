"""Quick phrases, auto-reply and hosting, FAQ library (issue 6).

Every table is shop-owned: ``shop_id`` leads the primary key and sits inside every foreign
key, and RLS is enabled and forced with the one tenant policy.

Text search: under forced RLS the planner may only use *leakproof* operators as index
conditions ahead of the tenant policy, and ``ILIKE`` (like every pg_trgm and tsvector
operator) is not, so a trigram index would never serve the API's role. The searchable texts
are therefore also stored as their distinct lower-cased bigrams (``*_grams``): a search
looks its bigrams up by equality (``texteq`` is leakproof, the btree serves it), which
works for Chinese as for any script, and ``ILIKE`` only rechecks the few candidates.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""
from __future__ import annotations

from alembic import context, op
from sqlalchemy.util import await_only

from api.db.tenancy_ddl import tenant_table_sql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = ("quick_phrase_groups", "quick_phrases", "quick_phrase_grams", "auto_reply_rules",
          "hosting_settings", "hosting_replies", "faq_entries", "faq_entry_grams")


def _sql(script: str) -> None:
    driver = op.get_bind().connection.dbapi_connection.driver_connection
    await_only(driver.execute(script))


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    _sql("""
    -- owner_id NULL: a shop-wide group or phrase; otherwise one staff member's own.
    CREATE TABLE quick_phrase_groups (
        shop_id uuid NOT NULL REFERENCES shops (id),
        id uuid NOT NULL,
        owner_id uuid,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_quick_phrase_groups PRIMARY KEY (shop_id, id),
        CONSTRAINT fk_quick_phrase_groups_owner FOREIGN KEY (shop_id, owner_id)
            REFERENCES shop_members (shop_id, user_id)
    );
    CREATE UNIQUE INDEX uq_quick_phrase_groups_shop_name ON quick_phrase_groups
        (shop_id, lower(name)) WHERE owner_id IS NULL;
    CREATE UNIQUE INDEX uq_quick_phrase_groups_personal_name ON quick_phrase_groups
        (shop_id, owner_id, lower(name)) WHERE owner_id IS NOT NULL;

    CREATE TABLE quick_phrases (
        shop_id uuid NOT NULL REFERENCES shops (id),
        id uuid NOT NULL,
        owner_id uuid,
        group_id uuid,
        shortcut text NOT NULL CHECK (length(shortcut) BETWEEN 1 AND 32),
        body text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
        created_by uuid REFERENCES users (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_quick_phrases PRIMARY KEY (shop_id, id),
        CONSTRAINT fk_quick_phrases_owner FOREIGN KEY (shop_id, owner_id)
            REFERENCES shop_members (shop_id, user_id),
        CONSTRAINT fk_quick_phrases_group FOREIGN KEY (shop_id, group_id)
            REFERENCES quick_phrase_groups (shop_id, id)
    );
    -- One shortcut per scope (case-insensitive): the shop's, and each member's own.
    CREATE UNIQUE INDEX uq_quick_phrases_shop_shortcut ON quick_phrases
        (shop_id, lower(shortcut)) WHERE owner_id IS NULL;
    CREATE UNIQUE INDEX uq_quick_phrases_personal_shortcut ON quick_phrases
        (shop_id, owner_id, lower(shortcut)) WHERE owner_id IS NOT NULL;
    -- The list order (shortcut, id) within each scope, and a group's phrases.
    CREATE INDEX ix_quick_phrases_shop_list ON quick_phrases (shop_id, shortcut, id)
        WHERE owner_id IS NULL;
    CREATE INDEX ix_quick_phrases_personal_list ON quick_phrases (shop_id, owner_id, shortcut, id)
        WHERE owner_id IS NOT NULL;
    CREATE INDEX ix_quick_phrases_group ON quick_phrases (shop_id, group_id, shortcut, id);
    -- The distinct lower-cased bigrams of shortcut and body (written by the service).
    CREATE TABLE quick_phrase_grams (
        shop_id uuid NOT NULL,
        gram text NOT NULL,
        phrase_id uuid NOT NULL,
        CONSTRAINT pk_quick_phrase_grams PRIMARY KEY (shop_id, gram, phrase_id),
        CONSTRAINT fk_quick_phrase_grams_phrase FOREIGN KEY (shop_id, phrase_id)
            REFERENCES quick_phrases (shop_id, id) ON DELETE CASCADE
    );
    CREATE INDEX ix_quick_phrase_grams_phrase ON quick_phrase_grams (shop_id, phrase_id);

    -- keywords_norm: the keywords as the engine compares them (casefolded, spaces
    -- collapsed, computed by the service), so matching is a plain equality / strpos.
    CREATE TABLE auto_reply_rules (
        shop_id uuid NOT NULL REFERENCES shops (id),
        id uuid NOT NULL,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        match text NOT NULL CHECK (match IN ('exact', 'contains')),
        keywords text[] NOT NULL CHECK (cardinality(keywords) BETWEEN 1 AND 20),
        keywords_norm text[] NOT NULL CHECK (cardinality(keywords_norm) BETWEEN 1 AND 20),
        priority integer NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 10000),
        content jsonb NOT NULL CHECK (jsonb_typeof(content) = 'object'),
        enabled boolean NOT NULL DEFAULT true,
        created_by uuid REFERENCES users (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_auto_reply_rules PRIMARY KEY (shop_id, id)
    );
    CREATE INDEX ix_auto_reply_rules_list ON auto_reply_rules (shop_id, created_at, id);
    CREATE INDEX ix_auto_reply_rules_active ON auto_reply_rules
        (shop_id, priority DESC, created_at, id) WHERE enabled;

    -- 信息托管: one row per shop. windows: [{"start": "22:00", "end": "08:00"}, ...] in the
    -- shop's timezone (empty: all day); weekdays ISO 1 (Mon) .. 7 (Sun), the day a window
    -- starts on.
    CREATE TABLE hosting_settings (
        shop_id uuid NOT NULL REFERENCES shops (id),
        enabled boolean NOT NULL DEFAULT false,
        content jsonb NOT NULL CHECK (jsonb_typeof(content) = 'object'),
        windows jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(windows) = 'array'),
        weekdays smallint[] NOT NULL DEFAULT '{1,2,3,4,5,6,7}'
            CHECK (weekdays <@ '{1,2,3,4,5,6,7}'::smallint[]),
        wait_minutes integer NOT NULL DEFAULT 0 CHECK (wait_minutes BETWEEN 0 AND 1440),
        throttle_minutes integer NOT NULL DEFAULT 60
            CHECK (throttle_minutes BETWEEN 1 AND 10080),
        updated_by uuid REFERENCES users (id),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_hosting_settings PRIMARY KEY (shop_id)
    );
    -- When hosting last answered each customer: the once-per-M-minutes throttle, claimed
    -- with one conditional upsert so concurrent inbound messages send it once.
    CREATE TABLE hosting_replies (
        shop_id uuid NOT NULL,
        customer_id uuid NOT NULL,
        last_replied_at timestamptz NOT NULL,
        CONSTRAINT pk_hosting_replies PRIMARY KEY (shop_id, customer_id),
        CONSTRAINT fk_hosting_replies_customer FOREIGN KEY (shop_id, customer_id)
            REFERENCES customers (shop_id, id)
    );

    -- The FAQ library (seed 003): problem type - cause - answer script - action.
    CREATE TABLE faq_entries (
        shop_id uuid NOT NULL REFERENCES shops (id),
        id uuid NOT NULL,
        problem_type text NOT NULL CHECK (length(problem_type) BETWEEN 1 AND 100),
        cause text NOT NULL DEFAULT '' CHECK (length(cause) <= 2000),
        answer text NOT NULL CHECK (length(answer) BETWEEN 1 AND 4000),
        action text NOT NULL DEFAULT '' CHECK (length(action) <= 2000),
        search_text text GENERATED ALWAYS AS
            (problem_type || ' ' || cause || ' ' || answer || ' ' || action) STORED,
        created_by uuid REFERENCES users (id),
        updated_by uuid REFERENCES users (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_faq_entries PRIMARY KEY (shop_id, id)
    );
    CREATE INDEX ix_faq_entries_list ON faq_entries (shop_id, problem_type, id);
    CREATE TABLE faq_entry_grams (
        shop_id uuid NOT NULL,
        gram text NOT NULL,
        entry_id uuid NOT NULL,
        CONSTRAINT pk_faq_entry_grams PRIMARY KEY (shop_id, gram, entry_id),
        CONSTRAINT fk_faq_entry_grams_entry FOREIGN KEY (shop_id, entry_id)
            REFERENCES faq_entries (shop_id, id) ON DELETE CASCADE
    );
    CREATE INDEX ix_faq_entry_grams_entry ON faq_entry_grams (shop_id, entry_id);
    """)
    for table in TABLES:
        _sql(tenant_table_sql(table))
    _sql(f"""
    GRANT SELECT, INSERT, UPDATE, DELETE ON quick_phrase_groups, quick_phrases,
        quick_phrase_grams, auto_reply_rules, faq_entries, faq_entry_grams TO {app_role};
    GRANT SELECT, INSERT, UPDATE ON hosting_settings, hosting_replies TO {app_role};
    """)


def downgrade() -> None:
    for table in reversed(TABLES):
        _sql(f"DROP TABLE IF EXISTS {table}")

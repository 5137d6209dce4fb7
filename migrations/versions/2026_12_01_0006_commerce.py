"""Commerce desk: store actions, orders, products, customer profiles, after-sales (issue 8).

The store platform stays the source of truth for products and orders: ShopDesk keeps a copy
(upserted by the platform's id) and turns every staff action that must reach the store into
a ``store_actions`` row the store confirms (``applied``) or refuses (``failed`` + reason).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
from __future__ import annotations

from alembic import context, op
from sqlalchemy.util import await_only

from api.db.tenancy_ddl import tenant_table_sql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("store_actions", "commerce_settings", "order_close_reasons", "orders",
          "product_groups", "products", "product_group_items",
          "customer_tags", "customer_tag_links", "customer_levels", "customer_profiles",
          "points_rules", "points_ledger", "after_sales_cases", "refunds")
# Money: bigint minor units, bounded well inside bigint so sums never overflow.
_MONEY = "bigint NOT NULL CHECK ({col} BETWEEN 0 AND 1000000000000000)"


def _sql(script: str) -> None:
    driver = op.get_bind().connection.dbapi_connection.driver_connection
    await_only(driver.execute(script))


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    _sql(f"""
    -- One staff action that must reach the store. The same (shop, idempotency_key) is one
    -- action; at most one action of a kind is in flight per target.
    CREATE TABLE store_actions (
        shop_id uuid NOT NULL REFERENCES shops (id),
        id uuid NOT NULL,
        kind text NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
        target_type text NOT NULL CHECK (length(target_type) BETWEEN 1 AND 64),
        target_id uuid NOT NULL,
        payload jsonb NOT NULL DEFAULT '{{}}'::jsonb,
        status text NOT NULL DEFAULT 'requested'
            CHECK (status IN ('requested', 'applied', 'failed')),
        reason text CHECK (reason IS NULL OR length(reason) <= 1000),
        idempotency_key text CHECK (length(idempotency_key) BETWEEN 1 AND 200),
        requested_by uuid REFERENCES users (id),
        attempts integer NOT NULL DEFAULT 1,
        requested_at timestamptz NOT NULL DEFAULT now(),
        confirmed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_store_actions PRIMARY KEY (shop_id, id),
        CONSTRAINT uq_store_actions_idempotency UNIQUE (shop_id, idempotency_key)
    );
    CREATE UNIQUE INDEX uq_store_actions_in_flight ON store_actions
        (shop_id, target_type, target_id, kind) WHERE status = 'requested';
    CREATE INDEX ix_store_actions_target ON store_actions
        (shop_id, target_type, target_id, created_at, id);
    CREATE INDEX ix_store_actions_status ON store_actions (shop_id, status, created_at, id);

    -- The store's limits the desk enforces before asking the store.
    CREATE TABLE commerce_settings (
        shop_id uuid NOT NULL REFERENCES shops (id),
        refusal_window_hours integer NOT NULL DEFAULT 168
            CHECK (refusal_window_hours BETWEEN 1 AND 8760),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_commerce_settings PRIMARY KEY (shop_id)
    );

    -- The shop's own list of reasons an order may be closed for (seed 002 defaults).
    CREATE TABLE order_close_reasons (
        shop_id uuid NOT NULL REFERENCES shops (id),
        code text NOT NULL CHECK (code ~ '^[a-z0-9_]{{1,64}}$'),
        label text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
        active boolean NOT NULL DEFAULT true,
        position integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_order_close_reasons PRIMARY KEY (shop_id, code)
    );

    CREATE TABLE orders (
        shop_id uuid NOT NULL REFERENCES shops (id),
        id uuid NOT NULL,
        platform_order_id text NOT NULL CHECK (length(platform_order_id) BETWEEN 1 AND 200),
        customer_id uuid,
        status text NOT NULL CHECK (status IN ('pending_payment', 'paid', 'shipped', 'signed',
                                               'closed', 'refunded')),
        total_minor {_MONEY.format(col="total_minor")},
        paid_minor bigint CHECK (paid_minor BETWEEN 0 AND 1000000000000000),
        currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{{3}}$'),
        items jsonb NOT NULL DEFAULT '[]'::jsonb,
        paid_at timestamptz,
        shipped_at timestamptz,
        signed_at timestamptz,
        closed_at timestamptz,
        close_reason text,
        disputed boolean NOT NULL DEFAULT false,
        starred boolean NOT NULL DEFAULT false,
        note text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
        carrier text,
        tracking_number text,
        refused_at timestamptz,
        refusal_deadline timestamptz,
        placed_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_orders PRIMARY KEY (shop_id, id),
        CONSTRAINT uq_orders_platform UNIQUE (shop_id, platform_order_id),
        CONSTRAINT fk_orders_customer FOREIGN KEY (shop_id, customer_id)
            REFERENCES customers (shop_id, id)
    );
    CREATE INDEX ix_orders_list ON orders (shop_id, placed_at DESC, id DESC);
    CREATE INDEX ix_orders_status ON orders (shop_id, status, placed_at DESC, id DESC);
    CREATE INDEX ix_orders_disputed ON orders (shop_id, placed_at DESC, id DESC) WHERE disputed;
    CREATE INDEX ix_orders_starred ON orders (shop_id, placed_at DESC, id DESC) WHERE starred;
    CREATE INDEX ix_orders_customer ON orders (shop_id, customer_id, placed_at DESC);

    CREATE TABLE product_groups (
        shop_id uuid NOT NULL REFERENCES shops (id),
        id uuid NOT NULL,
        platform_group_id text CHECK (length(platform_group_id) BETWEEN 1 AND 200),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        position integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_product_groups PRIMARY KEY (shop_id, id),
        CONSTRAINT uq_product_groups_platform UNIQUE (shop_id, platform_group_id),
        CONSTRAINT uq_product_groups_name UNIQUE (shop_id, name)
    );
    CREATE TABLE products (
        shop_id uuid NOT NULL REFERENCES shops (id),
        id uuid NOT NULL,
        platform_product_id text NOT NULL CHECK (length(platform_product_id) BETWEEN 1 AND 200),
        title text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
        description text NOT NULL DEFAULT '' CHECK (length(description) <= 10000),
        price_minor {_MONEY.format(col="price_minor")},
        currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{{3}}$'),
        stock integer NOT NULL DEFAULT 0 CHECK (stock BETWEEN 0 AND 1000000000),
        status text NOT NULL DEFAULT 'unpublished' CHECK (status IN ('published', 'unpublished')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_products PRIMARY KEY (shop_id, id),
        CONSTRAINT uq_products_platform UNIQUE (shop_id, platform_product_id)
    );
    CREATE INDEX ix_products_list ON products (shop_id, created_at, id);
    CREATE TABLE product_group_items (
        shop_id uuid NOT NULL,
        group_id uuid NOT NULL,
        product_id uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_product_group_items PRIMARY KEY (shop_id, group_id, product_id),
        CONSTRAINT fk_pgi_group FOREIGN KEY (shop_id, group_id)
            REFERENCES product_groups (shop_id, id) ON DELETE CASCADE,
        CONSTRAINT fk_pgi_product FOREIGN KEY (shop_id, product_id)
            REFERENCES products (shop_id, id) ON DELETE CASCADE
    );

    CREATE TABLE customer_tags (
        shop_id uuid NOT NULL REFERENCES shops (id),
        id uuid NOT NULL,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
        color text NOT NULL DEFAULT '' CHECK (length(color) <= 20),
        created_by uuid REFERENCES users (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_customer_tags PRIMARY KEY (shop_id, id),
        CONSTRAINT uq_customer_tags_name UNIQUE (shop_id, name)
    );
    CREATE TABLE customer_tag_links (
        shop_id uuid NOT NULL,
        customer_id uuid NOT NULL,
        tag_id uuid NOT NULL,
        assigned_by uuid REFERENCES users (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_customer_tag_links PRIMARY KEY (shop_id, customer_id, tag_id),
        CONSTRAINT fk_ctl_customer FOREIGN KEY (shop_id, customer_id)
            REFERENCES customers (shop_id, id),
        CONSTRAINT fk_ctl_tag FOREIGN KEY (shop_id, tag_id)
            REFERENCES customer_tags (shop_id, id) ON DELETE CASCADE
    );
    -- Level rules: each level is reached at min_points (the rule the desk shows and checks).
    CREATE TABLE customer_levels (
        shop_id uuid NOT NULL REFERENCES shops (id),
        id uuid NOT NULL,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
        rank integer NOT NULL CHECK (rank BETWEEN 0 AND 1000),
        min_points bigint NOT NULL DEFAULT 0 CHECK (min_points BETWEEN 0 AND 1000000000000),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_customer_levels PRIMARY KEY (shop_id, id),
        CONSTRAINT uq_customer_levels_name UNIQUE (shop_id, name),
        CONSTRAINT uq_customer_levels_rank UNIQUE (shop_id, rank)
    );
    -- The desk's side of a customer; its row is also the lock points debits serialize on.
    CREATE TABLE customer_profiles (
        shop_id uuid NOT NULL,
        customer_id uuid NOT NULL,
        level_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_customer_profiles PRIMARY KEY (shop_id, customer_id),
        CONSTRAINT fk_cp_customer FOREIGN KEY (shop_id, customer_id)
            REFERENCES customers (shop_id, id),
        CONSTRAINT fk_cp_level FOREIGN KEY (shop_id, level_id)
            REFERENCES customer_levels (shop_id, id)
    );
    CREATE TABLE points_rules (
        shop_id uuid NOT NULL REFERENCES shops (id),
        id uuid NOT NULL,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        trigger text NOT NULL CHECK (trigger IN ('order_paid', 'review', 'signup', 'manual')),
        points bigint NOT NULL CHECK (points BETWEEN 0 AND 1000000000),
        per_minor_units bigint CHECK (per_minor_units BETWEEN 1 AND 1000000000),
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_points_rules PRIMARY KEY (shop_id, id),
        CONSTRAINT uq_points_rules_name UNIQUE (shop_id, name)
    );
    -- Append-only (the API role may only insert and read): the balance is the chain's last
    -- balance_after, and a CHECK keeps it from ever going negative.
    CREATE TABLE points_ledger (
        shop_id uuid NOT NULL,
        customer_id uuid NOT NULL,
        seq integer NOT NULL CHECK (seq >= 1),
        id uuid NOT NULL,
        delta bigint NOT NULL CHECK (delta <> 0 AND delta BETWEEN -1000000000 AND 1000000000),
        balance_after bigint NOT NULL CHECK (balance_after >= 0),
        reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
        rule_id uuid,
        issued_by uuid REFERENCES users (id),
        -- A repeated issue (same Idempotency-Key) is the same entry, never a second credit.
        idempotency_key text CHECK (length(idempotency_key) BETWEEN 1 AND 200),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_points_ledger PRIMARY KEY (shop_id, customer_id, seq),
        CONSTRAINT uq_points_ledger_idempotency UNIQUE (shop_id, idempotency_key),
        CONSTRAINT fk_pl_customer FOREIGN KEY (shop_id, customer_id)
            REFERENCES customers (shop_id, id),
        CONSTRAINT fk_pl_rule FOREIGN KEY (shop_id, rule_id) REFERENCES points_rules (shop_id, id)
    );

    -- 维权 and other after-sales work, with seed 003's 5W1H questions answered.
    CREATE TABLE after_sales_cases (
        shop_id uuid NOT NULL REFERENCES shops (id),
        id uuid NOT NULL,
        order_id uuid NOT NULL,
        conversation_id uuid,
        kind text NOT NULL CHECK (kind IN ('dispute', 'return', 'exchange', 'complaint')),
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'rejected')),
        what text NOT NULL DEFAULT '' CHECK (length(what) <= 2000),
        why text NOT NULL DEFAULT '' CHECK (length(why) <= 2000),
        who text NOT NULL DEFAULT '' CHECK (length(who) <= 2000),
        when_text text NOT NULL DEFAULT '' CHECK (length(when_text) <= 2000),
        where_text text NOT NULL DEFAULT '' CHECK (length(where_text) <= 2000),
        how text NOT NULL DEFAULT '' CHECK (length(how) <= 2000),
        resolution text NOT NULL DEFAULT '' CHECK (length(resolution) <= 2000),
        opened_by uuid REFERENCES users (id),
        handled_by uuid REFERENCES users (id),
        resolved_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_after_sales_cases PRIMARY KEY (shop_id, id),
        CONSTRAINT fk_asc_order FOREIGN KEY (shop_id, order_id) REFERENCES orders (shop_id, id),
        CONSTRAINT fk_asc_conversation FOREIGN KEY (shop_id, conversation_id)
            REFERENCES conversations (shop_id, id)
    );
    CREATE INDEX ix_after_sales_cases_list ON after_sales_cases (shop_id, created_at, id);
    CREATE INDEX ix_after_sales_cases_order ON after_sales_cases (shop_id, order_id);

    -- A refund asked of the store; requested and applied ones count against the paid total.
    CREATE TABLE refunds (
        shop_id uuid NOT NULL,
        id uuid NOT NULL,
        order_id uuid NOT NULL,
        case_id uuid,
        action_id uuid NOT NULL,
        amount_minor bigint NOT NULL CHECK (amount_minor BETWEEN 1 AND 1000000000000000),
        currency char(3) NOT NULL,
        reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
        status text NOT NULL DEFAULT 'requested'
            CHECK (status IN ('requested', 'applied', 'failed')),
        requested_by uuid REFERENCES users (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_refunds PRIMARY KEY (shop_id, id),
        CONSTRAINT fk_refunds_order FOREIGN KEY (shop_id, order_id) REFERENCES orders (shop_id, id),
        CONSTRAINT fk_refunds_case FOREIGN KEY (shop_id, case_id)
            REFERENCES after_sales_cases (shop_id, id),
        CONSTRAINT fk_refunds_action FOREIGN KEY (shop_id, action_id)
            REFERENCES store_actions (shop_id, id)
    );
    CREATE INDEX ix_refunds_order ON refunds (shop_id, order_id, created_at, id);
    """)
    for table in TABLES:
        _sql(tenant_table_sql(table))
    _sql(f"""
    GRANT SELECT, INSERT, UPDATE ON store_actions, commerce_settings, order_close_reasons,
        orders, product_groups, products, customer_tags, customer_levels, customer_profiles,
        points_rules, after_sales_cases, refunds TO {app_role};
    GRANT DELETE ON product_group_items, customer_tag_links, customer_tags, customer_levels,
        points_rules, order_close_reasons, product_groups TO {app_role};
    GRANT SELECT, INSERT ON product_group_items, customer_tag_links, points_ledger TO {app_role};
    """)


def downgrade() -> None:
    for table in reversed(TABLES):
        _sql(f"DROP TABLE IF EXISTS {table}")

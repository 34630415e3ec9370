"""The `ops` schema: operational tables the product writes itself (territory plans now, lead routing
next), created by versioned migrations on first use. Every writer calls `migrate_ops` first; it is cheap
once applied and safe when many processes start together (see `salesops.migrations`)."""

from __future__ import annotations

from salesops.migrations import Migration, apply_migrations

OPS_SCHEMA = "ops"

OPS_MIGRATIONS: list[Migration] = [
    Migration(1, "territory plans: proposals, their assignments and quotas; the effective-dated alignment", """
        CREATE TABLE ops.territory_plans (
            plan_id text PRIMARY KEY,
            plan_version integer NOT NULL UNIQUE,
            created_at timestamptz NOT NULL DEFAULT now(),
            status text NOT NULL DEFAULT 'proposed'
                CHECK (status IN ('proposed', 'applied', 'superseded')),
            parameters jsonb NOT NULL,
            before_metrics jsonb NOT NULL,
            after_metrics jsonb NOT NULL,
            solver jsonb NOT NULL,
            quota_summary jsonb,
            report_md text NOT NULL,
            dagster_run_id text,
            effective_date date,
            applied_at timestamptz
        );
        CREATE TABLE ops.territory_plan_assignments (
            plan_id text NOT NULL REFERENCES ops.territory_plans ON DELETE CASCADE,
            unit_id text NOT NULL,
            rep_id text NOT NULL,
            previous_rep_id text,
            potential double precision NOT NULL,
            workload double precision NOT NULL,
            moved boolean NOT NULL,
            locked boolean NOT NULL DEFAULT false,
            PRIMARY KEY (plan_id, unit_id)
        );
        CREATE TABLE ops.territory_plan_quotas (
            plan_id text NOT NULL REFERENCES ops.territory_plans ON DELETE CASCADE,
            rep_id text NOT NULL,
            potential double precision NOT NULL,
            quota double precision NOT NULL,
            attainment_probability double precision,
            PRIMARY KEY (plan_id, rep_id)
        );
        CREATE TABLE ops.territory_alignment (
            unit_id text NOT NULL,
            rep_id text NOT NULL,
            valid_from date NOT NULL,
            valid_to date,
            plan_id text NOT NULL REFERENCES ops.territory_plans,
            PRIMARY KEY (unit_id, valid_from),
            CHECK (valid_to IS NULL OR valid_to > valid_from)
        );
        CREATE UNIQUE INDEX territory_alignment_open ON ops.territory_alignment (unit_id) WHERE valid_to IS NULL;
    """),
]


def migrate_ops(conn) -> list[int]:
    """Bring `ops` up to date; returns the versions applied now (empty when already current)."""
    return apply_migrations(conn, OPS_SCHEMA, OPS_MIGRATIONS)

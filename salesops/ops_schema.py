"""The `ops` schema: operational tables the product writes itself (territory plans; lead routing: callers,
leads, assignments, round-robin pointers, daily counters, the unassigned queue and the audit log, with the
`ops.assign_lead` function that `salesops.assignment` calls), created by versioned migrations on first use.
Every writer calls `migrate_ops` first; it is cheap once applied and safe when many processes start together
(see `salesops.migrations`)."""

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
    Migration(2, "lead assignment: callers, leads, round-robin pointers, daily counters, queue, audit log", """
        CREATE TABLE ops.callers (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            name text NOT NULL UNIQUE CHECK (btrim(name) <> ''),
            role text,
            languages text[] NOT NULL DEFAULT '{}',
            daily_limit integer NOT NULL DEFAULT 0 CHECK (daily_limit >= 0),
            status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'inactive')),
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        COMMENT ON COLUMN ops.callers.daily_limit IS 'leads per business day; 0 = unlimited';
        CREATE TABLE ops.caller_states (
            caller_id uuid NOT NULL REFERENCES ops.callers ON DELETE CASCADE,
            state text NOT NULL,
            PRIMARY KEY (caller_id, state)
        );
        CREATE INDEX caller_states_by_state ON ops.caller_states (state, caller_id);

        CREATE TABLE ops.leads (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            name text NOT NULL,
            phone text NOT NULL CHECK (phone ~ '^[+][1-9][0-9]{6,14}$'),
            timestamp_from_sheet timestamptz NOT NULL,
            lead_source text,
            city text,
            state text,
            language text,
            metadata jsonb NOT NULL DEFAULT '{}',
            source text NOT NULL,
            source_row_id text UNIQUE,
            external_id text,
            validation_warnings text[] NOT NULL DEFAULT '{}',
            duplicate_count integer NOT NULL DEFAULT 0,
            last_duplicate_at timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (phone, timestamp_from_sheet)
        );
        COMMENT ON COLUMN ops.leads.duplicate_count IS
            'retries and re-sent rows that matched this lead; counted here, not logged one by one';

        CREATE TABLE ops.lead_assignments (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            lead_id uuid NOT NULL REFERENCES ops.leads,
            caller_id uuid NOT NULL REFERENCES ops.callers,
            assigned_at timestamptz NOT NULL,
            business_date date NOT NULL,
            assignment_reason text NOT NULL,
            status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'reassigned')),
            routing_key text NOT NULL,
            lead_score double precision,
            ended_at timestamptz
        );
        CREATE UNIQUE INDEX lead_assignments_one_active ON ops.lead_assignments (lead_id) WHERE status = 'active';
        CREATE INDEX lead_assignments_by_caller ON ops.lead_assignments (caller_id, business_date);

        -- The rotation resumes after last_caller_name (callers rotate in name order). It is kept on the pointer
        -- row itself because the engine reads it with SELECT ... FOR UPDATE: after waiting for the lock,
        -- PostgreSQL re-reads the locked row but not rows joined to it, so a join to ops.callers would see the
        -- previous holder's caller. last_caller_id has no foreign key for the same hot-row reason: checking it
        -- would share-lock the caller's row on every assignment.
        CREATE TABLE ops.rr_pointer (
            key text PRIMARY KEY,
            last_caller_id uuid,
            last_caller_name text,
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        INSERT INTO ops.rr_pointer (key) VALUES ('global');

        CREATE TABLE ops.caller_daily_counter (
            caller_id uuid NOT NULL REFERENCES ops.callers ON DELETE CASCADE,
            date date NOT NULL,
            count integer NOT NULL DEFAULT 0 CHECK (count >= 0),
            PRIMARY KEY (caller_id, date)
        );

        CREATE TABLE ops.unassigned_leads (
            lead_id uuid PRIMARY KEY REFERENCES ops.leads,
            queued_at timestamptz NOT NULL,
            business_date date NOT NULL,
            reason text NOT NULL,
            needs_review boolean NOT NULL DEFAULT true,
            resolved_at timestamptz
        );
        CREATE INDEX unassigned_leads_open ON ops.unassigned_leads (queued_at) WHERE resolved_at IS NULL;

        CREATE TABLE ops.assignment_log (
            id bigserial PRIMARY KEY,
            lead_id uuid NOT NULL,
            event text NOT NULL CHECK (event IN ('assigned', 'queued', 'reassigned')),
            caller_id uuid,
            caller_name text,
            routing_key text,
            reason text,
            decision jsonb NOT NULL DEFAULT '{}',
            at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX assignment_log_by_lead ON ops.assignment_log (lead_id);
        CREATE FUNCTION ops.refuse_log_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'ops.assignment_log is append-only: % refused', TG_OP;
        END $$;
        CREATE TRIGGER assignment_log_append_only BEFORE UPDATE OR DELETE ON ops.assignment_log
            FOR EACH ROW EXECUTE FUNCTION ops.refuse_log_change();
        CREATE TRIGGER assignment_log_no_truncate BEFORE TRUNCATE ON ops.assignment_log
            FOR EACH STATEMENT EXECUTE FUNCTION ops.refuse_log_change();

        CREATE TABLE ops.lead_quarantine (
            id bigserial PRIMARY KEY,
            source text NOT NULL,
            source_row_id text,
            raw jsonb NOT NULL,
            errors text[] NOT NULL,
            quarantined_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE UNIQUE INDEX lead_quarantine_source_row ON ops.lead_quarantine (source_row_id)
            WHERE source_row_id IS NOT NULL;

        -- Store one lead and route it within the caller's transaction (on an autocommit connection this one
        -- statement is the transaction). Locks are taken in one order by every writer: the new lead's unique
        -- keys, the state pool's pointer row, the global pointer row (fallback only), then one counter row, last.
        -- A transaction holding a counter row waits for nothing else, so writers cannot deadlock. The pointer
        -- lock serialises a pool, which keeps its rotation exact. Counts are read without locks and the counter
        -- is incremented only while below the cap: if another pool filled the caller meanwhile, the function
        -- raises serialization_failure and the client retries the lead from scratch.
        CREATE FUNCTION ops.assign_lead(
            p_name text, p_phone text, p_timestamp timestamptz, p_lead_source text, p_city text, p_state text,
            p_language text, p_metadata jsonb, p_source text, p_source_row_id text, p_external_id text,
            p_warnings text[], p_score double precision, p_now timestamptz, p_timezone text,
            p_by_language boolean,
            OUT o_status text, OUT o_lead_id uuid, OUT o_caller_id uuid, OUT o_caller_name text,
            OUT o_routing_key text, OUT o_reason text)
        LANGUAGE plpgsql AS $$
        DECLARE
            v_now timestamptz := coalesce(p_now, now());
            v_date date := (coalesce(p_now, now()) AT TIME ZONE p_timezone)::date;
            v_language text := CASE WHEN p_by_language THEN p_language END;
            v_keys text[] := CASE WHEN p_state IS NULL THEN ARRAY['global']
                                  ELSE ARRAY['state:' || lower(p_state), 'global'] END;
            v_after text;
            v_found boolean;
            v_caller_id uuid;
            v_caller_name text;
            v_daily_limit integer;
            v_language_fallback boolean;
            v_passed_over boolean;
            v_pool_size bigint;
            v_skipped jsonb;
            v_pools jsonb := '[]';
            v_fallback text := CASE WHEN p_state IS NULL THEN 'state unknown' END;
            v_count integer;
        BEGIN
            INSERT INTO ops.leads (name, phone, timestamp_from_sheet, lead_source, city, state, language, metadata,
                                   source, source_row_id, external_id, validation_warnings)
            VALUES (p_name, p_phone, p_timestamp, p_lead_source, p_city, p_state, p_language,
                    coalesce(p_metadata, '{}'), p_source, p_source_row_id, p_external_id, coalesce(p_warnings, '{}'))
            ON CONFLICT DO NOTHING
            RETURNING id INTO o_lead_id;

            IF o_lead_id IS NULL THEN
                UPDATE ops.leads AS l SET duplicate_count = l.duplicate_count + 1, last_duplicate_at = v_now
                WHERE l.id = (SELECT x.id FROM ops.leads AS x
                              WHERE (x.phone = p_phone AND x.timestamp_from_sheet = p_timestamp)
                                 OR x.source_row_id = p_source_row_id
                              ORDER BY x.source_row_id = p_source_row_id DESC NULLS LAST LIMIT 1)
                RETURNING l.id INTO o_lead_id;
                SELECT a.caller_id, c.name, a.routing_key, a.assignment_reason
                INTO o_caller_id, o_caller_name, o_routing_key, o_reason
                FROM ops.lead_assignments AS a JOIN ops.callers AS c ON c.id = a.caller_id
                WHERE a.lead_id = o_lead_id AND a.status = 'active';
                o_status := 'duplicate';
                RETURN;
            END IF;

            FOREACH o_routing_key IN ARRAY v_keys LOOP
                SELECT p.last_caller_name, true INTO v_after, v_found
                FROM ops.rr_pointer AS p WHERE p.key = o_routing_key FOR UPDATE;
                IF v_found IS NULL THEN
                    INSERT INTO ops.rr_pointer (key) VALUES (o_routing_key) ON CONFLICT DO NOTHING;
                    SELECT p.last_caller_name INTO v_after
                    FROM ops.rr_pointer AS p WHERE p.key = o_routing_key FOR UPDATE;
                END IF;
                -- Rotation order of a pool (every caller not inactive, for the global pool): names after the
                -- pointer's caller first, then from the top. The first active caller below the daily cap wins;
                -- with a language, the first such caller who speaks it, else the first one. The quick query
                -- finds the winner and whether anyone came before it; only then (or when nobody is eligible)
                -- the full query lists the callers passed over and why (paused, capped n/limit, language).
                SELECT pick.id, pick.name, pick.daily_limit, NOT pick.speaks, pick.id IS DISTINCT FROM head.id
                INTO v_caller_id, v_caller_name, v_daily_limit, v_language_fallback, v_passed_over
                FROM (SELECT) AS one
                LEFT JOIN LATERAL (
                    SELECT c.id, c.name, c.daily_limit,
                           v_language IS NULL
                               OR EXISTS (SELECT FROM unnest(c.languages) AS l WHERE lower(l) = lower(v_language))
                               AS speaks
                    FROM ops.callers AS c
                    WHERE c.status = 'active'
                      AND (o_routing_key = 'global'
                           OR c.id IN (SELECT s.caller_id FROM ops.caller_states AS s WHERE s.state = p_state))
                      AND (c.daily_limit = 0
                           OR c.daily_limit > coalesce((SELECT d.count FROM ops.caller_daily_counter AS d
                                                        WHERE d.caller_id = c.id AND d.date = v_date), 0))
                    ORDER BY 4 DESC, coalesce(c.name <= v_after, false), c.name
                    LIMIT 1) AS pick ON true
                LEFT JOIN LATERAL (
                    SELECT c.id FROM ops.callers AS c
                    WHERE c.status <> 'inactive'
                      AND (o_routing_key = 'global'
                           OR c.id IN (SELECT s.caller_id FROM ops.caller_states AS s WHERE s.state = p_state))
                    ORDER BY coalesce(c.name <= v_after, false), c.name
                    LIMIT 1) AS head ON true;
                v_skipped := '[]';
                v_pool_size := NULL;
                IF v_caller_id IS NULL OR v_passed_over THEN
                    WITH pool AS MATERIALIZED (
                        SELECT c.id, c.name, c.daily_limit,
                               CASE WHEN c.status <> 'active' THEN c.status
                                    WHEN c.daily_limit > 0 AND used.n >= c.daily_limit
                                    THEN format('capped %s/%s', used.n, c.daily_limit) END AS blocked,
                               v_language IS NULL
                                   OR EXISTS (SELECT FROM unnest(c.languages) AS l
                                              WHERE lower(l) = lower(v_language)) AS speaks,
                               row_number() OVER (ORDER BY coalesce(c.name <= v_after, false), c.name) AS pos
                        FROM ops.callers AS c
                        CROSS JOIN LATERAL (
                            SELECT coalesce((SELECT d.count FROM ops.caller_daily_counter AS d
                                             WHERE d.caller_id = c.id AND d.date = v_date), 0) AS n) AS used
                        WHERE c.status <> 'inactive'
                          AND (o_routing_key = 'global'
                               OR c.id IN (SELECT s.caller_id FROM ops.caller_states AS s WHERE s.state = p_state))
                    ),
                    pick AS (SELECT * FROM pool WHERE blocked IS NULL ORDER BY NOT speaks, pos LIMIT 1)
                    SELECT pick.id, pick.name, pick.daily_limit, NOT pick.speaks, (SELECT count(*) FROM pool),
                           coalesce((SELECT jsonb_agg(jsonb_build_object('caller', p.name,
                                                                         'why', coalesce(p.blocked, 'language'))
                                                      ORDER BY p.pos)
                                     FROM pool AS p WHERE p.pos < coalesce(pick.pos, 2147483647)), '[]')
                    INTO v_caller_id, v_caller_name, v_daily_limit, v_language_fallback, v_pool_size, v_skipped
                    FROM (SELECT) AS one LEFT JOIN pick ON true;
                END IF;
                v_pools := v_pools || jsonb_strip_nulls(jsonb_build_object(
                    'key', o_routing_key, 'callers', v_pool_size, 'skipped', v_skipped));
                EXIT WHEN v_caller_id IS NOT NULL OR o_routing_key = 'global';
                v_fallback := CASE WHEN v_pool_size = 0 THEN 'no caller serves ' || p_state
                                   ELSE 'every caller of ' || p_state || ' is paused or at the daily cap' END;
            END LOOP;

            IF v_caller_id IS NULL THEN
                o_status := 'queued';
                o_reason := CASE WHEN v_pool_size = 0 THEN 'no caller'
                                 ELSE 'every caller is paused or at the daily cap' END;
                WITH queued AS (
                    INSERT INTO ops.unassigned_leads (lead_id, queued_at, business_date, reason, needs_review)
                    VALUES (o_lead_id, v_now, v_date, o_reason, true))
                INSERT INTO ops.assignment_log (lead_id, event, routing_key, reason, decision, at)
                VALUES (o_lead_id, 'queued', o_routing_key, o_reason,
                        jsonb_build_object('pools', v_pools, 'fallback', v_fallback, 'business_date', v_date,
                                           'score', p_score),
                        v_now);
                RETURN;
            END IF;

            -- One statement from here: the conditional increment (the cap check that counts, under the counter's
            -- row lock) gates the assignment, the pointer move and the log entry; nothing is written without it.
            o_caller_id := v_caller_id;
            o_caller_name := v_caller_name;
            o_status := 'assigned';
            o_reason := concat_ws('; ',
                o_routing_key || ' round robin',
                'fallback: ' || v_fallback,
                CASE WHEN jsonb_array_length(v_skipped) > 0
                     THEN 'skipped ' || jsonb_array_length(v_skipped) || ' paused/capped/other-language' END,
                CASE WHEN v_language IS NOT NULL THEN
                     CASE WHEN v_language_fallback THEN 'nobody available speaks ' || v_language
                          ELSE 'speaks ' || v_language END END,
                CASE WHEN p_score IS NOT NULL THEN format('lead score %s', round(p_score::numeric, 3)) END);
            WITH counter AS (
                INSERT INTO ops.caller_daily_counter AS d (caller_id, date, count) VALUES (o_caller_id, v_date, 1)
                ON CONFLICT (caller_id, date) DO UPDATE SET count = d.count + 1
                    WHERE v_daily_limit = 0 OR d.count < v_daily_limit
                RETURNING d.count),
            assignment AS (
                INSERT INTO ops.lead_assignments (lead_id, caller_id, assigned_at, business_date, assignment_reason,
                                                  routing_key, lead_score)
                SELECT o_lead_id, o_caller_id, v_now, v_date,
                       o_reason || CASE WHEN v_daily_limit > 0
                                        THEN format('; %s/%s today', counter.count, v_daily_limit) ELSE '' END,
                       o_routing_key, p_score
                FROM counter),
            pointer AS (
                UPDATE ops.rr_pointer
                SET last_caller_id = o_caller_id, last_caller_name = o_caller_name, updated_at = v_now
                WHERE key = o_routing_key AND EXISTS (SELECT FROM counter)),
            logged AS (
                INSERT INTO ops.assignment_log (lead_id, event, caller_id, caller_name, routing_key, reason, decision,
                                                at)
                SELECT o_lead_id, 'assigned', o_caller_id, o_caller_name, o_routing_key,
                       o_reason || CASE WHEN v_daily_limit > 0
                                        THEN format('; %s/%s today', counter.count, v_daily_limit) ELSE '' END,
                       jsonb_build_object('pools', v_pools, 'fallback', v_fallback, 'business_date', v_date,
                                          'count', counter.count, 'daily_limit', v_daily_limit, 'score', p_score,
                                          'language', v_language, 'language_fallback', v_language_fallback),
                       v_now
                FROM counter)
            SELECT counter.count INTO v_count FROM counter;
            IF v_count IS NULL THEN
                RAISE EXCEPTION 'caller % reached the daily cap meanwhile', o_caller_name
                    USING ERRCODE = 'serialization_failure', HINT = 'retry the lead';
            END IF;
            IF v_daily_limit > 0 THEN
                o_reason := o_reason || format('; %s/%s today', v_count, v_daily_limit);
            END IF;
        END $$;
    """),
]


def migrate_ops(conn) -> list[int]:
    """Bring `ops` up to date; returns the versions applied now (empty when already current)."""
    return apply_migrations(conn, OPS_SCHEMA, OPS_MIGRATIONS)

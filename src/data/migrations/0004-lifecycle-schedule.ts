import { sql, type Kysely } from 'kysely';

/**
 * The lifecycle's one schedule (issue 10):
 * - warning stages are ordinal (first, second, final): `warning_15/16/17` were named after the
 *   default months and meant the wrong thing under any other policy. Notices, their outbox
 *   templates and deduplication keys move to `warning_1/2/3`.
 * - `accounts.lifecycle_due_at`: the instant the account's next lifecycle event falls due (the
 *   pure `nextDueAt`), so that a night's work costs what is due. NULL means "not yet computed":
 *   the job computes those (every account once after this migration, and after a policy change).
 * - `lifecycle_policy`: the policy the stored times were computed with.
 * - `email_mentions`: which accounts an email names (alerts, digests), so that deleting an
 *   account erases it from exactly those emails and touches no other.
 * - security alerts by time, for the nightly erasure of alert evidence past its retention.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE lifecycle_notices DROP CONSTRAINT IF EXISTS lifecycle_notices_stage_check`.execute(db);
  await sql`
    UPDATE lifecycle_notices SET stage = CASE stage
      WHEN 'warning_15' THEN 'warning_1' WHEN 'warning_16' THEN 'warning_2' WHEN 'warning_17' THEN 'warning_3' ELSE stage END`.execute(
    db,
  );
  await sql`
    ALTER TABLE lifecycle_notices ADD CONSTRAINT lifecycle_notices_stage_check
      CHECK (stage IN ('warning_1', 'warning_2', 'warning_3', 'archived', 'admin_alert_warning', 'admin_alert_archive'))`.execute(
    db,
  );
  // Warned accounts in Admin > Users: the notices of one account's current period.
  await sql`CREATE INDEX lifecycle_notices_sent ON lifecycle_notices (sent_at)`.execute(db);
  for (const [from, to] of [
    ['15', '1'],
    ['16', '2'],
    ['17', '3'],
  ] as const) {
    await sql`
      UPDATE email_outbox SET template = ${`inactivity-warning-${to}`},
        dedup_key = replace(dedup_key, ${`:warning_${from}`}, ${`:warning_${to}`})
      WHERE template = ${`inactivity-warning_${from}`}`.execute(db);
  }

  await sql`ALTER TABLE accounts ADD COLUMN lifecycle_due_at timestamptz`.execute(db);
  await sql`CREATE INDEX accounts_lifecycle_due ON accounts (lifecycle_due_at)`.execute(db);
  await sql`CREATE INDEX accounts_lifecycle_unknown ON accounts (id) WHERE lifecycle_due_at IS NULL`.execute(db);

  await sql`
    CREATE TABLE lifecycle_policy (
      id boolean PRIMARY KEY DEFAULT true CHECK (id),
      fingerprint text NOT NULL,
      changed_at timestamptz NOT NULL
    )`.execute(db);

  await sql`
    CREATE TABLE email_mentions (
      account_id uuid NOT NULL,
      email_id uuid NOT NULL REFERENCES email_outbox (id) ON DELETE CASCADE,
      PRIMARY KEY (account_id, email_id)
    )`.execute(db);
  await sql`CREATE INDEX email_mentions_by_email ON email_mentions (email_id)`.execute(db);

  await sql`CREATE INDEX audit_security_alerts_by_time ON audit_events (occurred_at) WHERE security_alert`.execute(db);
  // A deletion finds the rows that name the account by these, instead of reading whole tables.
  await sql`CREATE INDEX audit_by_anonymous_label ON audit_events (lower(actor_label)) WHERE actor_account_id IS NULL`.execute(
    db,
  );
  await sql`CREATE INDEX audit_by_actor ON audit_events (actor_account_id) WHERE actor_account_id IS NOT NULL`.execute(
    db,
  );
  await sql`CREATE INDEX access_review_items_by_account ON access_review_items (account_id)`.execute(db);
  await sql`CREATE INDEX access_review_items_by_decider ON access_review_items (decided_by) WHERE decided_by IS NOT NULL`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const index of [
    'access_review_items_by_decider',
    'access_review_items_by_account',
    'audit_by_actor',
    'audit_by_anonymous_label',
    'audit_security_alerts_by_time',
  ]) {
    await sql`DROP INDEX IF EXISTS ${sql.id(index)}`.execute(db);
  }
  await sql`DROP TABLE IF EXISTS email_mentions`.execute(db);
  await sql`DROP TABLE IF EXISTS lifecycle_policy`.execute(db);
  await sql`DROP INDEX IF EXISTS accounts_lifecycle_unknown`.execute(db);
  await sql`DROP INDEX IF EXISTS accounts_lifecycle_due`.execute(db);
  await sql`ALTER TABLE accounts DROP COLUMN IF EXISTS lifecycle_due_at`.execute(db);
  await sql`DROP INDEX IF EXISTS lifecycle_notices_sent`.execute(db);
  await sql`ALTER TABLE lifecycle_notices DROP CONSTRAINT IF EXISTS lifecycle_notices_stage_check`.execute(db);
  await sql`
    UPDATE lifecycle_notices SET stage = CASE stage
      WHEN 'warning_1' THEN 'warning_15' WHEN 'warning_2' THEN 'warning_16' WHEN 'warning_3' THEN 'warning_17' ELSE stage END`.execute(
    db,
  );
  await sql`
    ALTER TABLE lifecycle_notices ADD CONSTRAINT lifecycle_notices_stage_check
      CHECK (stage IN ('warning_15', 'warning_16', 'warning_17', 'archived', 'admin_alert_warning', 'admin_alert_archive'))`.execute(
    db,
  );
}

import { sql, type Kysely } from 'kysely';

/**
 * The whole domain of SPEC §1–§11. Written as SQL because the rules live in it: citext
 * usernames unique over existing accounts (R7), the outbox deduplication key (R43), one
 * lifecycle notice per stage per inactivity period (R36), and the indexes behind Admin > Users
 * (R20–R21) and "inactive since" (R34). Nothing newer than PostgreSQL 15.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE EXTENSION IF NOT EXISTS citext`.execute(db);

  await sql`
    CREATE TABLE organisations (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      kind text NOT NULL CHECK (kind IN ('la', 'central')),
      la_code text UNIQUE CHECK (la_code ~ '^[0-9]{3}$'),
      name text NOT NULL,
      created_at timestamptz NOT NULL,
      CHECK ((kind = 'la') = (la_code IS NOT NULL))
    )`.execute(db);
  // Exactly one central support organisation.
  await sql`CREATE UNIQUE INDEX organisations_one_central ON organisations (kind) WHERE kind = 'central'`.execute(db);

  // Catalogue tables mirror src/domain (synchronised after every migration run) so that the
  // database refuses a privilege, type or topic the code does not know.
  await sql`CREATE TABLE privileges (code text PRIMARY KEY, label text NOT NULL, position integer NOT NULL)`.execute(
    db,
  );
  await sql`CREATE TABLE user_types (code text PRIMARY KEY, label text NOT NULL, position integer NOT NULL)`.execute(
    db,
  );
  await sql`
    CREATE TABLE user_type_defaults (
      user_type text NOT NULL REFERENCES user_types (code) ON DELETE CASCADE,
      privilege text NOT NULL REFERENCES privileges (code) ON DELETE CASCADE,
      PRIMARY KEY (user_type, privilege)
    )`.execute(db);
  await sql`CREATE TABLE communication_topics (code text PRIMARY KEY, name text NOT NULL, recommended boolean NOT NULL, position integer NOT NULL)`.execute(
    db,
  );

  await sql`
    CREATE TABLE schools (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      urn integer NOT NULL UNIQUE CHECK (urn > 0),
      organisation_id integer NOT NULL REFERENCES organisations (id),
      name text NOT NULL,
      phase text,
      status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'proposed_to_open', 'proposed_to_close')),
      updated_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX schools_by_organisation ON schools (organisation_id, name)`.execute(db);

  await sql`
    CREATE TABLE school_groups (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      organisation_id integer NOT NULL REFERENCES organisations (id),
      name citext NOT NULL,
      created_at timestamptz NOT NULL,
      UNIQUE (organisation_id, name),
      UNIQUE (organisation_id, id)
    )`.execute(db);

  await sql`
    CREATE TABLE school_group_schools (
      school_group_id integer NOT NULL REFERENCES school_groups (id) ON DELETE CASCADE,
      school_id integer NOT NULL REFERENCES schools (id) ON DELETE CASCADE,
      PRIMARY KEY (school_group_id, school_id)
    )`.execute(db);

  await sql`
    CREATE TABLE accounts (
      id uuid PRIMARY KEY,
      organisation_id integer NOT NULL REFERENCES organisations (id),
      username citext NOT NULL CHECK (length(username) BETWEEN 3 AND 64 AND username ~ '^[a-zA-Z0-9._@-]+$'),
      first_name text NOT NULL,
      last_name text NOT NULL,
      email text NOT NULL,
      job_title text,
      phone text,
      user_type text NOT NULL REFERENCES user_types (code),
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
      password_hash text,
      password_changed_at timestamptz,
      totp_secret text,
      totp_enrolled_at timestamptz,
      totp_last_step bigint,
      last_sign_in_at timestamptz,
      created_at timestamptz NOT NULL,
      created_by uuid,
      restored_at timestamptz,
      archived_at timestamptz,
      archived_by uuid,
      archive_reason text CHECK (archive_reason IN ('manual', 'inactivity', 'access-ended', 'provisioning')),
      deletion_due_at timestamptz,
      access_end_date date,
      default_school_group_id integer,
      external_id text,
      version integer NOT NULL DEFAULT 1,
      updated_at timestamptz NOT NULL,
      CHECK ((status = 'archived') = (archived_at IS NOT NULL))
    )`.execute(db);
  // R7: unique, case-insensitively (citext), among all accounts that exist. A deleted account's
  // row is removed (R31), which frees its username at once.
  await sql`CREATE UNIQUE INDEX accounts_username ON accounts (username)`.execute(db);
  await sql`CREATE UNIQUE INDEX accounts_external_id ON accounts (organisation_id, external_id) WHERE external_id IS NOT NULL`.execute(
    db,
  );
  // Admin > Users (R20): list an LA by status, sorted by name or by last sign-in.
  await sql`CREATE INDEX accounts_by_name ON accounts (organisation_id, status, last_name, first_name, id)`.execute(db);
  await sql`CREATE INDEX accounts_by_last_sign_in ON accounts (organisation_id, status, last_sign_in_at, id)`.execute(
    db,
  );
  // R34: inactive since = latest of last sign-in, creation and restore (GREATEST skips nulls).
  // Serves the inactivity filter (R21) and the lifecycle job (R35).
  await sql`CREATE INDEX accounts_inactive_since ON accounts (organisation_id, status, (GREATEST(last_sign_in_at, created_at, restored_at)))`.execute(
    db,
  );
  await sql`CREATE INDEX accounts_inactive_since_all ON accounts (status, (GREATEST(last_sign_in_at, created_at, restored_at)))`.execute(
    db,
  );
  await sql`CREATE INDEX accounts_deletion_due ON accounts (deletion_due_at) WHERE status = 'archived'`.execute(db);
  await sql`CREATE INDEX accounts_access_end ON accounts (access_end_date) WHERE status = 'active' AND access_end_date IS NOT NULL`.execute(
    db,
  );
  await sql`CREATE INDEX accounts_by_email ON accounts (lower(email))`.execute(db);

  await sql`
    CREATE TABLE account_privileges (
      account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
      privilege text NOT NULL REFERENCES privileges (code),
      PRIMARY KEY (account_id, privilege)
    )`.execute(db);
  // R21 "holds privilege X" and R17 "the last administrator".
  await sql`CREATE INDEX account_privileges_by_privilege ON account_privileges (privilege, account_id)`.execute(db);

  await sql`
    CREATE TABLE school_assignments (
      account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
      school_id integer NOT NULL REFERENCES schools (id),
      role text NOT NULL,
      assigned_at timestamptz NOT NULL,
      PRIMARY KEY (account_id, school_id)
    )`.execute(db);

  await sql`
    CREATE TABLE account_school_groups (
      account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
      school_group_id integer NOT NULL REFERENCES school_groups (id) ON DELETE CASCADE,
      PRIMARY KEY (account_id, school_group_id)
    )`.execute(db);
  // R10 in the schema: the default group must be one of the account's groups, and unassigning
  // it (or deleting the group) clears the default.
  await sql`
    ALTER TABLE accounts ADD CONSTRAINT accounts_default_group_assigned
      FOREIGN KEY (id, default_school_group_id) REFERENCES account_school_groups (account_id, school_group_id)
      ON DELETE SET NULL (default_school_group_id)`.execute(db);

  await sql`
    CREATE TABLE communication_subscriptions (
      account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
      topic text NOT NULL REFERENCES communication_topics (code),
      subscribed_at timestamptz NOT NULL,
      PRIMARY KEY (account_id, topic)
    )`.execute(db);

  await sql`
    CREATE TABLE topic_messages (
      id uuid PRIMARY KEY,
      topic text NOT NULL REFERENCES communication_topics (code),
      subject text NOT NULL,
      body text NOT NULL,
      created_at timestamptz NOT NULL,
      created_by uuid
    )`.execute(db);

  // Server-side sessions (R54). Only a hash of the cookie value is stored.
  await sql`
    CREATE TABLE sessions (
      id_hash text PRIMARY KEY,
      account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
      stage text NOT NULL CHECK (stage IN ('two_factor', 'two_factor_setup', 'signed_in')),
      pending_totp_secret text,
      created_at timestamptz NOT NULL,
      last_seen_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      ip text,
      user_agent text
    )`.execute(db);
  await sql`CREATE INDEX sessions_by_account ON sessions (account_id)`.execute(db);
  await sql`CREATE INDEX sessions_by_expiry ON sessions (expires_at)`.execute(db);

  // Throttling counters keyed by account name or address (R53), shared by every process.
  await sql`
    CREATE TABLE sign_in_throttle (
      key text PRIMARY KEY,
      attempts integer NOT NULL,
      window_started_at timestamptz NOT NULL,
      locked_until timestamptz
    )`.execute(db);

  // Invitation and password-reset links (R9): single use, expiring, stored hashed.
  await sql`
    CREATE TABLE account_tokens (
      token_hash text PRIMARY KEY,
      account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
      purpose text NOT NULL CHECK (purpose IN ('invitation', 'password_reset')),
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      used_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX account_tokens_by_account ON account_tokens (account_id, purpose)`.execute(db);

  // Append-only audit log (R50). No foreign key to accounts: the tombstone outlives the account (R31).
  await sql`
    CREATE TABLE audit_events (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      occurred_at timestamptz NOT NULL,
      action text NOT NULL,
      actor_account_id uuid,
      actor_label text NOT NULL,
      organisation_id integer REFERENCES organisations (id),
      subject_account_id uuid,
      ip text,
      request_id text,
      details jsonb NOT NULL DEFAULT '{}'::jsonb,
      security_alert boolean NOT NULL DEFAULT false
    )`.execute(db);
  await sql`CREATE INDEX audit_by_subject ON audit_events (subject_account_id, occurred_at DESC)`.execute(db);
  await sql`CREATE INDEX audit_by_organisation ON audit_events (organisation_id, occurred_at DESC)`.execute(db);
  await sql`CREATE INDEX audit_security_alerts ON audit_events (organisation_id, occurred_at) WHERE security_alert`.execute(
    db,
  );

  // Transactional outbox (R43): written with the change that causes it, delivered by a worker.
  await sql`
    CREATE TABLE email_outbox (
      id uuid PRIMARY KEY,
      dedup_key text NOT NULL UNIQUE,
      message_id text NOT NULL UNIQUE,
      template text NOT NULL,
      organisation_id integer REFERENCES organisations (id),
      account_id uuid,
      to_address text NOT NULL,
      to_name text,
      subject text NOT NULL,
      text_body text NOT NULL,
      html_body text NOT NULL,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL,
      lease_until timestamptz,
      last_error text,
      created_at timestamptz NOT NULL,
      sent_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX email_outbox_due ON email_outbox (next_attempt_at) WHERE status = 'pending'`.execute(db);
  await sql`CREATE INDEX email_outbox_by_account ON email_outbox (account_id)`.execute(db);

  // One row per lifecycle stage per inactivity period (R36): the unique key makes re-runs harmless.
  await sql`
    CREATE TABLE lifecycle_notices (
      account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
      period_start timestamptz NOT NULL,
      stage text NOT NULL CHECK (stage IN ('warning_15', 'warning_16', 'warning_17', 'archived', 'admin_alert_warning', 'admin_alert_archive')),
      sent_at timestamptz NOT NULL,
      PRIMARY KEY (account_id, period_start, stage)
    )`.execute(db);

  // Access reviews (R48–R49).
  await sql`
    CREATE TABLE access_reviews (
      id uuid PRIMARY KEY,
      organisation_id integer NOT NULL REFERENCES organisations (id),
      name text NOT NULL,
      due_on date NOT NULL,
      status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'finished')),
      opened_at timestamptz NOT NULL,
      opened_by uuid,
      finished_at timestamptz,
      finished_by uuid
    )`.execute(db);
  await sql`
    CREATE TABLE access_review_items (
      review_id uuid NOT NULL REFERENCES access_reviews (id) ON DELETE CASCADE,
      account_id uuid NOT NULL,
      account_label text NOT NULL,
      still_employed boolean,
      post_needs_access boolean,
      pupil_level_right boolean,
      cin_cla_right boolean,
      decision text CHECK (decision IN ('keep', 'change', 'archive', 'delete')),
      note text,
      decided_at timestamptz,
      decided_by uuid,
      version integer NOT NULL DEFAULT 1,
      PRIMARY KEY (review_id, account_id)
    )`.execute(db);

  // Which process holds the scheduled jobs is decided by advisory locks; this records their runs.
  await sql`
    CREATE TABLE job_runs (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      job text NOT NULL,
      as_of timestamptz NOT NULL,
      started_at timestamptz NOT NULL,
      finished_at timestamptz,
      outcome text,
      summary jsonb NOT NULL DEFAULT '{}'::jsonb
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE IF EXISTS accounts DROP CONSTRAINT IF EXISTS accounts_default_group_assigned`.execute(db);
  for (const table of [
    'job_runs',
    'access_review_items',
    'access_reviews',
    'lifecycle_notices',
    'email_outbox',
    'audit_events',
    'account_tokens',
    'sign_in_throttle',
    'sessions',
    'topic_messages',
    'communication_subscriptions',
    'account_school_groups',
    'school_assignments',
    'account_privileges',
    'accounts',
    'school_group_schools',
    'school_groups',
    'schools',
    'communication_topics',
    'user_type_defaults',
    'user_types',
    'privileges',
    'organisations',
  ]) {
    await sql`DROP TABLE IF EXISTS ${sql.table(table)}`.execute(db);
  }
}

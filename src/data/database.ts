import type { ColumnType, Generated, Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type { AccountStatus, ArchiveReason } from '../domain/account-status.ts';
import type { IdentifyingClaim } from '../domain/identity-providers.ts';
import type { TokenPurpose } from '../domain/link-purposes.ts';

export type { AccountStatus, ArchiveReason, TokenPurpose };

/** Kysely table types for the schema of migrations/0001-initial.ts. */

type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** `date` columns are read as strings (YYYY-MM-DD) by the type parser set in connect.ts. */
type DateOnly = ColumnType<string, string, string>;
type Json = ColumnType<Record<string, unknown>, string | Record<string, unknown>, string | Record<string, unknown>>;

export interface PrivilegesTable {
  code: string;
  label: string;
  position: number;
}

export interface UserTypesTable {
  code: string;
  label: string;
  position: number;
}

export interface UserTypeDefaultsTable {
  user_type: string;
  privilege: string;
}

export interface CommunicationTopicsTable {
  code: string;
  name: string;
  recommended: boolean;
  position: number;
}

export interface OrganisationsTable {
  id: Generated<number>;
  kind: 'la' | 'central';
  la_code: string | null;
  name: string;
  created_at: Timestamp;
  /** Whether its staff may sign in with a passkey alone (R65, migration 0012). */
  passkey_sign_in: ColumnType<boolean, boolean | undefined, boolean>;
}

export interface SchoolsTable {
  id: Generated<number>;
  urn: number;
  organisation_id: number;
  name: string;
  phase: string | null;
  status: ColumnType<string, string | undefined, string>;
  updated_at: Timestamp;
}

export interface SchoolGroupsTable {
  id: Generated<number>;
  organisation_id: number;
  name: string;
  created_at: Timestamp;
}

export interface SchoolGroupSchoolsTable {
  school_group_id: number;
  school_id: number;
}

export interface AccountsTable {
  id: string;
  organisation_id: number;
  username: string;
  first_name: string;
  last_name: string;
  email: string;
  job_title: string | null;
  phone: string | null;
  user_type: string;
  status: ColumnType<AccountStatus, AccountStatus | undefined, AccountStatus>;
  password_hash: string | null;
  password_changed_at: Timestamp | null;
  totp_secret: string | null;
  totp_enrolled_at: Timestamp | null;
  totp_last_step: ColumnType<string | null, number | string | null, number | string | null>;
  last_sign_in_at: Timestamp | null;
  created_at: Timestamp;
  created_by: string | null;
  restored_at: Timestamp | null;
  archived_at: Timestamp | null;
  archived_by: string | null;
  archive_reason: ArchiveReason | null;
  deletion_due_at: Timestamp | null;
  access_end_date: DateOnly | null;
  default_school_group_id: number | null;
  external_id: string | null;
  version: Generated<number>;
  updated_at: Timestamp;
  /** When the next lifecycle event falls due (domain/lifecycle.ts nextDueAt); NULL: not yet computed (migration 0004). */
  lifecycle_due_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** When the identity system deleted it (SCIM DELETE): archived, and gone for SCIM (migration 0008). */
  deprovisioned_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface AccountPrivilegesTable {
  account_id: string;
  privilege: string;
}

export interface SchoolAssignmentsTable {
  account_id: string;
  school_id: number;
  role: string;
  assigned_at: Timestamp;
}

export interface AccountSchoolGroupsTable {
  account_id: string;
  school_group_id: number;
}

export interface CommunicationSubscriptionsTable {
  account_id: string;
  topic: string;
  subscribed_at: Timestamp;
}

export interface TopicMessagesTable {
  id: string;
  topic: string;
  subject: string;
  body: string;
  created_at: Timestamp;
  created_by: string | null;
}

export type SessionStage = 'two_factor' | 'two_factor_setup' | 'signed_in' | 'la_account';

export interface SessionsTable {
  id_hash: string;
  account_id: string;
  stage: SessionStage;
  pending_totp_secret: string | null;
  /** The open WebAuthn ceremony's challenge, what it is for and until when (migration 0009). */
  webauthn_challenge: ColumnType<string | null, string | null | undefined, string | null>;
  webauthn_purpose: ColumnType<WebAuthnPurpose | null, WebAuthnPurpose | null | undefined, WebAuthnPurpose | null>;
  webauthn_expires_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** A sign-in through the LA's provider on its way (stage la_account; migration 0011): spent by the callback. */
  la_state: ColumnType<string | null, string | null | undefined, string | null>;
  la_nonce: ColumnType<string | null, string | null | undefined, string | null>;
  /** SecretBox-sealed PKCE code verifier. */
  la_code_verifier: ColumnType<string | null, string | null | undefined, string | null>;
  la_return_to: ColumnType<string | null, string | null | undefined, string | null>;
  /**
   * Opened through the LA's provider: when it last confirmed the person (migration 0011). On a
   * re-authentication's transaction (stage la_account): the provider must confirm them no earlier.
   */
  la_confirmed_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
  ip: string | null;
  user_agent: string | null;
}

export type WebAuthnPurpose = 'register' | 'authenticate';

/** A passkey (R65, migration 0009). */
export interface PasskeysTable {
  id: string;
  account_id: string;
  /** base64url, as the authenticator gives it. */
  credential_id: string;
  /** base64url of the COSE public key. */
  public_key: string;
  counter: ColumnType<string, number, number>;
  transports: ColumnType<string[], string[] | undefined, string[]>;
  name: string;
  created_at: Timestamp;
  last_used_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

/** Challenges of password-less passkey sign-ins already answered, until they expire (migration 0012). */
export interface WebAuthnSpentChallengesTable {
  challenge_hash: string;
  expires_at: Timestamp;
}

export interface SignInThrottleTable {
  key: string;
  attempts: number;
  window_started_at: Timestamp;
  locked_until: Timestamp | null;
}

export interface AccountTokensTable {
  token_hash: string;
  account_id: string;
  purpose: TokenPurpose;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

export interface ApiTokensTable {
  id: string;
  organisation_id: number;
  created_by: string;
  name: string;
  prefix: string;
  token_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp | null;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
  revoked_by: string | null;
}

export interface SchoolImportsTable {
  id: Generated<string>;
  file_name: string;
  file_sha256: string;
  imported_at: Timestamp;
  imported_by: string;
  rows_read: number;
  organisations_created: number;
  organisations_updated: number;
  schools_created: number;
  schools_updated: number;
  schools_closed: number;
  schools_unchanged: number;
  rows_skipped: number;
  problems: Json;
}

export interface AuditEventsTable {
  id: Generated<string>;
  occurred_at: Timestamp;
  action: string;
  actor_account_id: string | null;
  actor_label: string;
  organisation_id: number | null;
  subject_account_id: string | null;
  ip: string | null;
  request_id: string | null;
  details: Json;
  security_alert: ColumnType<boolean, boolean | undefined, boolean>;
}

export type OutboxStatus = 'pending' | 'sent' | 'failed';

export interface EmailOutboxTable {
  id: string;
  dedup_key: string;
  message_id: string;
  template: string;
  organisation_id: number | null;
  account_id: string | null;
  to_address: string;
  to_name: string | null;
  subject: string;
  text_body: string;
  html_body: string;
  status: ColumnType<OutboxStatus, OutboxStatus | undefined, OutboxStatus>;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Timestamp;
  lease_until: Timestamp | null;
  last_error: string | null;
  created_at: Timestamp;
  sent_at: Timestamp | null;
}

export interface LifecycleNoticesTable {
  account_id: string;
  period_start: Timestamp;
  stage: string;
  sent_at: Timestamp;
}

export interface LifecyclePolicyTable {
  id: ColumnType<boolean, boolean | undefined, boolean>;
  fingerprint: string;
  changed_at: Timestamp;
}

/** The accounts an email names (alerts, digests), so that a deletion erases it from exactly those. */
export interface EmailMentionsTable {
  account_id: string;
  email_id: string;
}

export interface AccessReviewsTable {
  id: string;
  organisation_id: number;
  name: string;
  due_on: DateOnly;
  status: ColumnType<'open' | 'finished', 'open' | 'finished' | undefined, 'open' | 'finished'>;
  opened_at: Timestamp;
  opened_by: string | null;
  finished_at: Timestamp | null;
  finished_by: string | null;
  opened_by_label: ColumnType<string, string | undefined, string>;
  finished_by_label: string | null;
}

export interface AccessReviewItemsTable {
  review_id: string;
  account_id: string;
  account_label: string;
  still_employed: boolean | null;
  post_needs_access: boolean | null;
  pupil_level_right: boolean | null;
  cin_cla_right: boolean | null;
  decision: 'keep' | 'change' | 'archive' | 'delete' | null;
  note: string | null;
  decided_at: Timestamp | null;
  decided_by: string | null;
  version: Generated<number>;
  /** The account when the review opened (migration 0003): see domain/access-reviews.ts ItemSnapshot. */
  snapshot: Json;
  /** For a "change" decision: `{ userType, privileges }`. */
  changed_to: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  decided_by_label: string | null;
  /** One decision for many items, with none of the four questions asked (migration 0007). */
  decided_in_bulk: Generated<boolean>;
}

/** An LA's own OpenID Connect provider (R64, migration 0010): one per LA. */
export interface LaIdentityProvidersTable {
  organisation_id: number;
  issuer: string;
  client_id: string;
  /** SecretBox-sealed; never shown, logged or audited. */
  client_secret_sealed: string;
  identifying_claim: ColumnType<IdentifyingClaim, IdentifyingClaim | undefined, IdentifyingClaim>;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  required: ColumnType<boolean, boolean | undefined, boolean>;
  archive_on_refusal: ColumnType<boolean, boolean | undefined, boolean>;
  version: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
  updated_by: string | null;
  last_tested_at: Timestamp | null;
  last_test_ok: boolean | null;
  last_test_message: string | null;
  /** The acr value that says the person used multi-factor authentication (migration 0011). */
  mfa_acr: ColumnType<string | null, string | null | undefined, string | null>;
}

/** Accounts that keep password and two-factor sign-in when the LA's provider is required (migration 0010). */
export interface LaIdentityProviderBreakGlassTable {
  organisation_id: number;
  account_id: string;
}

/** oidc-provider's state (migration 0013): one row per (model, id), as its adapter interface describes. */
export interface OidcStateTable {
  model: string;
  id: string;
  payload: Json;
  grant_id: string | null;
  user_code: string | null;
  uid: string | null;
  expires_at: Timestamp | null;
  consumed_at: Timestamp | null;
  /** The account the row belongs to (migration 0014), for ending its access and erasing it. */
  account_id: ColumnType<string | null, string | null | undefined, string | null>;
}

/** One back-channel logout to send: a provider session of an account, at one application (migration 0014). */
export interface OidcLogoutOutboxTable {
  id: Generated<string>;
  session_id: string;
  client_id: string;
  /** The logout token's `sub`: the account id (kept after the account is deleted, as nothing else is). */
  account_id: string;
  sid: string | null;
  status: ColumnType<'pending' | 'sent' | 'failed', 'pending' | undefined, 'pending' | 'sent' | 'failed'>;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Timestamp;
  lease_until: Timestamp | null;
  last_error: string | null;
  created_at: Timestamp;
  finished_at: Timestamp | null;
}

/** The provider's ES256 signing keys (migration 0013); the private key SecretBox-sealed. */
export interface OidcSigningKeysTable {
  kid: string;
  alg: 'ES256';
  private_jwk_sealed: string;
  public_jwk: Json;
  created_at: Timestamp;
  retired_at: Timestamp | null;
  /** When a retired key leaves the key set: every token it signed has expired by then. */
  retire_after: Timestamp | null;
}

/** Applications that sign people in through Nexus (migration 0013), registered by central support. */
export interface OidcClientsTable {
  client_id: string;
  name: string;
  /** SHA-256 of the secret, which is shown once; null for an application that signs JWTs with its keys (migration 0015). */
  secret_hash: string | null;
  /** Where the provider fetches the keys of a `private_key_jwt` application, or the key set itself (migration 0015). */
  jwks_uri: ColumnType<string | null, string | null | undefined, string | null>;
  jwks: ColumnType<{ keys: Record<string, unknown>[] } | null, string | null | undefined, string | null>;
  redirect_uris: string[];
  post_logout_redirect_uris: ColumnType<string[], string[] | undefined, string[]>;
  backchannel_logout_uri: string | null;
  disabled_at: Timestamp | null;
  created_at: Timestamp;
  created_by: string | null;
  secret_rotated_at: Timestamp;
}

/** A person who has signed in through their LA's provider (migration 0011). */
export interface LaAccountLinksTable {
  account_id: string;
  organisation_id: number;
  issuer: string;
  subject: string;
  /** SecretBox-sealed; null when the provider gave none. */
  refresh_token_sealed: string | null;
  linked_at: Timestamp;
  /** When the provider last confirmed the person: a sign-in or a refresh. */
  confirmed_at: Timestamp;
}

export interface JobRunsTable {
  id: Generated<string>;
  job: string;
  as_of: Timestamp;
  started_at: Timestamp;
  finished_at: Timestamp | null;
  outcome: string | null;
  summary: Json;
}

export interface Database {
  privileges: PrivilegesTable;
  user_types: UserTypesTable;
  user_type_defaults: UserTypeDefaultsTable;
  communication_topics: CommunicationTopicsTable;
  organisations: OrganisationsTable;
  schools: SchoolsTable;
  school_groups: SchoolGroupsTable;
  school_group_schools: SchoolGroupSchoolsTable;
  accounts: AccountsTable;
  account_privileges: AccountPrivilegesTable;
  school_assignments: SchoolAssignmentsTable;
  account_school_groups: AccountSchoolGroupsTable;
  communication_subscriptions: CommunicationSubscriptionsTable;
  topic_messages: TopicMessagesTable;
  sessions: SessionsTable;
  passkeys: PasskeysTable;
  webauthn_spent_challenges: WebAuthnSpentChallengesTable;
  sign_in_throttle: SignInThrottleTable;
  account_tokens: AccountTokensTable;
  audit_events: AuditEventsTable;
  email_outbox: EmailOutboxTable;
  lifecycle_notices: LifecycleNoticesTable;
  lifecycle_policy: LifecyclePolicyTable;
  email_mentions: EmailMentionsTable;
  access_reviews: AccessReviewsTable;
  access_review_items: AccessReviewItemsTable;
  job_runs: JobRunsTable;
  api_tokens: ApiTokensTable;
  school_imports: SchoolImportsTable;
  la_identity_providers: LaIdentityProvidersTable;
  la_identity_provider_break_glass: LaIdentityProviderBreakGlassTable;
  la_account_links: LaAccountLinksTable;
  oidc_state: OidcStateTable;
  oidc_signing_keys: OidcSigningKeysTable;
  oidc_clients: OidcClientsTable;
  oidc_logout_outbox: OidcLogoutOutboxTable;
}

export type Db = Kysely<Database>;
/** Query functions take either the database or a transaction: the caller owns the transaction. */
export type Executor = Kysely<Database> | Transaction<Database>;

export type Account = Selectable<AccountsTable>;
export type NewAccount = Insertable<AccountsTable>;
export type Organisation = Selectable<OrganisationsTable>;
export type Session = Selectable<SessionsTable>;
export type Passkey = Selectable<PasskeysTable>;
export type LaIdentityProvider = Selectable<LaIdentityProvidersTable>;
export type LaAccountLink = Selectable<LaAccountLinksTable>;
export type AuditEvent = Selectable<AuditEventsTable>;
export type OutboxRow = Selectable<EmailOutboxTable>;

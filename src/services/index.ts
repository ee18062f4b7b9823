import type { Config } from '../config.ts';
import type { Db } from '../data/database.ts';
import type { Clock } from '../domain/clock.ts';
import { createAccessReviewService } from './reviews/access-review-service.ts';
import { createAccountHealthService } from './lifecycle/account-health-service.ts';
import { createAccountService } from './accounts/account-service.ts';
import { createApiTokenService } from './sign-in/api-token-service.ts';
import { createAttentionService } from './lifecycle/attention-service.ts';
import { createAuditViewService } from './support/audit-view-service.ts';
import { createCommunicationsService } from './accounts/communications-service.ts';
import { createHealthService } from './support/health-service.ts';
import { createIdentityProviderService } from './identity-providers/identity-provider-service.ts';
import { createDigestService } from './lifecycle/digest-service.ts';
import { createLifecycleService } from './lifecycle/lifecycle-service.ts';
import { createLifecycleViewService } from './lifecycle/lifecycle-view-service.ts';
import { createOidcStateService } from './oidc/oidc-state-service.ts';
import { createSigningKeyService } from './oidc/signing-key-service.ts';
import { createApplicationService } from './oidc/application-service.ts';
import { createOidcAccountService } from './oidc/oidc-account-service.ts';
import { lifecycleSchedule } from './lifecycle/schedule.ts';
import { createPasskeyService } from './sign-in/passkey-service.ts';
import { createPasswordService } from './sign-in/password-service.ts';
import { createProvisioningService } from './accounts/provisioning-service.ts';
import { SecretBox } from './sign-in/secrets.ts';
import { createSchoolGroupService } from './accounts/school-group-service.ts';
import { createSchoolImportService } from './imports/school-import-service.ts';
import { createSecurityAlertService } from './lifecycle/security-alert-service.ts';
import { createSessionService } from './sign-in/session-service.ts';
import { createPasskeySignInSettings } from './identity-providers/passkey-sign-in-settings.ts';
import { createSupportService } from './support/support-service.ts';
import { createLaContextService } from './support/la-context-service.ts';
import { createSignInService } from './sign-in/sign-in-service.ts';
import { createUserAdminService } from './accounts/user-admin-service.ts';
import { createUserChangesService } from './accounts/user-changes-service.ts';
import { createUserDirectoryService } from './accounts/user-directory-service.ts';
import { createUserImportService } from './imports/user-import-service.ts';
import { createUserStatusService } from './accounts/user-status-service.ts';

/** The composition root: every service is built here, once, and routes receive only this object. */
export function createServices({
  db,
  clock,
  config,
  databaseKind,
}: {
  db: Db;
  clock: Clock;
  config: Config;
  databaseKind: 'pglite' | 'postgres';
}) {
  const deps = { db, clock, config, secretBox: new SecretBox(config.secretKey), schedule: lifecycleSchedule(config) };
  const passwords = createPasswordService(deps);
  const lifecycle = createLifecycleService(deps);
  const applications = createApplicationService(deps);
  return {
    config,
    clock,
    signIn: createSignInService(deps),
    sessions: createSessionService(deps),
    passwords,
    passkeys: createPasskeyService(deps),
    accounts: createAccountService(deps, passwords),
    directory: createUserDirectoryService(deps),
    users: createUserAdminService(deps),
    userChanges: createUserChangesService(deps),
    userImport: createUserImportService(deps),
    userStatus: createUserStatusService(deps),
    provisioning: createProvisioningService(deps),
    attention: createAttentionService(deps),
    accountHealth: createAccountHealthService(deps, lifecycle),
    audit: createAuditViewService(deps),
    securityAlerts: createSecurityAlertService(deps),
    support: createSupportService(deps),
    laContext: createLaContextService(deps),
    communications: createCommunicationsService(deps),
    schoolGroups: createSchoolGroupService(deps),
    schoolImports: createSchoolImportService(deps),
    apiTokens: createApiTokenService(deps),
    identityProviders: createIdentityProviderService(deps),
    passkeySignIn: createPasskeySignInSettings(deps),
    oidcState: createOidcStateService(deps, (clientId) => applications.clientMetadata(clientId)),
    oidcKeys: createSigningKeyService(deps),
    applications,
    oidcAccounts: createOidcAccountService(deps),
    health: createHealthService(deps, databaseKind),
    lifecycle,
    schedule: deps.schedule,
    digest: createDigestService(deps, lifecycle),
    lifecycleView: createLifecycleViewService(deps, lifecycle),
    reviews: createAccessReviewService({ ...deps, inactiveMonths: config.digest.inactiveMonths }),
  };
}

export type Services = ReturnType<typeof createServices>;

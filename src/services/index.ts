import type { Config } from '../config.ts';
import type { Db } from '../data/database.ts';
import type { Clock } from '../domain/clock.ts';
import { createAccessReviewService } from './access-review-service.ts';
import { createAccountService } from './account-service.ts';
import { createApiTokenService } from './api-token-service.ts';
import { createAttentionService } from './attention-service.ts';
import { createAuditViewService } from './audit-view-service.ts';
import { createCommunicationsService } from './communications-service.ts';
import { createHealthService } from './health-service.ts';
import { createDigestService } from './lifecycle/digest-service.ts';
import { createLifecycleService } from './lifecycle/lifecycle-service.ts';
import { createLifecycleViewService } from './lifecycle/lifecycle-view-service.ts';
import { lifecycleSchedule } from './lifecycle/schedule.ts';
import { createPasswordService } from './password-service.ts';
import { createProvisioningService } from './provisioning-service.ts';
import { SecretBox } from './secrets.ts';
import { createSchoolGroupService } from './school-group-service.ts';
import { createSchoolImportService } from './school-import-service.ts';
import { createSecurityAlertService } from './security-alert-service.ts';
import { createSessionService } from './session-service.ts';
import { createSupportService } from './support-service.ts';
import { createSignInService } from './sign-in-service.ts';
import { createUserAdminService } from './user-admin-service.ts';
import { createUserChangesService } from './user-changes-service.ts';
import { createUserDirectoryService } from './user-directory-service.ts';
import { createUserImportService } from './user-import-service.ts';
import { createUserStatusService } from './user-status-service.ts';

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
  return {
    config,
    clock,
    signIn: createSignInService(deps),
    sessions: createSessionService(deps),
    passwords,
    accounts: createAccountService(deps, passwords),
    directory: createUserDirectoryService(deps),
    users: createUserAdminService(deps),
    userChanges: createUserChangesService(deps),
    userImport: createUserImportService(deps),
    userStatus: createUserStatusService(deps),
    provisioning: createProvisioningService(deps),
    attention: createAttentionService(deps),
    audit: createAuditViewService(deps),
    securityAlerts: createSecurityAlertService(deps),
    support: createSupportService(deps),
    communications: createCommunicationsService(deps),
    schoolGroups: createSchoolGroupService(deps),
    schoolImports: createSchoolImportService(deps),
    apiTokens: createApiTokenService(deps),
    health: createHealthService(deps, databaseKind),
    lifecycle,
    schedule: deps.schedule,
    digest: createDigestService(deps, lifecycle),
    lifecycleView: createLifecycleViewService(deps, lifecycle),
    reviews: createAccessReviewService({ ...deps, inactiveMonths: config.digest.inactiveMonths }),
  };
}

export type Services = ReturnType<typeof createServices>;

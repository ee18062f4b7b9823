import { PRIVILEGES, USER_TYPES } from '../domain/privileges.ts';
import { SCHOOL_ROLES } from '../domain/school-roles.ts';

/** Schemas of the users part of the API; names under components/schemas are their $ids. */

const privilegeCodes = PRIVILEGES.map((p) => p.code);
const typeCodes = USER_TYPES.map((t) => t.code);
const roleCodes = SCHOOL_ROLES.map((r) => r.code);
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const;

/** Who a person is: shared by the caller (Me) and every account the API lists. */
export const PERSON_PROPERTIES = {
  id: { type: 'string', format: 'uuid' },
  username: { type: 'string' },
  firstName: { type: 'string' },
  lastName: { type: 'string' },
  email: { type: 'string' },
  userType: { type: 'string', enum: typeCodes },
  privileges: { type: 'array', items: { type: 'string', enum: privilegeCodes } },
} as const;

export const USER_SUMMARY_SCHEMA = {
  $id: 'UserSummary',
  type: 'object',
  required: [
    'id',
    'username',
    'firstName',
    'lastName',
    'email',
    'jobTitle',
    'userType',
    'status',
    'lastSignInAt',
    'createdAt',
    'twoFactor',
  ],
  properties: {
    id: PERSON_PROPERTIES.id,
    username: PERSON_PROPERTIES.username,
    firstName: PERSON_PROPERTIES.firstName,
    lastName: PERSON_PROPERTIES.lastName,
    email: PERSON_PROPERTIES.email,
    jobTitle: { type: ['string', 'null'] },
    userType: PERSON_PROPERTIES.userType,
    status: { type: 'string', enum: ['active', 'archived'] },
    lastSignInAt: nullableDateTime,
    createdAt: { type: 'string', format: 'date-time' },
    twoFactor: { type: 'boolean', description: 'Two-factor authentication is set up' },
  },
} as const;

const LIFECYCLE_SCHEMA = {
  type: 'object',
  description:
    'What the nightly lifecycle job has done and will do, if nobody signs in: every date is a run of the job, the date the pages show',
  required: ['state', 'lastWarning', 'nextEvent', 'archiveOn', 'deleteOn'],
  properties: {
    state: {
      type: 'string',
      enum: ['active', 'warned', 'archived'],
      description: 'Warned: active, with an inactivity warning sent in the current period',
    },
    lastWarning: {
      anyOf: [
        {
          type: 'object',
          required: ['warning', 'sentAt'],
          properties: { warning: { type: 'string' }, sentAt: { type: 'string', format: 'date-time' } },
        },
        { type: 'null' },
      ],
    },
    nextEvent: {
      anyOf: [
        {
          type: 'object',
          required: ['action', 'detail', 'date'],
          properties: {
            action: { type: 'string', enum: ['warn', 'archive', 'delete'] },
            detail: { type: 'string' },
            date: { type: 'string', format: 'date-time' },
          },
        },
        { type: 'null' },
      ],
    },
    archiveOn: nullableDateTime,
    deleteOn: nullableDateTime,
  },
} as const;

export const USER_SCHEMA = {
  $id: 'User',
  type: 'object',
  required: [
    ...USER_SUMMARY_SCHEMA.required,
    'phone',
    'privileges',
    'schools',
    'schoolGroups',
    'defaultSchoolGroup',
    'accessEndDate',
    'archivedAt',
    'archiveReason',
    'deletionDueAt',
    'lifecycle',
    'externalId',
    'version',
  ],
  properties: {
    ...USER_SUMMARY_SCHEMA.properties,
    phone: { type: ['string', 'null'] },
    privileges: PERSON_PROPERTIES.privileges,
    schools: { type: 'array', items: { $ref: 'SchoolAssignment#' } },
    schoolGroups: { type: 'array', items: { $ref: 'SchoolGroup#' } },
    defaultSchoolGroup: { anyOf: [{ $ref: 'SchoolGroup#' }, { type: 'null' }] },
    accessEndDate: { type: ['string', 'null'], format: 'date' },
    archivedAt: nullableDateTime,
    archiveReason: { type: ['string', 'null'], enum: ['manual', 'inactivity', 'access-ended', 'provisioning', null] },
    deletionDueAt: {
      ...nullableDateTime,
      description: 'An archived account: the run of the nightly job that deletes it',
    },
    lifecycle: LIFECYCLE_SCHEMA,
    externalId: { type: ['string', 'null'], description: "The identity system's id (SCIM externalId)" },
    version: { type: 'integer', description: 'Increases with every change' },
  },
} as const;

export const USER_LIST_SCHEMA = {
  $id: 'UserList',
  type: 'object',
  required: ['items', 'next'],
  properties: {
    items: { type: 'array', items: { $ref: 'UserSummary#' } },
    next: { type: ['string', 'null'], description: 'Cursor of the next page; null on the last page' },
  },
} as const;

const text = (max: number) => ({ type: 'string', maxLength: max }) as const;

/** R16: the agreement that comes with a grant of cin_cla (required then, ignored otherwise). */
const AGREEMENT_PROPERTIES = {
  cinClaAgreedBy: {
    ...text(200),
    description:
      'The name of the person who agreed access to CiN/CLA information, such as the Virtual Head (required when granting cin_cla)',
  },
  cinClaAgreedRole: {
    ...text(100),
    description: 'Their role, such as Virtual Head (required when granting cin_cla)',
  },
  cinClaAgreedOn: {
    ...text(10),
    description: 'The date of the agreement, YYYY-MM-DD, today or earlier (required when granting cin_cla)',
  },
} as const;

export const NEW_USER_SCHEMA = {
  $id: 'NewUser',
  type: 'object',
  additionalProperties: false,
  required: ['username', 'firstName', 'lastName', 'email', 'userType'],
  properties: {
    username: text(64),
    firstName: text(100),
    lastName: text(100),
    email: text(254),
    jobTitle: text(100),
    phone: text(30),
    userType: { type: 'string', enum: typeCodes },
    privileges: {
      type: 'array',
      maxItems: 20,
      items: { type: 'string', enum: privilegeCodes },
      description: "Defaults to the Type of User's defaults",
    },
    ...AGREEMENT_PROPERTIES,
    la: {
      type: 'string',
      pattern: '^[0-9]{3}$',
      description: 'The LA, for central support; others create in their own',
    },
  },
} as const;

export const USER_PATCH_SCHEMA = {
  $id: 'UserPatch',
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    firstName: text(100),
    lastName: text(100),
    email: text(254),
    jobTitle: { type: ['string', 'null'], maxLength: 100 },
    phone: { type: ['string', 'null'], maxLength: 30 },
    accessEndDate: {
      type: ['string', 'null'],
      maxLength: 10,
      description: 'YYYY-MM-DD, in the future; null removes it',
    },
    schoolGroupIds: { type: 'array', maxItems: 500, items: { type: 'integer', minimum: 1 } },
    defaultSchoolGroupId: { type: ['integer', 'null'], minimum: 1 },
  },
} as const;

export const PRIVILEGES_SCHEMA = {
  $id: 'Privileges',
  type: 'object',
  required: ['userType', 'privileges'],
  properties: {
    userType: { type: 'string', enum: typeCodes },
    privileges: { type: 'array', items: { type: 'string', enum: privilegeCodes } },
  },
} as const;

export const PRIVILEGES_UPDATE_SCHEMA = {
  $id: 'PrivilegesUpdate',
  type: 'object',
  additionalProperties: false,
  required: ['userType', 'privileges'],
  properties: {
    userType: { type: 'string', enum: typeCodes },
    privileges: { type: 'array', maxItems: 20, items: { type: 'string', enum: privilegeCodes } },
    ...AGREEMENT_PROPERTIES,
  },
} as const;

export const SCHOOL_LIST_SCHEMA = {
  $id: 'SchoolAssignmentList',
  type: 'object',
  required: ['items'],
  properties: { items: { type: 'array', items: { $ref: 'SchoolAssignment#' } } },
} as const;

export const SCHOOLS_UPDATE_SCHEMA = {
  $id: 'SchoolAssignmentsUpdate',
  type: 'object',
  additionalProperties: false,
  required: ['items'],
  properties: {
    items: {
      type: 'array',
      maxItems: 2000,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['schoolId', 'role'],
        properties: { schoolId: { type: 'integer', minimum: 1 }, role: { type: 'string', enum: roleCodes } },
      },
    },
  },
} as const;

export const ARCHIVED_SCHEMA = {
  $id: 'Archived',
  type: 'object',
  required: ['id', 'status', 'deletionDueAt'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    status: { type: 'string', enum: ['archived'] },
    deletionDueAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const AUDIT_EVENT_SCHEMA = {
  $id: 'AuditEvent',
  type: 'object',
  required: [
    'id',
    'occurredAt',
    'action',
    'label',
    'sentence',
    'changes',
    'actor',
    'subjectAccountId',
    'securityAlert',
    'details',
  ],
  properties: {
    id: { type: 'string' },
    occurredAt: { type: 'string', format: 'date-time' },
    action: { type: 'string', description: 'The action code, stable for scripts, e.g. account.archived' },
    label: { type: 'string', description: 'The action in words, as the audit log page names it' },
    sentence: {
      type: 'string',
      description: 'What happened in one sentence, as the audit log page and its CSV say it (R50)',
    },
    changes: {
      type: 'array',
      items: { type: 'string' },
      description: 'What changed, a line each, before → after in labels and names',
    },
    actor: { type: 'string' },
    subjectAccountId: { type: ['string', 'null'] },
    securityAlert: { type: 'boolean' },
    details: { type: 'object', additionalProperties: true },
  },
} as const;

export const AUDIT_EVENT_LIST_SCHEMA = {
  $id: 'AuditEventList',
  type: 'object',
  required: ['items', 'next'],
  properties: { items: { type: 'array', items: { $ref: 'AuditEvent#' } }, next: { type: ['string', 'null'] } },
} as const;

export const USER_SCHEMAS: readonly Record<string, unknown>[] = [
  USER_SUMMARY_SCHEMA,
  USER_SCHEMA,
  USER_LIST_SCHEMA,
  NEW_USER_SCHEMA,
  USER_PATCH_SCHEMA,
  PRIVILEGES_SCHEMA,
  PRIVILEGES_UPDATE_SCHEMA,
  SCHOOL_LIST_SCHEMA,
  SCHOOLS_UPDATE_SCHEMA,
  ARCHIVED_SCHEMA,
  AUDIT_EVENT_SCHEMA,
  AUDIT_EVENT_LIST_SCHEMA,
];

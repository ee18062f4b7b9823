import { USER_TYPE_CODES } from '../../domain/privileges.ts';

/** The SCIM schema URNs (RFC 7643 §8.7, RFC 7644 §3.5.2, §3.12) and Nexus's own extension. */
export const SCIM_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const SCIM_ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
/** The Type of User; the urn:ietf…extension form is the one Entra ID's custom attributes expect. */
export const SCIM_NEXUS = 'urn:ietf:params:scim:schemas:extension:nexus:2.0:User';
export const SCIM_LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const SCIM_PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const SCIM_SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
const SPC = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const RESOURCE_TYPE = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
const SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

/** Least privilege (R15): a provisioned account with no Type of User gets Read only. */
export const DEFAULT_USER_TYPE = 'read_only';
export const MAX_PAGE = 200;

export function serviceProviderConfig(base: string, documentationUri: string) {
  return {
    schemas: [SPC],
    documentationUri,
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_PAGE },
    changePassword: { supported: false },
    sort: { supported: false },
    // Every User carries ETag and meta.version; PUT and PATCH honour If-Match (412 when stale).
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'API token',
        primary: true,
        description:
          'An API token of the Local Authority, sent as "Authorization: Bearer nxa_…"; it acts with its creator\'s privileges.',
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  };
}

export function resourceTypes(base: string) {
  return [
    {
      schemas: [RESOURCE_TYPE],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'An account of the Local Authority',
      schema: SCIM_USER,
      schemaExtensions: [{ schema: SCIM_NEXUS, required: false }],
      meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/User` },
    },
  ];
}

type Attribute = Record<string, unknown>;
const attr = (name: string, description: string, extra: Attribute = {}): Attribute => ({
  name,
  type: 'string',
  multiValued: false,
  description,
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  ...extra,
});
const multi = (name: string, description: string, extra: Attribute = {}): Attribute =>
  attr(name, description, {
    type: 'complex',
    multiValued: true,
    ...extra,
    subAttributes: [
      attr('value', 'The value', { required: true }),
      // Read to choose the one value kept, never stored: always returned as the primary "work" entry.
      attr('type', 'Always "work": a type sent chooses the value kept and is not stored', {
        canonicalValues: ['work'],
        mutability: 'readOnly',
      }),
      attr('primary', 'Always true: the one value kept', { type: 'boolean', mutability: 'readOnly' }),
    ],
  });

/**
 * The User as Nexus keeps it (RFC 7643 §7). Each claim is what the server does, and
 * test/db/scim-schemas-claims.test.ts checks every one: `required` (a POST without it is 400, a
 * remove of it 400 mutability), `mutability` (readOnly values sent are ignored and cannot be
 * removed; immutable ones cannot change), `returned` (`always` survives excludedAttributes),
 * `uniqueness` (`server`: 409 uniqueness), `caseExact` (how filters compare).
 */
export function schemas(base: string) {
  return [
    {
      schemas: [SCHEMA],
      id: SCIM_USER,
      name: 'User',
      description: 'A Nexus account',
      attributes: [
        attr('id', 'The account id', {
          mutability: 'readOnly',
          returned: 'always',
          uniqueness: 'server',
          caseExact: true,
        }),
        attr(
          'userName',
          'The username (R7): 3–64 of a-z 0-9 . _ - @, kept in the case given, unique case-insensitively; a change renames the account',
          { required: true, uniqueness: 'server' },
        ),
        attr('externalId', "The identity system's identifier, unique in the LA", {
          caseExact: true,
          uniqueness: 'server',
        }),
        attr('name', "The person's name", {
          type: 'complex',
          required: true,
          subAttributes: [
            attr('givenName', 'First name', { required: true }),
            attr('familyName', 'Last name', { required: true }),
            attr('formatted', 'Full name', { mutability: 'readOnly' }),
          ],
        }),
        attr('displayName', 'First and last name', { mutability: 'readOnly' }),
        multi('emails', 'The work email address; one is kept (the primary, else type work, else the first)', {
          required: true,
        }),
        attr('title', 'Job title'),
        multi('phoneNumbers', 'Telephone; one is kept'),
        attr('active', 'false archives the account (reason provisioning); true, or removing it, restores it', {
          type: 'boolean',
        }),
      ],
      meta: { resourceType: 'Schema', location: `${base}/Schemas/${SCIM_USER}` },
    },
    {
      schemas: [SCHEMA],
      id: SCIM_NEXUS,
      name: 'NexusUser',
      description: 'Nexus Type of User',
      attributes: [
        attr(
          'typeOfUser',
          `The Type of User, set on creation (default ${DEFAULT_USER_TYPE}); change it on the user page`,
          {
            canonicalValues: USER_TYPE_CODES.filter((t) => t !== 'support'),
            mutability: 'immutable',
            caseExact: true,
          },
        ),
      ],
      meta: { resourceType: 'Schema', location: `${base}/Schemas/${SCIM_NEXUS}` },
    },
  ];
}

import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../domain/errors.ts';
import type { Services } from '../../services/index.ts';
import { SCIM_CONTENT_TYPE, sendScimError } from './scim-errors.ts';
import { resourceTypes, schemas, SCIM_LIST, serviceProviderConfig } from './scim-schemas.ts';

function list<T>(resources: T[]) {
  return {
    schemas: [SCIM_LIST],
    totalResults: resources.length,
    startIndex: 1,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}

/** What the service supports (RFC 7644 §4), for identity systems that discover before they sync. */
export function scimDiscoveryRoutes(services: Services) {
  const base = `${services.config.baseUrl}/scim/v2`;
  const docs = `${services.config.baseUrl}/api/docs`;
  return async (app: FastifyInstance) => {
    app.get('/ServiceProviderConfig', async (_request, reply) =>
      reply.type(SCIM_CONTENT_TYPE).send(serviceProviderConfig(base, docs)),
    );
    app.get('/ResourceTypes', async (_request, reply) => reply.type(SCIM_CONTENT_TYPE).send(list(resourceTypes(base))));
    app.get<{ Params: { id: string } }>('/ResourceTypes/:id', async (request, reply) => {
      const found = resourceTypes(base).find((r) => r.id === request.params.id);
      if (!found) throw new NotFoundError();
      return reply.type(SCIM_CONTENT_TYPE).send(found);
    });
    app.get('/Schemas', async (_request, reply) => reply.type(SCIM_CONTENT_TYPE).send(list(schemas(base))));
    app.get<{ Params: { id: string } }>('/Schemas/:id', async (request, reply) => {
      const found = schemas(base).find((s) => s.id === request.params.id);
      if (!found) throw new NotFoundError();
      return reply.type(SCIM_CONTENT_TYPE).send(found);
    });
    // Read-only endpoints (RFC 7644 §4): any other method is 405 with a SCIM error, not "no such route".
    for (const url of ['/ServiceProviderConfig', '/ResourceTypes', '/ResourceTypes/:id', '/Schemas', '/Schemas/:id']) {
      app.route({
        method: ['POST', 'PUT', 'PATCH', 'DELETE'],
        url,
        handler: async (request, reply) =>
          sendScimError(
            reply.header('allow', 'GET'),
            405,
            undefined,
            `${request.method} is not allowed here: ${url.split('/')[1]} is read-only (GET)`,
          ),
      });
    }
  };
}

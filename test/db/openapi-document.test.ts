import { Document, getDiagnosticSeverity, Spectral, type ISpectralDiagnostic } from '@stoplight/spectral-core';
import * as Parsers from '@stoplight/spectral-parsers';
import { oas } from '@stoplight/spectral-rulesets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/** The OpenAPI document at /api/docs: linted with Spectral's OpenAPI rules, served as JSON and as a page. */

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

async function lint(document: unknown): Promise<ISpectralDiagnostic[]> {
  const spectral = new Spectral();
  spectral.setRuleset({ extends: [[oas as never, 'all']] });
  return spectral.run(new Document(JSON.stringify(document, null, 2), Parsers.Json));
}

describe('the OpenAPI document', () => {
  it('passes Spectral with all of its OpenAPI rules: no errors and no warnings', async () => {
    const document = (await t.app.inject('/api/docs/openapi.json')).json();
    const results = await lint(document);
    expect(results.map((r) => `${r.severity} ${r.code} ${r.path.join('.')}: ${r.message}`)).toEqual([]);
  });

  it('the linter does find problems (so a clean result means something)', async () => {
    const document = (await t.app.inject('/api/docs/openapi.json')).json<{
      paths: Record<string, Record<string, { operationId?: string }>>;
    }>();
    document.paths['/api/v1/users']!.get!.operationId = 'getMe';
    const results = await lint(document);
    expect(
      results.some((r) => r.code === 'operation-operationId-unique' && r.severity === getDiagnosticSeverity('error')),
    ).toBe(true);
  });

  it('is OpenAPI 3.1 and lists the operations of SPEC §13', async () => {
    const document = (await t.app.inject('/api/docs/openapi.json')).json<{
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    }>();
    expect(document.openapi).toBe('3.1.0');
    const operations = Object.entries(document.paths)
      .flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(operations).toEqual([
      'DELETE /api/v1/users/{id}',
      'GET /api/v1/audit-events',
      'GET /api/v1/lifecycle/preview',
      'GET /api/v1/me',
      'GET /api/v1/users',
      'GET /api/v1/users/{id}',
      'GET /api/v1/users/{id}/privileges',
      'GET /api/v1/users/{id}/schools',
      'PATCH /api/v1/users/{id}',
      'POST /api/v1/users',
      'POST /api/v1/users/{id}/archive',
      'POST /api/v1/users/{id}/reset-two-factor',
      'POST /api/v1/users/{id}/restore',
      'PUT /api/v1/users/{id}/privileges',
      'PUT /api/v1/users/{id}/schools',
    ]);
  });

  it('is served at /api/docs as JSON to tools and as a readable page to people', async () => {
    const json = await t.app.inject({ url: '/api/docs', headers: { accept: 'application/json' } });
    expect(json.statusCode).toBe(200);
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    expect(json.json()).toMatchObject({ openapi: '3.1.0' });
    const page = await t.app.inject({ url: '/api/docs', headers: { accept: 'text/html' } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<code>GET /api/v1/users/{id}</code>');
    expect(page.body).toContain('Authorization: Bearer nxa_');
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The layering of src/ (README "Layers"), checked on the real import graph: static imports,
 * `export … from`, type-only imports and dynamic `import()` alike.
 *
 *   domain   pure rules: imports nothing of ours but domain
 *   data     Kysely tables, migrations, queries: domain and data only
 *   services use cases: never the interfaces (web, api, http) nor the process (cli, runtime, jobs)
 *   mail     templates and delivery: never the interfaces
 *   web, api the interfaces: services and domain, never data; neither imports the other
 *   oidc     the OpenID Connect provider: an interface like api; renders its pages with web's views
 *   http     the server shell: mounts web, api and SCIM; never data
 *   jobs     the scheduler: never the interfaces
 *   config   config.ts and paths.ts: read by every layer above data
 * Imports of files outside src/ (`serve`, in cli/, builds the assets with scripts/build-assets.ts) are not layered.
 */
const SRC = path.resolve(import.meta.dirname, '../../src');

type Layer =
  'domain' | 'data' | 'services' | 'mail' | 'web' | 'api' | 'oidc' | 'http' | 'jobs' | 'demo' | 'config' | 'top';

export const FORBIDDEN: Record<Layer, readonly Layer[]> = {
  domain: ['data', 'services', 'mail', 'web', 'api', 'oidc', 'http', 'jobs', 'demo', 'config', 'top'],
  data: ['services', 'mail', 'web', 'api', 'oidc', 'http', 'jobs', 'demo', 'config', 'top'],
  services: ['web', 'api', 'oidc', 'http', 'jobs', 'demo', 'top'],
  mail: ['web', 'api', 'oidc', 'http', 'jobs', 'demo', 'top'],
  web: ['data', 'api', 'oidc', 'jobs', 'demo', 'top'],
  api: ['data', 'web', 'oidc', 'jobs', 'demo', 'top'],
  // The OpenID Connect provider: an interface like api; its few pages use the pages' views.
  oidc: ['data', 'api', 'http', 'jobs', 'demo', 'top'],
  http: ['data', 'jobs', 'demo', 'top'],
  jobs: ['web', 'api', 'oidc', 'http', 'demo', 'top'],
  demo: ['web', 'api', 'oidc', 'http', 'jobs', 'top'],
  // config.ts and paths.ts: the typed settings and the project's folders, read by every layer above data.
  config: ['data', 'services', 'mail', 'web', 'api', 'oidc', 'http', 'jobs', 'demo', 'top'],
  // cli.ts and its command groups in cli/, runtime.ts: the process and its composition root.
  top: [],
};

const FOLDER_LAYERS: readonly string[] = [
  'domain',
  'data',
  'services',
  'mail',
  'web',
  'api',
  'oidc',
  'http',
  'jobs',
  'demo',
];

function layerOf(file: string): Layer {
  const relative = path.relative(SRC, file);
  if (relative === 'config.ts' || relative === 'paths.ts') return 'config';
  const first = relative.split(path.sep)[0] ?? '';
  if (first === 'cli.ts' || first === 'cli' || first === 'runtime.ts') return 'top';
  if (FOLDER_LAYERS.includes(first)) return first as Layer;
  throw new Error(`src/${relative} is in no layer: give its folder a layer in layerOf and FORBIDDEN`);
}

export interface Edge {
  from: string;
  to: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every relative import of a file, resolved to a path: what the TypeScript parser finds, not a regex. */
function importsOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const specifiers: string[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier)) specifiers.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      specifiers.push(node.arguments[0].text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const literal = node.argument.literal;
      if (ts.isStringLiteral(literal)) specifiers.push(literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specifiers.filter((s) => s.startsWith('.')).map((s) => path.resolve(path.dirname(file), s));
}

export function importGraph(): Edge[] {
  return sourceFiles(SRC).flatMap((from) =>
    importsOf(from)
      .filter((to) => !path.relative(SRC, to).startsWith('..'))
      .map((to) => ({ from, to })),
  );
}

export function layeringViolations(edges: readonly Edge[]): string[] {
  return edges
    .filter((e) => FORBIDDEN[layerOf(e.from)].includes(layerOf(e.to)))
    .map(
      (e) =>
        `${path.relative(SRC, e.from)} (${layerOf(e.from)}) imports ${path.relative(SRC, e.to)} (${layerOf(e.to)})`,
    );
}

describe('architecture: the import graph of src/ keeps the layering', () => {
  const edges = importGraph();

  it('reads a real graph: every layer is present and every import resolves to a file', () => {
    const files = new Set(sourceFiles(SRC));
    expect(edges.length).toBeGreaterThan(500);
    expect(edges.filter((e) => !files.has(e.to)).map((e) => `${e.from} → ${e.to}`)).toEqual([]);
    const layers = new Set(edges.map((e) => layerOf(e.from)));
    for (const layer of Object.keys(FORBIDDEN)) expect(layers, layer).toContain(layer);
  });

  it('no file imports a layer it must not', () => {
    expect(layeringViolations(edges)).toEqual([]);
  });

  it('the check finds a forbidden import of each kind (it can fail)', () => {
    const at = (p: string) => path.join(SRC, p);
    const bad: Edge[] = [
      { from: at('domain/access.ts'), to: at('data/database.ts') },
      { from: at('data/queries/account-queries.ts'), to: at('services/audit.ts') },
      { from: at('services/audit.ts'), to: at('web/plugins/views.ts') },
      { from: at('api/api-plugin.ts'), to: at('web/plugins/views.ts') },
      { from: at('web/routes/home-routes.ts'), to: at('api/problem.ts') },
      { from: at('web/routes/home-routes.ts'), to: at('data/queries/account-queries.ts') },
      { from: at('api/scim/scim-user-routes.ts'), to: at('data/database.ts') },
      { from: at('services/audit.ts'), to: at('cli/database.ts') },
      { from: at('domain/access.ts'), to: at('cli.ts') },
    ];
    expect(layeringViolations(bad)).toHaveLength(bad.length);
    expect(layeringViolations([{ from: at('web/routes/home-routes.ts'), to: at('services/index.ts') }])).toEqual([]);
    // The command line is the process: its groups in cli/ may import any layer, as cli.ts may.
    expect(
      layeringViolations([{ from: at('cli/users-commands.ts'), to: at('data/queries/account-queries.ts') }]),
    ).toEqual([]);
  });
});

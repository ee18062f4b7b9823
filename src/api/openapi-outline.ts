/** A readable outline of an OpenAPI document, for the /api/docs page: operations by tag. */

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: Record<string, unknown>;
}
interface Operation {
  tags?: string[];
  summary?: string;
  description?: string;
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Record<string, unknown> }> };
  responses?: Record<string, { description?: string }>;
}

export interface OutlineOperation {
  id: string;
  method: string;
  path: string;
  summary: string;
  description: string;
  parameters: { name: string; location: string; required: boolean; type: string; description: string }[];
  requestBody: string | null;
  responses: { status: string; description: string }[];
}

function typeOf(schema: Record<string, unknown> | undefined): string {
  if (!schema) return '';
  if (typeof schema.$ref === 'string') return schema.$ref.split('/').pop() ?? '';
  const type = Array.isArray(schema.type)
    ? schema.type.join(' or ')
    : typeof schema.type === 'string'
      ? schema.type
      : 'object';
  if (Array.isArray(schema.enum)) return `${type}: ${schema.enum.join(', ')}`;
  if (type === 'array') return `array of ${typeOf(schema.items as Record<string, unknown>)}`;
  return type;
}

export function describeOperations(
  document: Record<string, unknown>,
): { tag: string; description: string; operations: OutlineOperation[] }[] {
  const tags = (document.tags as { name: string; description?: string }[] | undefined) ?? [];
  const paths = (document.paths as Record<string, Record<string, Operation>> | undefined) ?? {};
  const groups = new Map<string, OutlineOperation[]>(tags.map((t) => [t.name, []]));
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const tag = op.tags?.[0] ?? 'other';
      if (!groups.has(tag)) groups.set(tag, []);
      const body = op.requestBody?.content?.['application/json']?.schema;
      groups.get(tag)!.push({
        id: op.operationId ?? `${method}-${path}`,
        method: method.toUpperCase(),
        path,
        summary: op.summary ?? '',
        description: op.description ?? '',
        parameters: (op.parameters ?? []).map((p) => ({
          name: p.name,
          location: p.in,
          required: p.required ?? false,
          type: typeOf(p.schema),
          description: p.description ?? '',
        })),
        requestBody: body ? typeOf(body) : null,
        responses: Object.entries(op.responses ?? {}).map(([status, r]) => ({
          status,
          description: r.description ?? '',
        })),
      });
    }
  }
  return [...groups.entries()]
    .filter(([, ops]) => ops.length > 0)
    .map(([tag, operations]) => ({
      tag,
      description: tags.find((t) => t.name === tag)?.description ?? '',
      operations,
    }));
}

import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../../shared/errors.js';
import { statusOf } from '../http/errors.js';
import type { RouteDef } from '../http/route.js';

/**
 * The OpenAPI 3.1 document, generated from the route table and the same zod schemas that
 * validate requests, so the document cannot drift from what the server enforces.
 */

type JsonSchema = Record<string, unknown>;

const Problem = z
  .strictObject({
    type: z.literal('about:blank'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(ERROR_CODES),
    errors: z.array(z.strictObject({ path: z.string(), message: z.string() })).optional(),
    conflicts: z.array(z.number().int()).optional(),
    current: z.record(z.string(), z.unknown()).optional().describe('With version_mismatch: the schedule or shift as it is now'),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

/** Converts a schema and moves its named parts into `components`, so they are written once. */
function toSchema(schema: z.ZodType, io: 'input' | 'output', components: Record<string, JsonSchema>): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  const { $schema: _ignored, $defs, ...rest } = json;
  const rewrite = (value: JsonSchema) => JSON.parse(JSON.stringify(value).replaceAll('"#/$defs/', '"#/components/schemas/')) as JsonSchema;
  for (const [name, def] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) {
    components[name] ??= rewrite(def);
  }
  return rewrite(rest);
}

const openApiPath = (path: string) => `/api${path.replace(/:([A-Za-z]+)/g, '{$1}')}`;

const operationId = (route: RouteDef) =>
  route.method +
  route.path
    .split('/')
    .filter(Boolean)
    .map((part) => (part.startsWith(':') ? `By${part[1]!.toUpperCase()}${part.slice(2)}` : part[0]!.toUpperCase() + part.slice(1)))
    .join('');

function parameters(route: RouteDef, components: Record<string, JsonSchema>) {
  const out: JsonSchema[] = [];
  for (const [where, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (!schema) continue;
    const json = toSchema(schema, 'input', components);
    const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((json.required as string[] | undefined) ?? []);
    for (const [name, property] of Object.entries(properties)) {
      out.push({ name, in: where, required: where === 'path' || required.has(name), schema: property });
    }
  }
  return out;
}

function errorCodes(route: RouteDef): ErrorCode[] {
  const codes = new Set<ErrorCode>(route.errors ?? []);
  if (route.params || route.query || route.body) codes.add('validation_failed');
  if (route.body) codes.add('unsupported_media_type').add('payload_too_large');
  if (route.access.kind !== 'public') codes.add('unauthenticated').add('service_unavailable');
  if ((route.access.kind === 'session' && route.access.roles) || route.access.kind === 'metrics') codes.add('forbidden');
  if (route.method !== 'get') codes.add('forbidden');
  return [...codes];
}

export function buildOpenApiDocument(routes: readonly RouteDef[]) {
  const components: Record<string, JsonSchema> = {};
  const problem = toSchema(Problem, 'output', components);
  components.Problem ??= problem;
  const paths: Record<string, Record<string, unknown>> = {};

  for (const route of routes) {
    const responses: Record<string, unknown> = {};
    const { status, schema, description } = route.success;
    responses[String(status)] = {
      description: description ?? route.summary,
      ...(schema
        ? { content: { [route.produces ?? (route.path === '/metrics' ? 'text/plain' : 'application/json')]: { schema: toSchema(schema, 'output', components) } } }
        : {}),
    };
    if (route.path.startsWith('/health') && schema) {
      responses['503'] = { description: 'A dependency is down', content: { 'application/json': { schema: toSchema(schema, 'output', components) } } };
    }
    const byStatus = new Map<number, ErrorCode[]>();
    for (const code of errorCodes(route)) byStatus.set(statusOf(code), [...(byStatus.get(statusOf(code)) ?? []), code]);
    for (const [errorStatus, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
      responses[String(errorStatus)] = {
        description: `Problem: ${codes.join(', ')}`,
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      };
    }

    paths[openApiPath(route.path)] ??= {};
    paths[openApiPath(route.path)]![route.method] = {
      operationId: operationId(route),
      summary: route.summary,
      tags: [route.path.split('/')[1]],
      security:
        route.access.kind === 'public' ? [] : route.access.kind === 'metrics' ? [{ session: [] }, { metricsToken: [] }] : [{ session: [] }],
      parameters: parameters(route, components),
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: toSchema(route.body, 'input', components) } } } } : {}),
      responses,
    };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Crew Plots Pro API',
      version: '1.0.0',
      description:
        'Crew scheduling: users, locations, weekly schedules and shifts. Errors are RFC 9457 problem details with a stable `code`. ' +
        'State-changing requests from browsers must come from this origin (or APP_ORIGINS) and carry JSON bodies.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'crewplots.sid', description: 'Set by POST /api/auth/login' },
        metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, for GET /api/metrics' },
      },
    },
  };
}

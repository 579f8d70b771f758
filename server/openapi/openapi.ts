import { z } from 'zod';
import { ERROR_CODES } from '../../shared/errors.js';
import type { RouteDef } from '../http/route.js';
import { responsesOf, type JsonSchema } from './responses.js';

/**
 * The OpenAPI 3.1 document, generated from the route table and the same zod schemas that
 * validate requests, so the document cannot drift from what the server enforces.
 */

const Problem = z
  .strictObject({
    type: z.literal('about:blank'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(ERROR_CODES),
    errors: z.array(z.strictObject({ path: z.string(), message: z.string() })).optional(),
    conflicts: z.array(z.number().int()).optional(),
    current: z
      .record(z.string(), z.unknown())
      .nullable()
      .optional()
      .describe('With version_mismatch: the schedule or shift as it is now; null for a shift deleted since'),
    changedBy: z
      .strictObject({ id: z.number().int(), name: z.string() })
      .nullable()
      .optional()
      .describe('With version_mismatch: who made the last change to it; null when unknown'),
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

/** The precondition header of routes with `ifMatch` (server/http/if-match.ts reads it; decision 017). */
const IF_MATCH = {
  name: 'If-Match',
  in: 'header',
  required: false,
  description:
    'The `version` the change is based on, quoted (`"3"`), or a list of them (any matches). If the resource has moved on since, ' +
    'nothing changes and the answer is a 412 `version_mismatch` holding it as it is now (`current`) and who changed it (`changedBy`). ' +
    'Without the header the change goes ahead; `*` sets no version; a weak (`W/"3"`), unquoted or otherwise malformed one is a 400.',
  schema: { type: 'string', pattern: '^(\\*|"[1-9][0-9]{0,9}"(\\s*,\\s*"[1-9][0-9]{0,9}")*)$' },
  example: '"3"',
};

const openApiPath = (path: string) => `/api${path.replace(/:([A-Za-z]+)/g, '{$1}')}`;

const capitalized = (word: string) => word[0]!.toUpperCase() + word.slice(1);
const words = (text: string) => text.split(/[^A-Za-z0-9]+/).filter(Boolean).map(capitalized).join('');

/** `get` + `/users/:id/shifts` → `getUsersByIdShifts`; `/openapi.json` → `getOpenapiJson`: letters and digits only. */
const operationId = (route: RouteDef) =>
  route.method +
  route.path
    .split('/')
    .filter(Boolean)
    .map((part) => {
      const param = /^:([A-Za-z]+)(.*)$/.exec(part);
      return param ? `By${capitalized(param[1]!)}${words(param[2]!)}` : words(part);
    })
    .join('');

/** An operation's tag is the first segment of its path, without an extension (`/openapi.json` → `openapi`). */
const tagOf = (route: RouteDef) => route.path.split('/')[1]!.replace(/[^a-z0-9-].*$/, '');

/** The areas of the API (API.md), in the order the document lists them; only those with an operation are listed. */
const TAGS: Record<string, string> = {
  auth: 'Signing in and out, the signed-in user, and changing one\'s password. Login answers with the session cookie every other route needs.',
  setup: 'Creating the first admin of a server that has no users yet.',
  'access-links': 'One-time links for setting a password: invitations and password resets.',
  users: 'People: admins, managers and crew, the locations they work at, and their shifts. Admins see everyone, managers the people of their locations, crew themselves.',
  locations: 'Venues, each with its time zone, address and members. Admins create and delete them; their managers may rename them.',
  schedules: 'A location\'s week as a grid of shifts: drafted and changed by its managers, published to its crew, whose members take open shifts.',
  'time-off': 'Time off that people ask for and their managers approve or deny.',
  'shift-requests': 'Requests to drop or swap an assigned shift, answered by the colleague asked and decided by a manager.',
  notifications: 'What happened that concerns the caller: published weeks, changed shifts, open shifts, decided requests.',
  events: 'A live stream of the changes the caller may see (Server-Sent Events).',
  calendar: "Calendar feeds of a person's published shifts, at a secret address.",
  health: 'Probes for load balancers and orchestrators: plain JSON in both states, no session needed.',
  metrics: 'Prometheus metrics, for an admin or a scraper holding the metrics token.',
  openapi: 'This document.',
};

const SECURITY_SCHEMES = {
  session: { type: 'apiKey', in: 'cookie', name: 'crewplots.sid', description: 'Set by POST /api/auth/login' },
  metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, for GET /api/metrics' },
} as const;

/** Any of these lets a caller in (an empty list: no credentials needed). */
const SECURITY: Record<RouteDef['access']['kind'], Array<keyof typeof SECURITY_SCHEMES>> = {
  public: [],
  session: ['session'],
  metrics: ['session', 'metricsToken'],
};

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
      const description = typeof property.description === 'string' ? { description: property.description } : {};
      out.push({ name, in: where, required: where === 'path' || required.has(name), ...description, schema: property });
    }
  }
  if (route.ifMatch) out.push(IF_MATCH);
  return out;
}

export function buildOpenApiDocument(routes: readonly RouteDef[]) {
  const components: Record<string, JsonSchema> = {};
  const problem = toSchema(Problem, 'output', components);
  components.Problem ??= problem;
  const schemaOf = (schema: z.ZodType) => toSchema(schema, 'output', components);
  const paths: Record<string, Record<string, unknown>> = {};
  const tags = new Set<string>();
  const schemes = new Set<keyof typeof SECURITY_SCHEMES>();

  for (const route of routes) {
    const tag = tagOf(route);
    tags.add(tag);
    const security = SECURITY[route.access.kind];
    for (const scheme of security) schemes.add(scheme);
    paths[openApiPath(route.path)] ??= {};
    paths[openApiPath(route.path)]![route.method] = {
      operationId: operationId(route),
      summary: route.summary,
      description: route.description,
      tags: [tag],
      security: security.map((scheme) => ({ [scheme]: [] })),
      parameters: parameters(route, components),
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: toSchema(route.body, 'input', components) } } } } : {}),
      responses: responsesOf(route, schemaOf, components),
    };
  }

  const known = Object.keys(TAGS).filter((tag) => tags.has(tag));
  // A new area without a description is still listed (the document test asks for one).
  const unknown = [...tags].filter((tag) => !(tag in TAGS)).sort();

  return {
    openapi: '3.1.0',
    info: {
      title: 'Crew Plots Pro API',
      version: '1.0.0',
      description:
        'Crew scheduling: users, locations, weekly schedules and shifts. Errors are RFC 9457 problem details with a stable `code`. ' +
        'Request bodies are JSON on every route (anything else is a 415, more than the route accepts a 413, malformed JSON a 400). ' +
        'State-changing requests from browsers must come from this origin (or APP_ORIGINS).',
    },
    servers: [{ url: '/' }],
    tags: [...known.map((name) => ({ name, description: TAGS[name] })), ...unknown.map((name) => ({ name }))],
    paths,
    components: {
      schemas: components,
      securitySchemes: Object.fromEntries(Object.entries(SECURITY_SCHEMES).filter(([name]) => schemes.has(name as keyof typeof SECURITY_SCHEMES))),
    },
  };
}

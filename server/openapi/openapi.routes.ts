import { z } from 'zod';
import { RawJson } from '../raw-json.js';
import { PUBLIC, defineRoute, type RouteDef } from '../http/route.js';
import { buildOpenApiDocument } from './openapi.js';

/** Served from memory: built once, on first request, from the final route table. */
export function openApiRoutes(allRoutes: () => readonly RouteDef[]) {
  let document: RawJson | undefined;
  return [
    defineRoute({
      method: 'get',
      path: '/openapi.json',
      summary: 'This document: the OpenAPI 3.1 description of the API',
      description:
        'This document, generated from the route table and the schemas that validate requests, so it describes exactly what the server answers. No session needed.',
      access: PUBLIC,
      success: { status: 200, schema: z.record(z.string(), z.unknown()).meta({ description: 'OpenAPI 3.1 document' }) },
      handler: async () => (document ??= new RawJson(JSON.stringify(buildOpenApiDocument(allRoutes())))),
    }),
  ];
}

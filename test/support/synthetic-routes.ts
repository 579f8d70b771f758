import express, { type Express } from 'express';
import { z } from 'zod';
import { Id, IdPath } from '../../shared/index.js';
import { AppError } from '../../server/errors.js';
import { requireJsonBody } from '../../server/http/body.js';
import { apiNotFound, problemHandler } from '../../server/http/problem.js';
import { PUBLIC, buildRouter, defineRoute, type RouteDef } from '../../server/http/route.js';
import { testLogger } from './logs.js';

/**
 * A small route table using the parts of a route definition no route of the app uses yet:
 * `ifMatch` (a versioned resource), `produces` (an event stream) and the `gone` and
 * `version_mismatch` codes, on paths of the areas API.md gives them (so their tags are described). Its handlers answer as API.md says such routes do, so the generated
 * document can be held to real responses before a real route relies on it.
 */

const Versioned = z.strictObject({ id: Id, name: z.string(), version: Id }).meta({ id: 'Versioned' });
const VersionedPatch = z.strictObject({ name: z.string().min(1) }).meta({ id: 'VersionedPatch' });
const Link = z.strictObject({ kind: z.enum(['invite', 'reset']) }).meta({ id: 'Link' });

/** The one resource's current state: version 2. */
const current = { id: 1, name: 'Bar', version: 2 };

export const syntheticRoutes: RouteDef[] = [
  defineRoute({
    method: 'patch',
    path: '/schedules/:id',
    summary: 'Rename a versioned resource',
    description: 'Renames the resource, unless it changed since the version named in If-Match.',
    access: PUBLIC,
    params: IdPath,
    body: VersionedPatch,
    ifMatch: true,
    success: { status: 200, schema: Versioned },
    errors: ['not_found'],
    handler: async ({ params, body, req }) => {
      if (params.id !== current.id) throw new AppError('not_found', 'No such resource.');
      const header = req.headers['if-match'];
      if (header !== undefined) {
        const version = /^"([1-9][0-9]{0,9})"$/.exec(header)?.[1];
        if (!version) throw new AppError('validation_failed', 'If-Match is not valid.', { errors: [{ path: 'If-Match', message: 'must be a quoted version, "3"' }] });
        if (Number(version) !== current.version) throw new AppError('version_mismatch', 'It changed since.', { current, changedBy: null });
      }
      return { ...current, name: body.name, version: current.version + 1 };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/events',
    summary: 'Changes as they happen',
    description: 'Server-Sent Events, one per change.',
    access: PUBLIC,
    produces: 'text/event-stream',
    success: { status: 200, schema: null },
    handler: async ({ res }) => {
      res.status(200).type('text/event-stream').send('id: 1\nevent: thing\ndata: {"id":1}\n\n');
    },
  }),
  defineRoute({
    method: 'get',
    path: '/access-links/:token',
    summary: 'A one-time link',
    description: 'What a one-time link is for; a used one is gone.',
    access: PUBLIC,
    params: z.strictObject({ token: z.string().regex(/^[a-z]{1,20}$/) }),
    success: { status: 200, schema: Link },
    errors: ['gone', 'not_found'],
    handler: async ({ params }) => {
      if (params.token === 'fresh') return { kind: 'invite' };
      if (params.token === 'used') throw new AppError('gone', 'This link was used.');
      throw new AppError('not_found', 'No such link.');
    },
  }),
];

/** The table served as the app serves its own: the same body rules, router and problem handler. */
export function syntheticApp(): Express {
  const app = express();
  const api = express.Router();
  api.use(requireJsonBody);
  api.use(buildRouter(syntheticRoutes, { requireSession: [], optionalSession: (_req, _res, next) => next(), actorIfAny: (_req, _res, next) => next(), requireMetricsAccess: [], signedIn: () => false }));
  api.use(apiNotFound);
  app.use('/api', api);
  app.use(problemHandler(testLogger()));
  return app;
}

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';

/**
 * The built browser app (`npm run build` → dist/client), served from the same origin as the API
 * so the session cookie needs no CORS. Found beside the compiled server (dist/server → dist/client)
 * or, when the server runs from source, in the repository's dist/. Without a build, nothing is
 * mounted and the API works alone.
 */
export function findClientBuild(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const root = path.resolve(here, '../..');
  // From dist/server/http the build is dist/client; from server/http (source) it is dist/client
  // under the repository, never the client/ sources beside it.
  const dir = path.basename(root) === 'dist' ? path.join(root, 'client') : path.join(root, 'dist', 'client');
  return existsSync(path.join(dir, 'index.html')) ? dir : undefined;
}

export function clientApp(dir: string): Router {
  const router = Router();
  // File names under assets/ carry a content hash: cache them for a year; index.html never.
  router.use(
    '/assets',
    express.static(path.join(dir, 'assets'), { immutable: true, maxAge: '1y', fallthrough: false, index: false }),
  );
  router.use(express.static(dir, { index: false, maxAge: 0 }));
  // Client-side routes (/planner, /my-shifts, ...) all load the app shell.
  router.get(/^(?!\/api(?:\/|$)).*/, (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(path.join(dir, 'index.html'));
  });
  return router;
}

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import { AppError } from '../errors.js';
import { precompressed, sendPrecompressed, type SendOptions } from './static-files.js';

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

export interface ClientAppOptions {
  /** Serve the build's source maps. Development only: they are the app's source, comments and all. */
  sourceMaps: boolean;
}

const YEAR_SECONDS = 365 * 24 * 60 * 60;
/** File names under assets/ carry a content hash: a year, never revalidated. */
const HASHED: SendOptions = { maxAge: YEAR_SECONDS, immutable: true };
/** favicon.svg and the like keep their names across builds: revalidated on every use. */
const NAMED: SendOptions = { maxAge: 0 };
/** The shell names the current hashed assets, so a browser must always ask whether it changed. */
const SHELL: SendOptions = { maxAge: 0, cacheControl: 'no-cache' };

/**
 * Every file is sent precompressed when the build wrote a brotli or gzip copy and the browser
 * accepts it (decision 014); express.static sends the rest, and refuses paths that leave the folder.
 */
export function clientApp(dir: string, options: ClientAppOptions): Router {
  const router = Router();
  const assets = path.join(dir, 'assets');
  if (!options.sourceMaps) {
    router.use((req, _res, next) => {
      if (req.path.endsWith('.map')) throw new AppError('not_found', 'No such file.');
      next();
    });
  }
  router.use(
    '/assets',
    precompressed(assets, HASHED),
    express.static(assets, { immutable: true, maxAge: HASHED.maxAge * 1000, fallthrough: false, index: false }),
  );
  router.use(precompressed(dir, NAMED), express.static(dir, { index: false, maxAge: 0 }));
  // Client-side routes (/planner, /my-shifts, ...) all load the app shell.
  const shell = path.join(dir, 'index.html');
  router.get(/^(?!\/api(?:\/|$)).*/, async (req, res) => {
    if (await sendPrecompressed(req, res, shell, SHELL)) return;
    res.setHeader('Cache-Control', SHELL.cacheControl!);
    res.sendFile(shell);
  });
  return router;
}

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const SOURCES = ['client', 'shared', 'vite.config.ts', 'package-lock.json'];
const OUTPUT = 'dist/client/index.html';

function newestMtime(entry: string): number {
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const child of readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, child)));
  return newest;
}

/**
 * The server serves whatever is in dist/client, so the browser tests build it first unless a
 * build newer than every client source is already there (`npm run build` in CI, or a previous run).
 * Vite runs as its own process: its bundler is native code that jest's module sandbox should not host.
 */
export function ensureClientBuilt(): void {
  const sourcesChanged = SOURCES.filter(existsSync).reduce((m, s) => Math.max(m, newestMtime(s)), 0);
  if (existsSync(OUTPUT) && statSync(OUTPUT).mtimeMs >= sourcesChanged) return;
  execFileSync('node_modules/.bin/vite', ['build', '--logLevel', 'error'], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 120_000 });
}

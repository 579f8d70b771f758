import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

/** Longer than any build takes: a lock this old was left by a run that was killed. */
const BUILD_TIMEOUT_MS = 120_000;
const LOCK = 'dist/.build-lock';

function newestMtime(entry: string): number {
  const stat = statSync(entry);
  if (!stat.isDirectory()) return entry.endsWith('.test.ts') ? 0 : stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const child of readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, child)));
  return newest;
}

function isFresh(output: string, sources: string[]): boolean {
  const sourcesChanged = sources.filter(existsSync).reduce((m, s) => Math.max(m, newestMtime(s)), 0);
  return existsSync(output) && statSync(output).mtimeMs >= sourcesChanged;
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Jest runs the browser suites side by side, and each wants the builds: one builds while the
 * other waits, then finds the build fresh (two Vite builds emptying dist/client at once would
 * leave a page that asks for chunks the other one deleted).
 */
function withBuildLock(build: () => void): void {
  mkdirSync('dist', { recursive: true });
  const giveUp = Date.now() + 2 * BUILD_TIMEOUT_MS;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > BUILD_TIMEOUT_MS) rmSync(LOCK, { recursive: true, force: true });
      else if (Date.now() > giveUp) throw new Error(`${LOCK} is still held: is another test run building?`);
      else sleep(250);
    }
  }
  try {
    build();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Runs a build as its own process, unless its output is newer than every source it is made from. */
function ensureBuilt(output: string, sources: string[], command: string, args: string[], env: Record<string, string> = {}): void {
  if (isFresh(output, sources)) return;
  withBuildLock(() => {
    if (isFresh(output, sources)) return;
    execFileSync(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'], timeout: BUILD_TIMEOUT_MS });
  });
}

/**
 * The server serves whatever is in dist/client, so the browser tests build it first unless a
 * build newer than every client source is already there (`npm run build` in CI, or a previous run).
 * Vite runs as its own process: its bundler is native code that jest's module sandbox should not
 * host. Jest sets NODE_ENV=test, which would make Vite bundle React's development build; the
 * tests drive the production bundle, the one `npm run build:client` makes.
 */
export function ensureClientBuilt(): void {
  ensureBuilt('dist/client/index.html', ['client', 'shared', 'build', 'vite.config.ts', 'package-lock.json'], 'node_modules/.bin/vite', ['build', '--logLevel', 'error'], {
    NODE_ENV: 'production',
  });
}

/** The compiled server (dist/server, beside dist/client), as the first half of `npm run build` makes it. */
export function ensureServerBuilt(): void {
  ensureBuilt('dist/server/index.js', ['server', 'shared', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'], 'node_modules/.bin/tsc', ['-p', 'tsconfig.build.json']);
}

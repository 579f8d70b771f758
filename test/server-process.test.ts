import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { ACCOUNT_PASSWORD, makeAccount, sessionCookieOf, signIn } from './support/accounts.js';
import { bareEnv, spawnServer, startServer, type ServerProcess } from './support/server-process.js';
import { createTestApp } from './support/test-app.js';

/** The server as a process: boot on defaults, refuse bad config, shut down without dropping work. */

/** A plain TCP connection to the server: what it has sent so far, and all of it once it closes. */
async function rawConnection(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  let response = '';
  socket.on('data', (d) => (response += d.toString()));
  // A reset shows as a response cut short, which the tests' assertions catch.
  socket.on('error', () => {});
  return { socket, received: () => response, closed: new Promise<string>((resolve) => socket.once('close', () => resolve(response))) };
}

/** The server on the suites' Postgres and Redis (with this run's key prefix), on a free port. */
async function startOnTestServices() {
  return startServer(bareEnv({ DATABASE_URL: process.env.DATABASE_URL!, REDIS_PREFIX: process.env.REDIS_PREFIX!, LOG_LEVEL: 'info' }));
}

describe('booting', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'crewplots-data-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('with no DATABASE_URL, runs on embedded Postgres, says so, and is healthy', async () => {
    // Nothing else set, but this run's key prefix: the shared Redis keeps no key of the test's.
    const server = await startServer(bareEnv({ DATA_DIR: dataDir, REDIS_PREFIX: process.env.REDIS_PREFIX! }), 40_000);
    try {
      const res = await fetch(`${server.url}/api/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'healthy' });
      expect(server.output()).toMatch(/using embedded Postgres \(PGlite\)/);
      expect(server.output()).toMatch(/SESSION_SECRET is not set/);
      // Its data folder is its own: `npm run seed` beside it is refused in one line, not let loose on the files.
      const seed = spawn('node_modules/.bin/tsx', ['server/db/seed.cli.ts'], { env: bareEnv({ DATA_DIR: dataDir }), stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      seed.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      expect(await new Promise((resolve) => seed.once('exit', resolve))).toBe(1);
      expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^The embedded Postgres in .* is in use by process \d+/)]);
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    }
    // A clean stop leaves the folder to the next process.
    expect(existsSync(path.join(dataDir, 'pglite.lock'))).toBe(false);
  }, 60_000);

  it('on Postgres, opens its connections without a warning from the driver', async () => {
    // A statement queued on a new connection ahead of the caller's first query made pg warn
    // (DeprecationWarning, an error from pg 9 on): every new pooled connection, at start and under load.
    const server = await startOnTestServices();
    try {
      const statuses = await Promise.all(Array.from({ length: 8 }, async () => (await fetch(`${server.url}/api/health`)).status));
      expect(statuses).toEqual(Array(8).fill(200));
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    }
    expect(server.output()).toMatch(/shut down cleanly/);
    expect(server.output()).not.toMatch(/Warning/);
  });

  it.each([
    [{ PORT: 'eighty' }, /^Invalid environment: PORT: /],
    [{ NODE_ENV: 'production' }, /^Invalid environment: SESSION_SECRET: is required when NODE_ENV=production/],
    [{ TRUST_PROXY: 'banana' }, /^Invalid environment: TRUST_PROXY: /],
    [{ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' }, /Postgres at 127\.0\.0\.1:1\/nowhere cannot be reached \(ECONNREFUSED\)/],
    [{ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/crewplots_test_missing' }, /refused the connection \(database "crewplots_test_missing" does not exist\): fix DATABASE_URL/],
  ])('stops at once on %j with one line saying what is wrong', async (env, message) => {
    // With this run's key prefix: a server that reaches Redis before it stops writes its cache epoch.
    const child = spawnServer(bareEnv({ REDIS_PREFIX: process.env.REDIS_PREFIX!, ...env }));
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(message);
  });
});

describe('SIGTERM under load', () => {
  it('finishes in-flight requests, refuses new connections, and exits 0', async () => {
    const server = await startOnTestServices();
    const { port } = server;

    // Requests caught mid-flight: headers sent, half the body still to come.
    const body = JSON.stringify({ email: 'nobody@test.crewplots.example', password: 'x'.repeat(40) });
    const inFlight = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const { socket, received, closed } = await rawConnection(port);
        // `Expect: 100-continue` makes the server say when it has read the headers and started
        // handling the request; until then the connection would count as idle and be closed.
        const started = new Promise<void>((resolve) => {
          const onData = () => {
            if (received().startsWith('HTTP/1.1 100 Continue\r\n\r\n')) {
              socket.off('data', onData);
              resolve();
            }
          };
          socket.on('data', onData);
        });
        socket.write(
          `POST /api/drain-check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n${body.slice(0, 10)}`,
        );
        await started;
        return { socket, closed };
      }),
    );
    // And a stream of ordinary requests while the signal lands.
    let stop = false;
    const answered: number[] = [];
    const load = (async () => {
      while (!stop) {
        try {
          answered.push((await fetch(`http://127.0.0.1:${port}/api/health/live`)).status);
        } catch {
          // Connection refused once the server stops accepting: expected.
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 200));

    server.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    for (const { socket } of inFlight) socket.write(body.slice(10));
    const responses = await Promise.all(inFlight.map((f) => f.closed));
    stop = true;
    await load;

    for (const response of responses) {
      expect(response).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 404 /);
      expect(response).toMatch(/"code":"not_found"/);
    }
    expect(answered.length).toBeGreaterThan(0);
    expect(answered.every((s) => s === 200)).toBe(true);
    expect(await server.exited).toBe(0);
    await expect(fetch(`http://127.0.0.1:${port}/api/health/live`)).rejects.toThrow();
    expect(server.output()).toMatch(/shut down cleanly/);
  }, 30_000);
});

describe('SIGTERM with connections whose first request is still on its way', () => {
  it('answers a request sent on a connection made before the signal, instead of resetting it', async () => {
    const server = await startOnTestServices();
    const { port } = server;
    const sockets = await Promise.all(Array.from({ length: 5 }, () => rawConnection(port)));
    // Accepted by the server (a request on a sixth connection has been answered since), but silent.
    expect((await fetch(`http://127.0.0.1:${port}/api/health/live`)).status).toBe(200);
    server.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    for (const { socket } of sockets) socket.write('GET /api/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    for (const response of await Promise.all(sockets.map((s) => s.closed))) {
      expect(response).toMatch(/^HTTP\/1\.1 200 /);
      expect(response).toMatch(/\r\nConnection: close\r\n/i);
    }
    expect(await server.exited).toBe(0);
  }, 30_000);
});

describe('SIGTERM with a handler whose client has gone away', () => {
  it('lets the handler finish its write before closing Postgres and Redis', async () => {
    const t = await createTestApp();
    const admin = await makeAccount(t.deps.database.db, 'admin');
    const crew = await makeAccount(t.deps.database.db, 'crew', [], 'Before Rename');
    await t.close();

    const server = await startOnTestServices();
    try {
      await renameWhileShuttingDown(server, admin.email, crew.id);
    } catch (err) {
      server.child.kill('SIGKILL');
      await server.exited;
      throw new Error(`${(err as Error).message}\n--- server output ---\n${server.output()}`);
    }

    expect(await server.exited).toBe(0);
    const errors = server.output().split('\n').filter((line) => /"level":50/.test(line));
    expect(errors).toEqual([]);
    expect(server.output()).toMatch(/shut down cleanly/);

    // The write finished, and so did its cache invalidation: a fresh server reads the new name.
    const check = await createTestApp();
    try {
      const agent = await signIn(check.app, admin);
      const res = await agent.get(`/api/users/${crew.id}`);
      expect(res.status).toBe(200);
      expect(res.body.name).toBe('After Rename');
    } finally {
      await check.close();
    }
  }, 60_000);

  /** Renames the crew member while their row is locked, drops the client, then sends SIGTERM. */
  async function renameWhileShuttingDown(server: ServerProcess, email: string, crewId: number): Promise<void> {
    const login = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: ACCOUNT_PASSWORD }),
    });
    expect(login.status).toBe(200);
    const cookie = sessionCookieOf(login.headers.getSetCookie())!;

    const lock = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await lock.connect();
    try {
      await lock.query('begin');
      await lock.query('select 1 from users where id = $1 for update', [crewId]);

      const abort = new AbortController();
      const rename = fetch(`${server.url}/api/users/${crewId}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', cookie },
        body: JSON.stringify({ name: 'After Rename' }),
        signal: abort.signal,
      }).catch((err: unknown) => err);
      await waitFor(async () => {
        // Inside a transaction, pg_stat_activity is a snapshot taken at first use.
        await lock.query('select pg_stat_clear_snapshot()');
        const { rows } = await lock.query<{ n: number }>(
          "select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query ilike 'update%users%'",
        );
        return rows[0]!.n > 0;
      });
      abort.abort(); // the client goes away; its handler still waits for the row
      expect(((await rename) as Error).name).toBe('AbortError');

      server.child.kill('SIGTERM');
      await waitFor(async () => /waiting for handlers of departed clients/.test(server.output()));
      await lock.query('commit');
    } finally {
      await lock.end();
    }
  }
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('SIGTERM with event streams open', () => {
  it('ends them with a reconnect hint at once, and exits 0 without waiting for the drain timeout', async () => {
    const t = await createTestApp();
    const crew = await makeAccount(t.deps.database.db, 'crew', [], 'Streaming Crew');
    await t.close();
    const server = await startOnTestServices();
    const login = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: crew.email, password: ACCOUNT_PASSWORD }),
    });
    expect(login.status).toBe(200);
    const cookie = sessionCookieOf(login.headers.getSetCookie())!;
    const streams = await Promise.all(
      Array.from({ length: 3 }, async () => {
        const conn = await rawConnection(server.port);
        conn.socket.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nCookie: ${cookie}\r\n\r\n`);
        await waitFor(async () => /\r\n\r\n[\s\S]*id: /.test(conn.received()));
        return conn;
      }),
    );

    server.child.kill('SIGTERM');
    for (const s of streams) {
      const response = await s.closed;
      expect(response).toMatch(/^HTTP\/1\.1 200 /);
      // The last thing on the stream: how long the browser waits before reconnecting (elsewhere).
      expect(response).toMatch(/retry: \d+\n\n(\r\n0\r\n\r\n)?$/);
    }
    expect(await server.exited).toBe(0);
    // Streams did not hold the shutdown until the drain timeout cut them.
    expect(server.output()).not.toMatch(/drain timed out/);
    expect(server.output()).toMatch(/shut down cleanly/);
  }, 60_000);
});

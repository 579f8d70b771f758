import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { SHIPPED_CONFIG, checkConfig, renderConfig, startHaproxy, type RunningHaproxy } from './support/haproxy.js';
import { freePort } from './support/redis-server.js';
import { bareEnv, startServer, type ServerProcess } from './support/server-process.js';

/**
 * The shipped balancer config (deploy/haproxy.cfg), checked by HAProxy itself, then run in front of
 * two real instances while one of them is stopped: the balancer must move traffic away on the
 * instance's readiness check, before its listener closes, without failing a client request.
 */

describe('deploy/haproxy.cfg', () => {
  it('is valid for haproxy -c; its only warnings are the container names this machine cannot resolve', () => {
    const { status, output } = checkConfig(SHIPPED_CONFIG);
    expect(status).toBe(0);
    const warnings = output.split('\n').filter((line) => line.includes('[WARNING]'));
    for (const w of warnings) expect(w).toMatch(/could not resolve address 'app\d'/);
  });

  it('renders for loopback with only its addresses changed, and stays valid', () => {
    const source = readFileSync(SHIPPED_CONFIG, 'utf8');
    const rendered = renderConfig(source, '127.0.0.1:18080', [
      { name: 'a', address: '127.0.0.1:15001' },
      { name: 'b', address: '127.0.0.1:15002' },
    ]);
    const other = (text: string) => text.split('\n').filter((l) => !/^\s+(server|bind) /.test(l));
    expect(other(rendered)).toEqual(other(source));
    expect(rendered.match(/^\s+server .*$/gm)).toEqual([
      '    server a 127.0.0.1:15001 check',
      '    server b 127.0.0.1:15002 check',
      '    server a 127.0.0.1:15001 check',
      '    server b 127.0.0.1:15002 check',
    ]);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'crewplots-haproxy-check-'));
    try {
      writeFileSync(path.join(dir, 'haproxy.cfg'), rendered);
      const { status, output } = checkConfig(path.join(dir, 'haproxy.cfg'));
      expect(status).toBe(0);
      expect(output).not.toMatch(/\[(WARNING|ALERT)\]/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('an instance stopped behind the shipped HAProxy', () => {
  const servers: ServerProcess[] = [];
  let proxy: RunningHaproxy | undefined;
  afterAll(async () => {
    await proxy?.stop();
    // SIGTERM, which tsx passes on to the server it runs (a SIGKILL would leave that one running).
    for (const s of servers) if (s.child.exitCode === null) s.child.kill('SIGTERM');
    await Promise.all(servers.map((s) => s.exited));
  });

  it('leaves the balancer on its readiness check while still serving, and no client request fails', async () => {
    for (let i = 0; i < 2; i++) {
      servers.push(
        await startServer(
          // Production's delay is 3 s; more here, for a machine busy with other suites.
          bareEnv({ DATABASE_URL: process.env.DATABASE_URL!, REDIS_PREFIX: process.env.REDIS_PREFIX!, LOG_LEVEL: 'info', SHUTDOWN_DELAY_MS: '4000', TRUST_PROXY: '1' }),
        ),
      );
    }
    const bind = `127.0.0.1:${await freePort()}`;
    proxy = await startHaproxy(bind, servers.map((s, i) => ({ name: `app${i + 1}`, address: `127.0.0.1:${s.port}` })));

    // Closed-loop clients through the balancer, on keep-alive connections as browsers use.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const results: Array<{ status: number; error?: string }> = [];
    let stop = false;
    const get = (p: string) =>
      new Promise<number>((resolve, reject) => {
        http
          .get(`http://${bind}${p}`, { agent }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          })
          .on('error', reject);
      });
    const clients = Array.from({ length: 8 }, async (_, c) => {
      while (!stop) {
        try {
          results.push({ status: await get(c % 2 ? '/api/health/live' : '/api/auth/me') });
        } catch (err) {
          results.push({ status: 0, error: (err as Error).message });
        }
      }
    });
    const waitFor = async (what: string, check: () => boolean) => {
      const deadline = Date.now() + 30_000;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`${what} did not happen:\n${proxy!.output()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await waitFor('traffic', () => results.length > 50);

    const [leaving, staying] = servers as [ServerProcess, ServerProcess];
    leaving.child.kill('SIGTERM');
    const exitCode = await leaving.exited;
    const servedBeforeExit = results.length;
    await waitFor('traffic after the exit', () => results.length > servedBeforeExit + 50);
    stop = true;
    await Promise.all(clients);
    agent.destroy();

    expect(exitCode).toBe(0);
    // The balancer took it out because readiness said 503, not because connections were refused.
    expect(proxy.output()).toMatch(/Server app\/app1 is DOWN, reason: Layer7 wrong status, code: 503/);
    expect(proxy.output()).not.toMatch(/Server app\/app1 is DOWN, reason: Layer4/);
    expect(leaving.output()).toMatch(/readiness now answers 503/);
    const failed = results.filter((r) => ![200, 401].includes(r.status));
    expect(failed).toEqual([]);
    // Both kinds of request were answered by the app, through the balancer.
    expect(results.filter((r) => r.status === 401).length).toBeGreaterThan(0);
    expect(staying.child.exitCode).toBeNull();
  }, 90_000);
});

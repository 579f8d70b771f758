import http from 'node:http';
import { appLogin, metric, request, scrape, type HttpResult } from './http.js';
import { PASSWORD } from './seed.js';
import { METRICS_TOKEN, type Stack } from './stack.js';
import { max } from './stats.js';

export interface StampedeResult {
  instances: number;
  requests: number;
  loads: number;
  statuses: Record<string, number>;
  /** Distinct bodies among the 200s (1: every reader got the same bytes). */
  distinctBodies: number;
  /** 200s that do not show the edit made just before the burst: a stale cache entry was served. */
  staleAnswers: number;
  maxMs: number;
  wallMs: number;
  /** Sessions (of the 8 used) that no longer exist afterwards. */
  sessionsLost: number;
}

/**
 * Scenario 5: `requests` concurrent GETs of one schedule whose cache entry was just invalidated
 * (by a shift edit through the API), spread over `instances`; Postgres loads counted from each
 * instance's crewplots_cache_loads_total{namespace="schedule"}.
 */
export async function stampede(stack: Stack, instances: string[], requests = 1000, onSessionsReplaced?: () => void): Promise<StampedeResult> {
  const per = Math.ceil(requests / instances.length);
  const agents = instances.map(() => new http.Agent({ keepAlive: true, maxSockets: per, maxFreeSockets: per }));
  // Open every socket first, so the 1,000 requests leave together instead of queueing on connects.
  // (A socket the server closed meanwhile is just not reused: warm-up failures do not matter.)
  await Promise.all(instances.flatMap((url, i) => Array.from({ length: per }, () => request(`${url}/api/health/live`, { agent: agents[i] }).catch(() => undefined))));
  const [scheduleId, shiftId] = stack.seeded.shifts[0]!;
  const cookies = stack.cookies.app;
  // A write through the API is what makes the key cold (its invalidation), as in production.
  const notes = `stampede ${Date.now()}`;
  const edit = await request(`${instances[0]}/api/schedules/${scheduleId}/shifts/${shiftId}`, {
    method: 'PATCH',
    headers: { cookie: cookies[0]! },
    body: { notes },
  });
  if (edit.status !== 200) throw new Error(`stampede: the invalidating edit answered ${edit.status}`);
  const loads = async () => (await Promise.all(instances.map((url) => scrape(url, METRICS_TOKEN)))).reduce((n, m) => n + metric(m, 'crewplots_cache_loads_total', 'namespace="schedule"'), 0);
  const before = await loads();
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: per * instances.length }, (_, k) =>
      request(`${instances[k % instances.length]}/api/schedules/${scheduleId}`, { agent: agents[k % instances.length], headers: { cookie: cookies[k % cookies.length]! } }).catch(
        // No answer (a reset socket): counted as status 0.
        (): HttpResult => ({ status: 0, headers: {}, body: '', ms: performance.now() - started }),
      ),
    ),
  );
  const wallMs = performance.now() - started;
  const after = await loads();
  for (const a of agents) a.destroy();
  const statuses: Record<string, number> = {};
  for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  // A session read that fails makes express-session (unset: 'destroy') delete the session: count and replace.
  let sessionsLost = 0;
  for (let i = 0; i < cookies.length; i++) {
    const me = await request(`${instances[0]}/api/auth/me`, { headers: { cookie: cookies[i]! } });
    if (me.status === 401) {
      sessionsLost++;
      cookies[i] = await appLogin(instances[0]!, stack.seeded.adminEmails[i % stack.seeded.adminEmails.length]!, PASSWORD);
    }
  }
  if (sessionsLost > 0) onSessionsReplaced?.();
  return {
    instances: instances.length,
    requests: results.length,
    loads: after - before,
    statuses,
    distinctBodies: new Set(results.filter((r) => r.status === 200).map((r) => r.body)).size,
    staleAnswers: results.filter((r) => r.status === 200 && !r.body.includes(JSON.stringify(notes))).length,
    maxMs: max(results.map((r) => r.ms)),
    wallMs,
    sessionsLost,
  };
}


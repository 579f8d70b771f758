import { expect } from '@jest/globals';
import request from 'supertest';
import { makeAccount, ACCOUNT_PASSWORD, type Account, type Agent } from '../support/accounts.js';
import type { TestApp } from '../support/test-app.js';

/**
 * A failover under logins, as an operator sees it through the API: every login answers 200 or
 * 503 (never another 5xx), and every 200 is a session that is still there afterwards.
 */
export interface LoginOutcome {
  account: Account;
  status: number;
  agent: Agent;
  /** Whether the failover had been seen to complete when this login was sent. */
  afterFailover: boolean;
}

export async function loginsThrough(
  t: TestApp,
  options: { failover(): Promise<void>; done(): Promise<boolean>; accounts?: number; deadlineMs?: number },
): Promise<LoginOutcome[]> {
  const db = t.deps.database.db;
  const accounts = await Promise.all(Array.from({ length: options.accounts ?? 24 }, () => makeAccount(db, 'crew')));
  const outcomes: LoginOutcome[] = [];
  const deadline = Date.now() + (options.deadlineMs ?? 40_000);
  let failedOver = false;
  let next = 0;
  const login = async (afterFailover: boolean) => {
    const account = accounts[next++ % accounts.length]!;
    const agent = request.agent(t.app);
    const res = await agent.post('/api/auth/login').send({ email: account.email, password: ACCOUNT_PASSWORD });
    outcomes.push({ account, status: res.status, agent, afterFailover });
  };

  // A few logins before, then logins in pairs while the failover runs, until it has completed
  // and logins are acknowledged again.
  for (let i = 0; i < 4; i++) await login(false);
  const failover = options.failover();
  while (Date.now() < deadline) {
    await Promise.all([login(failedOver), login(failedOver)]);
    if (!failedOver && (await options.done())) failedOver = true;
    if (failedOver && outcomes.filter((o) => o.afterFailover && o.status === 200).length >= 4) break;
  }
  await failover;
  const count = (after: boolean, status: number) => outcomes.filter((o) => o.afterFailover === after && o.status === status).length;
  console.log(
    `logins through the failover: before it completed ${count(false, 200)} × 200, ${count(false, 503)} × 503; ` +
      `after ${count(true, 200)} × 200, ${count(true, 503)} × 503; other statuses: ${outcomes.filter((o) => o.status !== 200 && o.status !== 503).length}`,
  );
  return outcomes;
}

export async function waitForHealthy(t: TestApp, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let status = 0;
  while (Date.now() < deadline) {
    status = (await request(t.app).get('/api/health')).status;
    if (status === 200) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(status).toBe(200);
}

/** No answer but 200 and 503; every acknowledged login still has its session; writes work. */
export async function expectNothingAcknowledgedLost(t: TestApp, outcomes: LoginOutcome[]): Promise<void> {
  const statuses = [...new Set(outcomes.map((o) => o.status))].sort();
  expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
  const acknowledged = outcomes.filter((o) => o.status === 200);
  expect(acknowledged.filter((o) => !o.afterFailover).length).toBeGreaterThan(0);
  expect(acknowledged.filter((o) => o.afterFailover).length).toBeGreaterThan(0);

  const lost: string[] = [];
  for (const outcome of acknowledged) {
    const me = await outcome.agent.get('/api/auth/me');
    if (me.status !== 200) lost.push(`${outcome.account.email}: ${me.status}`);
  }
  expect(lost).toEqual([]);

  // Writes work again, revocation included: a logout ends its session.
  const last = acknowledged.at(-1)!;
  await last.agent.post('/api/auth/logout').expect(204);
  await last.agent.get('/api/auth/me').expect(401);
  const again = request.agent(t.app);
  await again.post('/api/auth/login').send({ email: last.account.email, password: ACCOUNT_PASSWORD }).expect(200);
  await again.get('/api/auth/me').expect(200);
}

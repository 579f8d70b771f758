import type { Express } from 'express';
import request from 'supertest';
import { hashPassword } from '../../server/auth/password.js';
import type { Database } from '../../server/db/client.js';
import type { Role } from '../../shared/schemas/users.js';
import { addMember, insertUser, uniqueEmail } from './factories.js';

/** One real argon2id hash per test process: every account made here shares this password. */
export const ACCOUNT_PASSWORD = 'correct horse battery staple';
let hash: Promise<string> | undefined;

export interface Account {
  id: number;
  email: string;
  role: Role;
}

export async function makeAccount(db: Database, role: Role, locationIds: number[] = [], name = `Test ${role}`): Promise<Account> {
  hash ??= hashPassword(ACCOUNT_PASSWORD);
  const user = await insertUser(db, { role, name, email: uniqueEmail(role), passwordHash: await hash });
  for (const locationId of locationIds) await addMember(db, user.id, locationId);
  return { id: user.id, email: user.email, role };
}

export type Agent = ReturnType<typeof request.agent>;

/** A browser: a cookie jar signed in as the account. */
export async function signIn(app: Express, account: { email: string }, password = ACCOUNT_PASSWORD): Promise<Agent> {
  const agent = request.agent(app);
  const res = await agent.post('/api/auth/login').send({ email: account.email, password });
  if (res.status !== 200) throw new Error(`sign-in of ${account.email} answered ${res.status}: ${res.text}`);
  return agent;
}

/** The `crewplots.sid=…` pair of a response's Set-Cookie, as a browser would send it back (login also sets `crewplots.dev`). */
export function sessionCookieOf(setCookie: string[] | string | undefined): string | undefined {
  const cookies = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  return cookies.find((c) => c.startsWith('crewplots.sid='))?.split(';')[0];
}

/** The session id inside a signed `crewplots.sid` cookie (s:<id>.<signature>). */
export function sessionIdOf(setCookie: string[] | string | undefined): string | undefined {
  const cookies = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  const raw = cookies.find((c) => c.startsWith('crewplots.sid='))?.split(';')[0]?.slice('crewplots.sid='.length);
  if (!raw) return undefined;
  return /^s:([^.]+)\./.exec(decodeURIComponent(raw))?.[1];
}

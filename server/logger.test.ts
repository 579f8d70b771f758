import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { AppError } from './errors.js';
import { createLogger } from './logger.js';

/** Lines a logger writes, as text. */
function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: createLogger({ logLevel: 'info', env: 'test' }, sink), lines };
}

const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo';

describe('the logger', () => {
  it('redacts passwords, cookies, secrets and tokens by name, up to four levels deep', () => {
    const { logger, lines } = capture();
    logger.info({ body: { password: 'hunter2 hunter2' }, passwordHash: HASH, req: { headers: { cookie: 'crewplots.sid=s%3Aabc', authorization: 'Bearer t0ken' } } }, 'x');
    logger.info({ a: { b: { c: { password: 'hunter3 hunter3' } } }, env: { ADMIN_PASSWORD: 'hunter4 hunter4' }, config: { adminPassword: 'hunter5' } }, 'y');
    logger.info({ cookie: 'crewplots.sid=s%3Adef', upstream: { authorization: 'Bearer t1ken' }, res: { headers: { 'set-cookie': 'crewplots.sid=s%3Aghi' } } }, 'z');
    logger.info({ session: { secrets: ['0123456789abcdef0123456789abcdef'] }, metricsToken: 'scrape-t2ken' }, 'w');
    logger.info({ req: { headers: { cookie: 'crewplots.dev=7.AAAAAAAAAAAAAAAAAAAAAA.1796000000.sig' } }, res: { headers: { 'set-cookie': ['crewplots.dev=8.B.1.sig; Path=/api/auth/login'] } } }, 'v');
    const text = lines.join('');
    expect(text).not.toMatch(/hunter|argon2|crewplots\.sid|crewplots\.dev|t[012]ken|0123456789abcdef/);
    expect(text.match(/\[redacted\]/g)).toHaveLength(14);
  });

  it('leaves out the parameters of a failed query, which can hold a password hash', () => {
    const { logger, lines } = capture();
    const failed = new DrizzleQueryError('update "users" set "password_hash" = $1 where "id" = $2', [HASH, 7], new Error('Connection terminated'));
    logger.error({ err: failed }, 'query failed');
    logger.warn({ err: new AppError('service_unavailable', 'Postgres is unavailable.', { cause: failed }) }, 'wrapped');
    const text = lines.join('');
    expect(text).not.toContain('argon2');
    expect(text).toContain('update \\"users\\" set \\"password_hash\\" = $1');
    expect(text).toContain('Connection terminated');
    expect(text).toContain('params: [redacted]');
  });

  it('batches stdout, and still writes every line waiting when the process exits, or soon when it is quiet', () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const run = (body: string) => {
      const script = `import { createLogger } from ${JSON.stringify(path.join(here, 'logger.ts'))};
        const logger = createLogger({ logLevel: 'info', env: 'production' });
        ${body}`;
      try {
        return execFileSync(path.join(here, '../node_modules/.bin/tsx'), ['--eval', script], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
      } catch (err) {
        return (err as { stdout: string }).stdout;
      }
    };
    const numbers = (out: string) => out.trim().split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { i: number }).i);
    // A burst, then an exit at once: the last batch goes out from the exit hook.
    expect(numbers(run(`for (let i = 0; i < 5000; i++) logger.info({ i }, 'line'); process.exit(3);`))).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    // An uncaught exception after a few lines.
    expect(numbers(run(`for (let i = 0; i < 3; i++) logger.info({ i }, 'line'); setTimeout(() => { throw new Error('boom'); }, 10);`))).toEqual([0, 1, 2]);
    // One line on a server that stays up: it goes out within the flush interval, not at exit. The
    // process is killed outright after 1 s, so only a line already written reaches the pipe.
    expect(numbers(run(`logger.info({ i: 7 }, 'line'); setTimeout(() => process.kill(process.pid, 'SIGKILL'), 1000); setInterval(() => {}, 1000);`))).toEqual([7]);
  });
});

import type { Database } from '../db/client.js';
import type { Logger } from '../logger.js';
import { createAccountsRepository } from './accounts.repository.js';
import { newToken, tokenHash } from './tokens.js';

/**
 * At every start on a database without users: a new setup token, stored as its hash, and one log
 * line with its link (the only line that ever holds a token). Each instance logs its own; every
 * one works until the first admin exists (docs/decisions/012-first-run-setup.md). Answers whether
 * a link was logged.
 */
export async function announceSetup(db: Database, logger: Logger, port: number): Promise<boolean> {
  const repo = createAccountsRepository(db);
  if (await repo.anyUser()) return false;
  const token = newToken();
  await repo.addSetupToken(tokenHash(token)!);
  logger.info(`No account exists yet: open http://localhost:${port}/setup?token=${token} to create the first admin (the link works until an admin exists)`);
  return true;
}

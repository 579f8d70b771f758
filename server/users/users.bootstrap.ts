import { sql } from 'drizzle-orm';
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import type { Logger } from '../logger.js';
import { hashPassword } from '../auth/password.js';

/**
 * The first admin of an empty database, from ADMIN_EMAIL / ADMIN_PASSWORD. One statement decides
 * "no user exists yet" and inserts, so instances starting together create it once; the unique
 * email index settles the rest. Nothing else creates a user without an authenticated caller.
 */
export async function bootstrapAdmin(db: Database, config: Pick<Config, 'bootstrapAdmin'>, logger: Logger): Promise<void> {
  const admin = config.bootstrapAdmin;
  if (!admin) return;
  const passwordHash = await hashPassword(admin.password);
  // Both drivers answer execute() with `{ rows }`.
  const result = (await db.execute(sql`
    insert into users (email, name, role, password_hash)
    select ${admin.email}, 'Administrator', 'admin', ${passwordHash}
    where not exists (select 1 from users)
    on conflict do nothing
    returning id`)) as { rows: Array<{ id: number }> };
  const rows = result.rows;
  if (rows.length > 0) logger.info({ userId: rows[0]?.id }, 'created the first admin from ADMIN_EMAIL');
}

import { and, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import type { AccessLinkKind } from '../../shared/schemas/accounts.js';
import type { Database, Transaction } from '../db/client.js';
import { accessLinks, setupTokens, users } from '../db/schema.js';

/** A link as the welcome page asks about it. */
export interface LinkView {
  userId: number;
  email: string;
  name: string;
  kind: AccessLinkKind;
  /** Not used, replaced, killed or expired. */
  live: boolean;
}

/** Spent links stay this long after they expire, so they answer 410 rather than 404 meanwhile. */
const KEEP_EXPIRED = sql`interval '30 days'`;

export function createAccountsRepository(db: Database) {
  return {
    async anyUser(): Promise<boolean> {
      const [row] = await db.select({ id: users.id }).from(users).limit(1);
      return row !== undefined;
    },

    async addSetupToken(hash: string): Promise<void> {
      await db.insert(setupTokens).values({ tokenHash: hash });
    },

    async setupTokenExists(hash: string): Promise<boolean> {
      const [row] = await db.select({ hash: setupTokens.tokenHash }).from(setupTokens).where(eq(setupTokens.tokenHash, hash));
      return row !== undefined;
    },

    /**
     * In the setup's transaction: holds off every other insert into users until it ends (reads go
     * on), then tells whether this setup may create the first admin. Of concurrent setups, the
     * first to take the lock creates the admin; the others then see a user and answer `done`.
     */
    async claimFirstAdmin(tx: Transaction, hash: string): Promise<'ok' | 'done' | 'wrong_token'> {
      await tx.execute(sql`lock table ${users} in exclusive mode`);
      const [user] = await tx.select({ id: users.id }).from(users).limit(1);
      if (user) return 'done';
      const [token] = await tx.select({ hash: setupTokens.tokenHash }).from(setupTokens).where(eq(setupTokens.tokenHash, hash));
      return token ? 'ok' : 'wrong_token';
    },

    /** Once an admin exists, no setup link works any more. */
    async clearSetupTokens(tx: Transaction): Promise<void> {
      await tx.delete(setupTokens);
    },

    /**
     * A new link for the person, replacing their live one (which answers 410 from then on); null if
     * there is no such person. The person's row is locked first, so two links issued at once
     * replace one another in turn and a password set meanwhile decides the kind.
     */
    async issueLink(
      tx: Transaction,
      link: { userId: number; tokenHash: string; expiresAt: Date; createdBy: number | null },
    ): Promise<AccessLinkKind | null> {
      const [person] = await tx
        .select({ passwordHash: users.passwordHash })
        .from(users)
        .where(eq(users.id, link.userId))
        .for('update');
      if (!person) return null;
      const kind: AccessLinkKind = person.passwordHash === null ? 'invite' : 'reset';
      await tx.update(accessLinks).set({ spentAt: sql`now()` }).where(and(eq(accessLinks.userId, link.userId), isNull(accessLinks.spentAt)));
      await tx.delete(accessLinks).where(and(eq(accessLinks.userId, link.userId), lt(accessLinks.expiresAt, sql`now() - ${KEEP_EXPIRED}`)));
      await tx.insert(accessLinks).values({ ...link, kind });
      return kind;
    },

    async findLink(hash: string): Promise<LinkView | null> {
      const [row] = await db
        .select({
          userId: accessLinks.userId,
          email: users.email,
          name: users.name,
          kind: accessLinks.kind,
          live: sql<boolean>`(${accessLinks.spentAt} is null and ${accessLinks.expiresAt} > now() and ${users.active})`,
        })
        .from(accessLinks)
        .innerJoin(users, eq(users.id, accessLinks.userId))
        .where(eq(accessLinks.tokenHash, hash));
      return row ?? null;
    },

    /** Uses the link up if it is still live: the person's id, or null (used, replaced, killed, expired). */
    async spendLink(tx: Transaction, hash: string): Promise<number | null> {
      const [row] = await tx
        .update(accessLinks)
        .set({ spentAt: sql`now()` })
        .where(
          and(
            eq(accessLinks.tokenHash, hash),
            isNull(accessLinks.spentAt),
            gt(accessLinks.expiresAt, sql`now()`),
            sql`exists (select 1 from ${users} where ${users.id} = ${accessLinks.userId} and ${users.active})`,
          ),
        )
        .returning({ userId: accessLinks.userId });
      return row?.userId ?? null;
    },
  };
}

export type AccountsRepository = ReturnType<typeof createAccountsRepository>;

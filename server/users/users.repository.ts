import { and, asc, eq, exists, gt, ilike, inArray, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { Role, User } from '../../shared/schemas/users.js';
import type { Database, Transaction } from '../db/client.js';
import { constraintViolation, SQLSTATE } from '../db/errors.js';
import { accessLinks, locationMembers, locations, users, type UserRow } from '../db/schema.js';
import { AppError } from '../errors.js';

export interface MembershipRow {
  locationId: number;
  position: string | null;
}

/** What login needs: the only read that carries the password hash, and it never leaves the service. */
export interface Credentials {
  id: number;
  role: Role;
  active: boolean;
  /** Null while an invited person has not chosen a password: nothing signs them in. */
  passwordHash: string | null;
  locationIds: number[];
}

export interface UserFilter {
  role?: Role;
  locationId?: number;
  active?: boolean;
  q?: string;
  /** Only users who are members of one of these locations (a manager's view). */
  sharingLocations?: readonly number[];
  afterId?: number;
  limit: number;
}

export interface UserValues {
  email: string;
  name: string;
  role: Role;
  passwordHash: string | null;
  phone: string | null;
}

export type UserChanges = Partial<UserValues & { active: boolean; hourlyRate: string | null; maxWeeklyHours: string | null }>;

export function toUser(row: UserRow, memberships: MembershipRow[]): User {
  const sorted = [...memberships].sort((a, b) => a.locationId - b.locationId);
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    phone: row.phone,
    active: row.active,
    locationIds: sorted.map((m) => m.locationId),
    memberships: sorted.map((m) => ({ locationId: m.locationId, position: m.position })),
    invitePending: row.passwordHash === null,
    hourlyRate: row.hourlyRate,
    maxWeeklyHours: row.maxWeeklyHours === null ? null : Number(row.maxWeeklyHours),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** A unique-email violation is the one database error a caller can cause here. */
function translate(err: unknown): never {
  const violation = constraintViolation(err);
  if (violation?.constraint === 'users_email_lower_key') {
    throw new AppError('email_taken', 'A user with this email already exists.', { cause: err });
  }
  if (violation?.sqlState === SQLSTATE.foreignKeyViolation && violation.constraint?.startsWith('location_members_location')) {
    throw new AppError('unprocessable', 'One of the locations does not exist.', { cause: err });
  }
  throw err;
}

export function createUsersRepository(db: Database) {
  async function membershipsOf(userIds: number[]): Promise<Map<number, MembershipRow[]>> {
    const byUser = new Map<number, MembershipRow[]>(userIds.map((id) => [id, []]));
    if (userIds.length === 0) return byUser;
    const rows = await db
      .select({ userId: locationMembers.userId, locationId: locationMembers.locationId, position: locationMembers.position })
      .from(locationMembers)
      .where(inArray(locationMembers.userId, userIds));
    for (const row of rows) byUser.get(row.userId)?.push({ locationId: row.locationId, position: row.position });
    return byUser;
  }

  /**
   * What login checks and a session carries, of the one user `where` picks. One statement whether
   * or not the user exists, so a login for an unknown email costs what one for a known email does.
   */
  async function credentialsWhere(where: SQL): Promise<Credentials | null> {
    const [row] = await db
      .select({
        id: users.id,
        role: users.role,
        active: users.active,
        passwordHash: users.passwordHash,
        locationIds: sql<number[]>`coalesce((select array_agg(${locationMembers.locationId} order by ${locationMembers.locationId}) from ${locationMembers} where ${locationMembers.userId} = ${users.id}), '{}')`,
      })
      .from(users)
      .where(where);
    return row ?? null;
  }

  async function replaceMemberships(tx: Transaction, userId: number, memberships: MembershipRow[]): Promise<void> {
    await tx.delete(locationMembers).where(eq(locationMembers.userId, userId));
    if (memberships.length > 0) {
      await tx.insert(locationMembers).values(memberships.map((m) => ({ userId, locationId: m.locationId, position: m.position })));
    }
  }

  return {
    async findById(id: number): Promise<User | null> {
      const [row] = await db.select().from(users).where(eq(users.id, id));
      if (!row) return null;
      return toUser(row, (await membershipsOf([id])).get(id) ?? []);
    },

    findCredentialsByEmail(email: string): Promise<Credentials | null> {
      return credentialsWhere(sql`lower(${users.email}) = lower(${email})`);
    },

    findCredentialsById(id: number): Promise<Credentials | null> {
      return credentialsWhere(eq(users.id, id));
    },

    async findPasswordHash(id: number): Promise<string | null> {
      const [row] = await db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, id));
      return row?.passwordHash ?? null;
    },

    /** Keyset pagination by id: stable under inserts, no OFFSET scans. */
    async list(filter: UserFilter): Promise<User[]> {
      const conditions: SQL[] = [];
      if (filter.role) conditions.push(eq(users.role, filter.role));
      if (filter.active !== undefined) conditions.push(eq(users.active, filter.active));
      if (filter.afterId) conditions.push(gt(users.id, filter.afterId));
      if (filter.q) {
        const pattern = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        conditions.push(or(ilike(users.name, pattern), ilike(users.email, pattern))!);
      }
      const memberOf = (ids: readonly number[]) =>
        exists(
          db
            .select({ one: sql`1` })
            .from(locationMembers)
            .where(and(eq(locationMembers.userId, users.id), inArray(locationMembers.locationId, [...ids]))),
        );
      if (filter.locationId !== undefined) conditions.push(memberOf([filter.locationId]));
      if (filter.sharingLocations) conditions.push(memberOf(filter.sharingLocations));
      const rows = await db
        .select()
        .from(users)
        .where(and(...conditions))
        .orderBy(asc(users.id))
        .limit(filter.limit);
      const memberships = await membershipsOf(rows.map((r) => r.id));
      return rows.map((row) => toUser(row, memberships.get(row.id) ?? []));
    },

    /** In the write path's transaction (server/changes/write-path.ts). */
    async insert(tx: Transaction, values: UserValues, memberships: MembershipRow[]): Promise<User> {
      try {
        const [row] = await tx.insert(users).values(values).returning();
        await replaceMemberships(tx, row!.id, memberships);
        return toUser(row!, memberships);
      } catch (err) {
        translate(err);
      }
    },

    /** Returns the updated user, or null if there is no such user. In the write path's transaction. */
    async update(tx: Transaction, id: number, changes: UserChanges, memberships?: MembershipRow[]): Promise<User | null> {
      try {
        const [row] = await tx
          .update(users)
          .set({ ...changes, updatedAt: sql`now()` })
          .where(eq(users.id, id))
          .returning();
        if (!row) return null;
        // A one-time link dies with a new password and with a deactivation (API.md): from now on it answers 410.
        if (changes.passwordHash !== undefined || changes.active === false) {
          await tx.update(accessLinks).set({ spentAt: sql`now()` }).where(and(eq(accessLinks.userId, id), isNull(accessLinks.spentAt)));
        }
        if (memberships) await replaceMemberships(tx, id, memberships);
        const current = memberships ?? (await tx.select().from(locationMembers).where(eq(locationMembers.userId, id)));
        return toUser(row, current);
      } catch (err) {
        translate(err);
      }
    },

    /** Which of these location ids exist (memberships may only name real locations). */
    async existingLocationIds(ids: readonly number[]): Promise<Set<number>> {
      if (ids.length === 0) return new Set();
      const rows = await db.select({ id: locations.id }).from(locations).where(inArray(locations.id, [...ids]));
      return new Set(rows.map((r) => r.id));
    },
  };
}

export type UsersRepository = ReturnType<typeof createUsersRepository>;

import { z } from 'zod';
import { Id } from '../../shared/schemas/common.js';
import type { CreatedUser, CreateUserBody, PatchUserBody, User, UserListQuery } from '../../shared/schemas/users.js';
import type { AccountsRepository } from '../accounts/accounts.repository.js';
import { ACCESS_LINK_TTL_MS, newToken, tokenHash, welcomeUrl } from '../accounts/tokens.js';
import { User as UserSchema } from '../../shared/schemas/users.js';
import type { Actor } from '../access/actor.js';
import { ensureAllowed, ensureFieldsAllowed, ensureVisible, userPolicy } from '../access/policy.js';
import { hashPassword } from '../auth/password.js';
import type { RedisSessionStore } from '../auth/session.store.js';
import type { Cache, CacheKey, ReadAhead } from '../cache/cache.js';
import type { PlanFact, UserFact } from '../changes/changes.js';
import type { WritePath } from '../changes/write-path.js';
import type { Transaction } from '../db/client.js';
import { AppError } from '../errors.js';
import { decodeCursor, encodeCursor } from '../http/cursor.js';
import { RawJson } from '../raw-json.js';
import type { Logger } from '../logger.js';
import type { MembershipRow, UserChanges, UsersRepository } from './users.repository.js';

export interface UsersServiceDeps {
  repo: UsersRepository;
  cache: Cache;
  sessions: RedisSessionStore;
  logger: Logger;
  writes: WritePath;
  /** Where an invite's one-time link is stored. */
  links: Pick<AccountsRepository, 'issueLink'>;
}

/** Where the previous page of the user list ended. */
const UserCursor = z.strictObject({ id: Id });

const userKey = (id: number): CacheKey => ({ namespace: 'user', id });
/** What access checks read of a user, stored ahead of the profile in the cache entry. */
const UserHead = UserSchema.pick({ id: true, role: true, locationIds: true });

type FactsPatch = Partial<Record<'name' | 'role' | 'active' | 'hourlyRate' | 'maxWeeklyHours', unknown>> & { locations?: boolean };

/** What of the person's plan a change moved: the weeks whose labor and warnings read it go stale. */
function planChanged(patch: FactsPatch): PlanFact[] {
  const facts: PlanFact[] = [];
  if (patch.hourlyRate !== undefined) facts.push('rate');
  if (patch.maxWeeklyHours !== undefined) facts.push('limit');
  return facts;
}

/**
 * Which facts about a person a change moved: those the request set (so a retry that finds nothing
 * different still reaches every copy), and those that differ between the row before and after
 * (`before` comes from the cache and may lag; null for a new person or a password change).
 */
function factsChanged(before: User | null, after: User, patch: FactsPatch): UserFact[] {
  const differs = (fact: (u: User) => unknown) => before !== null && fact(before) !== fact(after);
  const facts: UserFact[] = ['profile'];
  if (patch.name !== undefined || differs((u) => u.name)) facts.push('name');
  if (patch.role !== undefined || differs((u) => u.role)) facts.push('role');
  if (patch.locations || differs((u) => u.locationIds.join())) facts.push('locations');
  if (patch.active !== undefined || differs((u) => u.active)) facts.push('active');
  return facts;
}

/** `locationIds` or `memberships` from a request, as membership rows. */
function membershipsFrom(input: Pick<CreateUserBody, 'locationIds' | 'memberships'>): MembershipRow[] | undefined {
  if (input.memberships) return input.memberships.map((m) => ({ locationId: m.locationId, position: m.position ?? null }));
  if (input.locationIds) return input.locationIds.map((locationId) => ({ locationId, position: null }));
  return undefined;
}

function dedupe(memberships: MembershipRow[]): MembershipRow[] {
  return [...new Map(memberships.map((m) => [m.locationId, m])).values()];
}

export function createUsersService({ repo, cache, sessions, logger, writes, links }: UsersServiceDeps) {
  /** The cached user, or null. Every read of a user by id goes through here. */
  async function cached(id: number, readAhead?: ReadAhead) {
    // A hit parses and validates the head (what access checks read); the rest when value() asks.
    return cache.getOrLoad({ key: userKey(id), ttl: 'MEDIUM', schema: UserSchema, head: UserHead, readAhead, load: () => repo.findById(id) });
  }

  /** The cached user if the actor may see them; 404 otherwise. */
  async function visibleUser(actor: Actor, id: number, readAhead?: ReadAhead) {
    const entry = await cached(id, readAhead);
    ensureVisible(entry !== null && userPolicy.view(actor, entry.head), 'user');
    return entry!;
  }

  async function assertLocationsExist(memberships: MembershipRow[]): Promise<void> {
    const ids = memberships.map((m) => m.locationId);
    const existing = await repo.existingLocationIds(ids);
    const missing = ids.filter((id) => !existing.has(id));
    if (missing.length > 0) {
      throw new AppError('unprocessable', `No location with id ${missing.join(', ')}.`, {
        errors: [{ path: 'locationIds', message: `unknown location ${missing.join(', ')}` }],
      });
    }
  }

  /**
   * One write of a user in the write path: its cache entry, and every entry that copies what
   * changed, are dropped after the commit (server/changes/).
   */
  async function write(before: User | null, patch: FactsPatch, run: (tx: Transaction) => Promise<User | null>): Promise<User> {
    const after = await writes.run(async (tx, touched) => {
      const user = await run(tx);
      if (user) touched.add({ kind: 'user', userId: user.id, changed: factsChanged(before, user, patch) });
      const plan = planChanged(patch);
      if (user && plan.length > 0) touched.add({ kind: 'plan', userId: user.id, changed: plan });
      return user;
    });
    if (!after) throw new AppError('not_found', 'No such user.');
    return after;
  }

  /**
   * After a change commits, the user's open sessions come in line (a deactivated user or a reset
   * password ends them; a new role or locations apply from the next request). A session update
   * that fails surfaces as a 503, and the caller's retry of the same request does it again:
   * `changed.access` says the request set role or locations, so the sessions are rewritten even
   * when the retry finds nothing different.
   */
  async function afterChange(
    before: User,
    after: User,
    changed: { password?: boolean; access?: boolean; keepSid?: string },
  ): Promise<void> {
    try {
      if (!after.active) {
        await sessions.revokeUser(after.id);
        return;
      }
      // A new password ends the user's other sessions; the one that set it (their own) stays.
      if (changed.password) await sessions.revokeUser(after.id, changed.keepSid);
      if (changed.access || before.role !== after.role || before.locationIds.join() !== after.locationIds.join()) {
        await sessions.updateAccess({ userId: after.id, role: after.role, locationIds: after.locationIds });
      }
    } catch (err) {
      logger.warn({ err, userId: after.id }, 'user saved, but their sessions could not be updated');
      throw new AppError('service_unavailable', 'The change is saved, but sessions could not be updated; send it again.', {
        retryAfter: 1,
        cause: err,
      });
    }
  }

  return {
    /** The cached JSON of a user the actor may see (sent as-is). */
    async get(actor: Actor, id: number, readAhead?: ReadAhead): Promise<RawJson> {
      return new RawJson((await visibleUser(actor, id, readAhead)).json);
    },

    /** Starts the read `get` will make, before the caller's access is known (routes' readAhead). */
    readAhead: (id: number) => cache.readAhead(userKey(id)),

    /** A user by id through the cache, or null; for other services (membership, activity). */
    async find(id: number): Promise<User | null> {
      return (await cached(id))?.value() ?? null;
    },

    /** The signed-in user, or null if they no longer exist or were deactivated. */
    async current(userId: number): Promise<User | null> {
      const user = (await cached(userId))?.value();
      return user?.active ? user : null;
    },

    async list(actor: Actor, query: UserListQuery): Promise<{ items: User[]; nextCursor: string | null }> {
      const after = query.cursor ? decodeCursor(query.cursor, UserCursor) : undefined;
      const rows = await repo.list({
        role: query.role,
        active: query.active,
        q: query.q,
        locationId: query.locationId,
        sharingLocations: actor.role === 'admin' ? undefined : [...actor.locationIds],
        afterId: after?.id,
        limit: query.limit + 1,
      });
      const items = rows.slice(0, query.limit);
      const last = items.at(-1);
      return { items, nextCursor: rows.length > query.limit && last ? encodeCursor({ id: last.id }) : null };
    },

    /**
     * Without a password the person is invited: created with none, plus a one-time link (on
     * `origin`, the address the request came to) in the same transaction, answered as `inviteUrl`.
     */
    async create(actor: Actor, body: CreateUserBody, origin: string): Promise<CreatedUser> {
      const memberships = dedupe(membershipsFrom(body) ?? []);
      ensureAllowed(
        userPolicy.create(actor, { role: body.role, locationIds: memberships.map((m) => m.locationId) }),
        actor.role === 'manager' ? 'Managers add crew to locations they manage.' : undefined,
      );
      await assertLocationsExist(memberships);
      const passwordHash = body.password === undefined ? null : await hashPassword(body.password);
      const invite = passwordHash === null ? newToken() : undefined;
      // Declared as a change: a 404 for this id may have been cached before the user existed.
      const user = await write(null, {}, async (tx) => {
        const created = await repo.insert(tx, { email: body.email, name: body.name, role: body.role, phone: body.phone ?? null, passwordHash }, memberships);
        if (invite) {
          const expiresAt = new Date(Date.now() + ACCESS_LINK_TTL_MS);
          await links.issueLink(tx, { userId: created.id, tokenHash: tokenHash(invite)!, expiresAt, createdBy: actor.userId });
        }
        return created;
      });
      return invite ? { ...user, inviteUrl: welcomeUrl(origin, invite) } : user;
    },

    /** `currentSid`: the caller's session, kept when they change their own password. */
    async update(actor: Actor, id: number, patch: PatchUserBody, currentSid?: string): Promise<User> {
      const before = (await visibleUser(actor, id)).value();
      ensureFieldsAllowed(patch, userPolicy.editableFields(actor, before), userPolicy.membershipOnlyReason(actor, before));
      const { locationIds: _ids, memberships: _m, password, maxWeeklyHours, ...fields } = patch;
      const changes: UserChanges = { ...fields };
      if (maxWeeklyHours !== undefined) changes.maxWeeklyHours = maxWeeklyHours === null ? null : String(maxWeeklyHours);
      if (password) changes.passwordHash = await hashPassword(password);
      if (actor.userId === id && (patch.active === false || (patch.role && patch.role !== 'admin' && before.role === 'admin'))) {
        throw new AppError('unprocessable', 'You cannot deactivate yourself or give up your own admin role.');
      }

      let memberships = membershipsFrom(patch);
      if (memberships && actor.role === 'manager') {
        // A manager rearranges memberships in the locations they manage and leaves the rest alone.
        const outside = memberships.filter((m) => !actor.locationIds.has(m.locationId));
        ensureAllowed(outside.length === 0, 'Managers assign crew only to locations they manage.');
        const kept = before.memberships.filter((m) => !actor.locationIds.has(m.locationId));
        memberships = [...kept, ...memberships];
      }
      if (memberships) {
        memberships = dedupe(memberships);
        await assertLocationsExist(memberships);
      }
      const after = await write(before, { ...fields, maxWeeklyHours, locations: memberships !== undefined }, (tx) => repo.update(tx, id, changes, memberships));
      await afterChange(before, after, {
        password: Boolean(password),
        access: patch.role !== undefined || memberships !== undefined,
        keepSid: actor.userId === id ? currentSid : undefined,
      });
      return after;
    },

    /**
     * A user's own password change: the new hash, a fresh cached copy, and only `keepSid` of their
     * sessions left. The other sessions end before the hash is stored, so a Redis that fails then
     * leaves the old password in place and the request can be sent again as it was. They are
     * swept once more after it is stored, for a login that checked the old password meanwhile;
     * if Redis fails just then, the answer is a 503 with the new password already in force, and
     * that one racing session lives until the user changes the password again or it expires.
     */
    async setOwnPassword(id: number, passwordHash: string, keepSid: string): Promise<void> {
      await sessions.revokeUser(id, keepSid);
      const after = await write(null, {}, (tx) => repo.update(tx, id, { passwordHash }));
      await afterChange(after, after, { password: true, keepSid });
    },

    /** DELETE: deactivates (shift history stays) and ends every session of the user at once. */
    async deactivate(actor: Actor, id: number): Promise<void> {
      const before = (await visibleUser(actor, id)).value();
      ensureAllowed(userPolicy.deactivate(actor));
      if (actor.userId === id) throw new AppError('unprocessable', 'You cannot deactivate yourself.');
      const after = await write(before, { active: false }, (tx) => repo.update(tx, id, { active: false }));
      await afterChange(before, after, {});
    },
  };
}

export type UsersService = ReturnType<typeof createUsersService>;

import type { AccessLinkCreated, AccessLinkInfo, SetupBody } from '../../shared/schemas/accounts.js';
import type { User } from '../../shared/schemas/users.js';
import type { Actor } from '../access/actor.js';
import { ensureAllowed, ensureVisible, userPolicy } from '../access/policy.js';
import { ONE_TIME_LINK_PER_ADDRESS, type Attempt, type AttemptLimiter } from '../auth/attempt-limiter.js';
import { clientNetwork } from '../auth/client-network.js';
import { hashPassword } from '../auth/password.js';
import type { RedisSessionStore, SessionAccess } from '../auth/session.store.js';
import type { Change } from '../changes/changes.js';
import type { WritePath } from '../changes/write-path.js';
import type { Config } from '../config.js';
import { DEMO_DOMAIN, insertDemo } from '../db/seed.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { UsersRepository } from '../users/users.repository.js';
import type { UsersService } from '../users/users.service.js';
import type { AccountsRepository } from './accounts.repository.js';
import { ACCESS_LINK_TTL_MS, newToken, tokenHash, welcomeUrl } from './tokens.js';

export interface AccountsServiceDeps {
  repo: AccountsRepository;
  usersRepo: UsersRepository;
  users: UsersService;
  writes: WritePath;
  sessions: RedisSessionStore;
  limiter: AttemptLimiter;
  config: Pick<Config, 'isProduction'>;
}

/** A person a setup or a link has just signed in: what the session needs, and its re-check once stored. */
export interface SignIn {
  user: User;
  access: SessionAccess;
  confirm: () => Promise<SessionAccess>;
}

// The same words for every token that does not work, so an answer never tells whether one existed.
const WRONG_SETUP_TOKEN = 'This setup link is not valid. Use the link from the server log of this start.';
const UNKNOWN_LINK = 'This link is not valid. Ask for a new one.';
const DEAD_LINK = 'This link was already used, was replaced by a newer one, or has expired. Ask for a new one.';

const newPersonFacts = (userId: number): Change => ({ kind: 'user', userId, changed: ['profile'] });

export function createAccountsService({ repo, usersRepo, users, writes, sessions, limiter, config }: AccountsServiceDeps) {
  /**
   * A token route's work under the per-address limit: refusals (wrong, used or expired tokens)
   * count as failures, anything else leaves no trace.
   */
  async function limited<T>(address: string, work: (attempt: Attempt) => Promise<T>): Promise<T> {
    const attempt = await limiter.begin([[ONE_TIME_LINK_PER_ADDRESS, clientNetwork(address)]]);
    try {
      const result = await work(attempt);
      await attempt.succeeded([]);
      return result;
    } catch (err) {
      if (err instanceof AppError && (err.code === 'forbidden' || err.code === 'not_found' || err.code === 'gone')) await attempt.failed();
      throw err;
    } finally {
      await attempt.end();
    }
  }

  /** Signs in the person whose password was just set to `passwordHash`, if it still is when the session is stored. */
  function signInAs(user: User, passwordHash: string): SignIn {
    const accessNow = async (): Promise<SessionAccess> => {
      const now = await usersRepo.findCredentialsById(user.id);
      if (!now?.active || now.passwordHash !== passwordHash) throw new AppError('unauthenticated', 'Your account changed meanwhile; sign in again.');
      return { userId: now.id, role: now.role, locationIds: now.locationIds };
    };
    return { user, access: { userId: user.id, role: user.role, locationIds: user.locationIds }, confirm: accessNow };
  }

  async function liveLink(token: string) {
    const hash = tokenHash(token);
    const link = hash ? await repo.findLink(hash) : null;
    if (!hash || !link) throw new AppError('not_found', UNKNOWN_LINK);
    if (!link.live) throw new AppError('gone', DEAD_LINK);
    return { hash, link };
  }

  return {
    /** Whether setup may load demo data (never in production). */
    demoDataAllowed: !config.isProduction,

    /** GET /setup: true while no user exists. */
    async setupNeeded(): Promise<boolean> {
      return !(await repo.anyUser());
    },

    /**
     * POST /setup: the first admin, from a setup token. Concurrent setups queue on a table lock in
     * their transaction; the first creates the admin and the rest find it there (409).
     */
    async setup(body: SetupBody, address: string): Promise<SignIn> {
      if (body.demoData && config.isProduction) {
        throw new AppError('unprocessable', 'Demo data is never loaded in production.', { errors: [{ path: 'demoData', message: 'is refused in production' }] });
      }
      if (body.demoData && body.email.endsWith(`@${DEMO_DOMAIN}`)) {
        throw new AppError('unprocessable', `The demo data has its own people at ${DEMO_DOMAIN}; use another email.`, {
          errors: [{ path: 'email', message: `must not be at ${DEMO_DOMAIN} with demo data` }],
        });
      }
      return limited(address, async () => {
        const done = () => new AppError('setup_done', 'The first admin exists already: sign in instead.');
        if (await repo.anyUser()) throw done();
        const hash = tokenHash(body.token);
        if (!hash || !(await repo.setupTokenExists(hash))) throw new AppError('forbidden', WRONG_SETUP_TOKEN);
        const passwordHash = await hashPassword(body.password);
        const user = await writes.run(async (tx, touched) => {
          const claim = await repo.claimFirstAdmin(tx, hash);
          if (claim === 'done') throw done();
          if (claim === 'wrong_token') throw new AppError('forbidden', WRONG_SETUP_TOKEN);
          const admin = await usersRepo.insert(tx, { email: body.email, name: body.name, role: 'admin', passwordHash, phone: null }, []);
          await repo.clearSetupTokens(tx);
          touched.add(newPersonFacts(admin.id));
          if (body.demoData) {
            const demo = await insertDemo(tx, { withAdmin: false });
            touched.add(
              ...demo.userIds.map(newPersonFacts),
              ...demo.locationIds.map((locationId): Change => ({ kind: 'location', locationId })),
              ...demo.schedules.map(({ schedule, people }): Change => ({ kind: 'schedule', schedule, previousStatus: null, people })),
            );
          }
          return admin;
        });
        return signInAs(user, passwordHash);
      });
    },

    /** POST /users/:id/access-link: a new invite or reset link, replacing the person's previous one. */
    async issueLink(actor: Actor, userId: number, origin: string): Promise<AccessLinkCreated> {
      const person = await users.find(userId);
      ensureVisible(person !== null && userPolicy.view(actor, person), 'user');
      ensureAllowed(userPolicy.issueAccessLink(actor, person!), 'Only an admin, or a manager who runs every location this person works at, hands out their links.');
      if (!person!.active) throw new AppError('unprocessable', 'This person is deactivated: reactivate them first.');
      const token = newToken();
      const expiresAt = new Date(Date.now() + ACCESS_LINK_TTL_MS);
      const kind = await writes.run((tx) => repo.issueLink(tx, { userId, tokenHash: tokenHash(token)!, expiresAt, createdBy: actor.userId }));
      if (!kind) throw new AppError('not_found', 'No such user.');
      return { url: welcomeUrl(origin, token), expiresAt: expiresAt.toISOString() };
    },

    /** GET /access-links/:token: whose link it is, for the welcome page. */
    async inspectLink(token: string, address: string): Promise<AccessLinkInfo> {
      return limited(address, async () => {
        const { link } = await liveLink(token);
        return { email: link.email, name: link.name, kind: link.kind };
      });
    },

    /**
     * POST /access-links/:token: sets the password and uses the link up, in one transaction (of two
     * uses at once, one wins and the other finds it spent: 410); then every session the person
     * had ends, and the caller signs them in.
     */
    async useLink(token: string, password: string, address: string): Promise<SignIn> {
      return limited(address, async () => {
        const { hash } = await liveLink(token);
        const passwordHash = await hashPassword(password);
        const user = await writes.run(async (tx, touched) => {
          const userId = await repo.spendLink(tx, hash);
          if (userId === null) throw new AppError('gone', DEAD_LINK);
          const updated = await usersRepo.update(tx, userId, { passwordHash });
          if (!updated) throw new AppError('gone', DEAD_LINK);
          touched.add({ kind: 'user', userId, changed: ['profile'] });
          return updated;
        });
        await sessions.revokeUser(user.id);
        return signInAs(user, passwordHash);
      });
    },
  };
}

export type AccountsService = ReturnType<typeof createAccountsService>;

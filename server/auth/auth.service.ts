import { randomBytes } from 'node:crypto';
import type { User } from '../../shared/schemas/users.js';
import type { Actor } from '../access/actor.js';
import { AppError } from '../errors.js';
import type { Credentials, UsersRepository } from '../users/users.repository.js';
import type { UsersService } from '../users/users.service.js';
import type { AuthMetrics } from '../metrics/auth.metrics.js';
import { LOGIN_PER_ACCOUNT, LOGIN_PER_ADDRESS, LOGIN_PER_DEVICE, PASSWORD_CHANGE_PER_USER, type AttemptLimiter, type Counter } from './attempt-limiter.js';
import { clientNetwork } from './client-network.js';
import type { Device } from './device-cookie.js';
import { hashPassword, verifyPassword } from './password.js';
import type { SessionAccess } from './session.store.js';

export interface AuthServiceDeps {
  repo: UsersRepository;
  users: UsersService;
  limiter: AttemptLimiter;
  metrics: AuthMetrics;
}

/** Where a login comes from: the client's address, and the device cookie it presented, if valid. */
export interface LoginOrigin {
  address: string;
  device: Device | undefined;
}

export interface VerifiedLogin {
  access: SessionAccess;
  /** Re-reads the user once the session is stored (Sessions.establish). */
  confirm: () => Promise<SessionAccess>;
  /** The device to (re)issue the cookie for: the one presented if it was this account's, else a new one. */
  device: Device;
}

const BAD_LOGIN = 'Email or password is wrong, or the account is deactivated.';

const accessOf = (c: Credentials): SessionAccess => ({ userId: c.id, role: c.role, locationIds: c.locationIds });

export function createAuthService({ repo, users, limiter, metrics }: AuthServiceDeps) {
  // An unknown email is checked against this hash, so it costs the same time as a wrong password
  // and response times do not tell which emails have accounts.
  const decoyHash = hashPassword(randomBytes(24).toString('base64'));
  const checkPassword = (purpose: 'login' | 'password_change', hash: string, password: string) => {
    metrics.passwordChecks.inc({ purpose });
    return verifyPassword(hash, password);
  };

  return {
    /**
     * Checks credentials; answers with what the session needs and a check to run once the session
     * is stored (Sessions.establish). Unknown, wrong and deactivated look alike.
     *
     * Throttled as API.md says (docs/decisions/009): a browser presenting a device cookie of this
     * account is limited per device only, so no one else's failures lock its owner out; any other
     * is limited per account and per client address. Only failures count, and a refused attempt
     * is answered before the database or the password hash is touched, except for one lookup
     * that tells whether a presented device cookie belongs to this account.
     */
    async verifyLogin(email: string, password: string, origin: LoginOrigin): Promise<VerifiedLogin> {
      const { device } = origin;
      let credentials = device ? await repo.findCredentialsByEmail(email) : undefined;
      const trusted = device !== undefined && credentials?.id === device.userId;
      const counters: Counter[] = trusted ? [[LOGIN_PER_DEVICE, device.id]] : [[LOGIN_PER_ADDRESS, clientNetwork(origin.address)], [LOGIN_PER_ACCOUNT, email]];
      const attempt = await limiter.begin(counters);
      try {
        if (credentials === undefined) credentials = await repo.findCredentialsByEmail(email);
        const matches = await checkPassword('login', credentials?.passwordHash ?? (await decoyHash), password);
        if (!credentials || !matches || !credentials.active) {
          await attempt.failed();
          throw new AppError('unauthenticated', BAD_LOGIN);
        }
        await attempt.succeeded(trusted ? [LOGIN_PER_DEVICE] : [LOGIN_PER_ACCOUNT]);
        const { id, passwordHash } = credentials;
        return {
          access: accessOf(credentials),
          // Still active, still the password that was checked: the user's access as it is now.
          confirm: async () => {
            const now = await repo.findCredentialsById(id);
            if (!now?.active || now.passwordHash !== passwordHash) throw new AppError('unauthenticated', BAD_LOGIN);
            return accessOf(now);
          },
          device: trusted ? device : { userId: id, id: randomBytes(16).toString('base64url') },
        };
      } finally {
        await attempt.end();
      }
    },

    /** The profile of a signed-in user; 401 if they were removed or deactivated meanwhile. */
    async me(actor: Actor): Promise<User> {
      const user = await users.current(actor.userId);
      if (!user) throw new AppError('unauthenticated', 'Sign in again.');
      return user;
    },

    /** Keeps the session that asked and ends every other session of the user. */
    async changePassword(actor: Actor, currentSid: string, currentPassword: string, newPassword: string): Promise<void> {
      const attempt = await limiter.begin([[PASSWORD_CHANGE_PER_USER, String(actor.userId)]]);
      try {
        const hash = await repo.findPasswordHash(actor.userId);
        if (!hash || !(await checkPassword('password_change', hash, currentPassword))) {
          await attempt.failed();
          throw new AppError('validation_failed', 'The current password is not right.', {
            errors: [{ path: 'currentPassword', message: 'is not your current password' }],
          });
        }
        await users.setOwnPassword(actor.userId, await hashPassword(newPassword), currentSid);
        await attempt.succeeded([PASSWORD_CHANGE_PER_USER]);
      } finally {
        await attempt.end();
      }
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;

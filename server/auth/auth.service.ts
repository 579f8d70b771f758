import { randomBytes } from 'node:crypto';
import type { User } from '../../shared/schemas/users.js';
import type { Actor } from '../access/actor.js';
import { AppError } from '../errors.js';
import type { Credentials, UsersRepository } from '../users/users.repository.js';
import type { UsersService } from '../users/users.service.js';
import { LOGIN_PER_ACCOUNT, LOGIN_PER_ADDRESS, PASSWORD_CHANGE_PER_USER, type AttemptLimiter } from './attempt-limiter.js';
import { hashPassword, verifyPassword } from './password.js';
import type { SessionAccess } from './session.store.js';

export interface AuthServiceDeps {
  repo: UsersRepository;
  users: UsersService;
  limiter: AttemptLimiter;
}

const BAD_LOGIN = 'Email or password is wrong, or the account is deactivated.';

const accessOf = (c: Credentials): SessionAccess => ({ userId: c.id, role: c.role, locationIds: c.locationIds });

export function createAuthService({ repo, users, limiter }: AuthServiceDeps) {
  // An unknown email is checked against this hash, so it costs the same time as a wrong password
  // and response times do not tell which emails have accounts.
  const decoyHash = hashPassword(randomBytes(24).toString('base64'));

  return {
    /**
     * Checks credentials; answers with what the session needs and a check to run once the session
     * is stored (Sessions.establish). Unknown, wrong and deactivated look alike.
     */
    async verifyLogin(email: string, password: string, address: string): Promise<{ access: SessionAccess; confirm: () => Promise<SessionAccess> }> {
      const counters: Array<[typeof LOGIN_PER_ACCOUNT, string]> = [
        [LOGIN_PER_ADDRESS, address],
        [LOGIN_PER_ACCOUNT, email],
      ];
      await limiter.reserve(...counters);
      const credentials = await repo.findCredentialsByEmail(email);
      const matches = await verifyPassword(credentials?.passwordHash ?? (await decoyHash), password);
      if (!credentials || !matches || !credentials.active) throw new AppError('unauthenticated', BAD_LOGIN);
      await limiter.succeeded([[LOGIN_PER_ADDRESS, address]], [[LOGIN_PER_ACCOUNT, email]]);
      return {
        access: accessOf(credentials),
        // Still active, still the password that was checked: the user's access as it is now.
        confirm: async () => {
          const now = await repo.findCredentialsById(credentials.id);
          if (!now?.active || now.passwordHash !== credentials.passwordHash) throw new AppError('unauthenticated', BAD_LOGIN);
          return accessOf(now);
        },
      };
    },

    /** The profile of a signed-in user; 401 if they were removed or deactivated meanwhile. */
    async me(actor: Actor): Promise<User> {
      const user = await users.current(actor.userId);
      if (!user) throw new AppError('unauthenticated', 'Sign in again.');
      return user;
    },

    /** Keeps the session that asked and ends every other session of the user. */
    async changePassword(actor: Actor, currentSid: string, currentPassword: string, newPassword: string): Promise<void> {
      const counter: [typeof PASSWORD_CHANGE_PER_USER, string] = [PASSWORD_CHANGE_PER_USER, String(actor.userId)];
      await limiter.reserve(counter);
      const hash = await repo.findPasswordHash(actor.userId);
      if (!hash || !(await verifyPassword(hash, currentPassword))) {
        throw new AppError('validation_failed', 'The current password is not right.', {
          errors: [{ path: 'currentPassword', message: 'is not your current password' }],
        });
      }
      await users.setOwnPassword(actor.userId, await hashPassword(newPassword), currentSid);
      await limiter.succeeded([], [counter]);
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;

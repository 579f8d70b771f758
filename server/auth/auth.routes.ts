import { LoginBody, PasswordChangeBody, AuthResponse, SessionResponse } from '../../shared/schemas/users.js';
import { AppError } from '../errors.js';
import { PUBLIC_WITH_ACTOR, PUBLIC_WITH_SESSION, SIGNED_IN, defineRoute, noContent } from '../http/route.js';
import type { Actor } from '../access/actor.js';
import type { AuthService } from './auth.service.js';
import type { Sessions } from './sessions.js';

export function authRoutes(auth: AuthService, sessions: Sessions) {
  return [
    defineRoute({
      method: 'post',
      path: '/auth/login',
      summary: 'Sign in; answers with the user and a fresh session cookie',
      access: PUBLIC_WITH_SESSION,
      body: LoginBody,
      success: { status: 200, schema: AuthResponse },
      errors: ['unauthenticated', 'forbidden', 'rate_limited', 'service_unavailable'],
      handler: async ({ body, req }) => {
        const login = await auth.verifyLogin(body.email, body.password, req.ip ?? 'unknown');
        const actor = await sessions.establish(req, login.access, login.confirm);
        try {
          return { user: await auth.me(actor) };
        } catch (err) {
          // Deactivated in the moment since: the revocation has this session, but no cookie either.
          await sessions.discard(req);
          throw err;
        }
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/logout',
      summary: 'Sign out: the session is deleted and the cookie cleared',
      access: SIGNED_IN,
      success: { status: 204, schema: null },
      handler: async ({ req, res }) => {
        await sessions.end(req, res);
        return noContent();
      },
    }),
    defineRoute({
      method: 'get',
      path: '/auth/me',
      summary: 'The signed-in user',
      access: SIGNED_IN,
      success: { status: 200, schema: AuthResponse },
      handler: async ({ actor }) => ({ user: await auth.me(actor) }),
    }),
    defineRoute({
      method: 'get',
      path: '/auth/session',
      summary: 'Who is signed in, if anyone: the app asks on every start, and a visitor without a session is no error',
      access: PUBLIC_WITH_ACTOR,
      success: { status: 200, schema: SessionResponse },
      handler: async (ctx) => {
        const actor = ctx.actor as Actor | undefined;
        if (!actor) return { user: null };
        try {
          return { user: await auth.me(actor) };
        } catch (err) {
          // Removed or deactivated since the session was read: as signed out as no session at all.
          if (err instanceof AppError && err.code === 'unauthenticated') return { user: null };
          throw err;
        }
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/password',
      summary: "Change one's password; every other session of the user ends",
      access: SIGNED_IN,
      body: PasswordChangeBody,
      success: { status: 204, schema: null },
      errors: ['rate_limited'],
      handler: async ({ actor, body, req }) => {
        await auth.changePassword(actor, req.sessionID, body.currentPassword, body.newPassword);
        return noContent();
      },
    }),
  ];
}

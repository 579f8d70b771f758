import { LoginBody, PasswordChangeBody, AuthResponse } from '../../shared/schemas/users.js';
import { PUBLIC_WITH_SESSION, SIGNED_IN, defineRoute, noContent } from '../http/route.js';
import type { AuthService } from './auth.service.js';
import type { Sessions } from './sessions.js';

export function authRoutes(auth: AuthService, sessions: Sessions) {
  return [
    defineRoute({
      method: 'post',
      path: '/auth/login',
      summary: 'Sign in; answers with the user and a fresh session cookie',
      description:
        'Checks the email and password and starts a fresh session: the answer carries the session cookie and the user, and a session the request came with ends. A wrong password and an unknown or deactivated account are the same 401; failed attempts are limited (429 with `Retry-After`), and with secure cookies a login over plain http is a 403.',
      access: PUBLIC_WITH_SESSION,
      body: LoginBody,
      success: { status: 200, schema: AuthResponse },
      sessionCookie: 'set',
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
      description:
        'Ends the caller\'s session: it is deleted from the store and the cookie cleared, so the same cookie is refused from then on.',
      access: SIGNED_IN,
      success: { status: 204, schema: null },
      sessionCookie: 'cleared',
      handler: async ({ req, res }) => {
        await sessions.end(req, res);
        return noContent();
      },
    }),
    defineRoute({
      method: 'get',
      path: '/auth/me',
      summary: 'The signed-in user',
      description:
        'The user the session belongs to, with their role and locations as they are now. A 401 means the caller is signed out.',
      access: SIGNED_IN,
      success: { status: 200, schema: AuthResponse },
      handler: async ({ actor }) => ({ user: await auth.me(actor) }),
    }),
    defineRoute({
      method: 'post',
      path: '/auth/password',
      summary: "Change one's password; every other session of the user ends",
      description:
        'Changes the caller\'s password after checking the current one (a wrong one is a 400 naming `currentPassword`, and repeated failures are limited with a 429). Every other session of the caller ends; this one stays.',
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

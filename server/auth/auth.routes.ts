import { LoginBody, PasswordChangeBody, AuthResponse, SessionResponse } from '../../shared/schemas/users.js';
import { AppError } from '../errors.js';
import { PUBLIC_WITH_ACTOR, PUBLIC_WITH_SESSION, SIGNED_IN, defineRoute, noContent } from '../http/route.js';
import type { Actor } from '../access/actor.js';
import type { AuthService } from './auth.service.js';
import type { DeviceCookies } from './device-cookie.js';
import type { Sessions } from './sessions.js';

export function authRoutes(auth: AuthService, sessions: Sessions, devices: DeviceCookies) {
  return [
    defineRoute({
      method: 'post',
      path: '/auth/login',
      summary: 'Sign in; answers with the user, a fresh session cookie and the device cookie',
      description:
        'Checks the email and password and starts a fresh session: the answer carries the session cookie, the device cookie (`crewplots.dev`) and the user, and a session the request came with ends. A wrong password and an unknown or deactivated account are the same 401. Failures are limited per device for a browser presenting this account\'s device cookie, otherwise per account and per client address (429 with `Retry-After`, no password check); a body over 4 KB is a 413. With secure cookies a login over plain http is a 403.',
      access: PUBLIC_WITH_SESSION,
      body: LoginBody,
      success: { status: 200, schema: AuthResponse },
      sessionCookie: 'set',
      errors: ['unauthenticated', 'forbidden', 'rate_limited', 'service_unavailable'],
      handler: async ({ body, req, res }) => {
        const login = await auth.verifyLogin(body.email, body.password, { address: req.ip ?? 'unknown', device: devices.read(req) });
        const actor = await sessions.establish(req, login.access, login.confirm);
        const user = await auth.me(actor).catch(async (err: unknown) => {
          // Deactivated in the moment since: the revocation has this session, but no cookie either.
          await sessions.discard(req);
          throw err;
        });
        devices.issue(res, login.device);
        return { user };
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
      method: 'post',
      path: '/auth/logout-others',
      summary: 'Sign out everywhere else: every other session of the caller ends',
      description:
        'Ends every session of the caller except the one this request came with (a phone left signed in, a shared computer); their open pages are sent to the login page. This session stays.',
      access: SIGNED_IN,
      success: { status: 204, schema: null },
      handler: async ({ actor, req }) => {
        await sessions.endOthers(actor.userId, req.sessionID);
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
      method: 'get',
      path: '/auth/session',
      summary: 'Who is signed in, if anyone',
      description:
        'The session probe the browser app starts with: the signed-in user, or `{ "user": null }` for a caller without a valid session. Unlike `GET /auth/me` it never answers 401, which browsers would log as an error on every visit.',
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

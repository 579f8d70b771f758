import { AccessLinkCreated, AccessLinkInfo, AccessLinkPath, AccessLinkUseBody, SetupBody, SetupStatus } from '../../shared/schemas/accounts.js';
import { IdPath } from '../../shared/schemas/schedules.js';
import { AuthResponse } from '../../shared/schemas/users.js';
import type { Request } from 'express';
import type { Sessions } from '../auth/sessions.js';
import { requestOrigin } from '../http/origin.js';
import { PUBLIC, PUBLIC_WITH_SESSION, SIGNED_IN, created, defineRoute } from '../http/route.js';
import type { AccountsService, SignIn } from './accounts.service.js';

/** First-run setup and one-time links (API.md, "First run and accounts"). */
export function accountsRoutes(accounts: AccountsService, sessions: Sessions) {
  const address = (req: Request) => req.ip ?? 'unknown';
  /** A fresh session for the person (any session the request came with ends), as login does. */
  const signIn = async (req: Request, signed: SignIn) => {
    await sessions.establish(req, signed.access, signed.confirm);
    return { user: signed.user };
  };

  return [
    defineRoute({
      method: 'get',
      path: '/setup',
      summary: 'Whether this server still needs its first admin',
      description: '`needed` is true while no user exists: the server then logs a `/setup?token=…` link at every start, and `POST /setup` with its token creates the first admin. `demoDataAllowed` says whether that setup may also load the demo data (never in production).',
      access: PUBLIC,
      success: { status: 200, schema: SetupStatus },
      handler: async ({ res }) => {
        // It changes once, for good: no cache should keep the "true".
        res.setHeader('Cache-Control', 'no-store');
        return { needed: await accounts.setupNeeded(), demoDataAllowed: accounts.demoDataAllowed };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/setup',
      summary: 'Create the first admin from the setup link in the server log, and sign in as them',
      description:
        'Creates the first admin with the token from the `/setup?token=…` link the server logs at start while no user exists, and signs them in (a session cookie). A wrong or missing token is a 403, and once any user exists the answer is a 409 `setup_done`; of concurrent calls exactly one succeeds. `demoData: true` also loads the demo locations, crew and weeks (422 in production). Wrong tokens are limited per client address (429).',
      access: PUBLIC_WITH_SESSION,
      body: SetupBody,
      success: { status: 201, schema: AuthResponse },
      sessionCookie: 'set',
      errors: ['forbidden', 'setup_done', 'unprocessable', 'rate_limited', 'unauthenticated'],
      handler: async ({ body, req }) => created(await signIn(req, await accounts.setup(body, address(req)))),
    }),
    defineRoute({
      method: 'post',
      path: '/users/:id/access-link',
      summary: 'A new one-time link for a person: an invite, or a password reset',
      description:
        'Makes a one-time `/welcome?token=…` link, valid for 7 days, where the person chooses a password: an invite if they never set one, else a password reset. It replaces their previous link, and the token appears only in this answer. For admins, and managers who may edit the person (crew working only at locations the manager runs); a deactivated person is a 422.',
      access: SIGNED_IN,
      params: IdPath,
      success: { status: 201, schema: AccessLinkCreated },
      errors: ['not_found', 'forbidden', 'unprocessable'],
      handler: async ({ actor, params, req }) => created(await accounts.issueLink(actor, params.id, requestOrigin(req))),
    }),
    defineRoute({
      method: 'get',
      path: '/access-links/:token',
      summary: 'Whose one-time link this is (the welcome page asks)',
      description:
        'The person a one-time link is for and whether it is an invite or a password reset. A used, replaced or expired link, or one of a person deactivated or whose password changed since, is a 410 `gone`; any other token a 404. Failures are limited per client address (429).',
      access: PUBLIC,
      params: AccessLinkPath,
      success: { status: 200, schema: AccessLinkInfo },
      errors: ['not_found', 'gone', 'rate_limited'],
      handler: ({ params, req, res }) => {
        // The answer names a person: no shared cache keeps it.
        res.setHeader('Cache-Control', 'no-store');
        return accounts.inspectLink(params.token, address(req));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/access-links/:token',
      summary: 'Choose a password through a one-time link, and sign in',
      description:
        'Sets the person\'s password, uses the link up and signs them in (a session cookie); every other session of theirs ends. Of two uses of one link, one succeeds and the other gets 410 `gone`, as do a used, replaced or expired link; any other token is a 404. Failures are limited per client address (429).',
      access: PUBLIC_WITH_SESSION,
      params: AccessLinkPath,
      body: AccessLinkUseBody,
      success: { status: 200, schema: AuthResponse },
      sessionCookie: 'set',
      errors: ['not_found', 'gone', 'rate_limited', 'unauthenticated'],
      handler: async ({ params, body, req }) => signIn(req, await accounts.useLink(params.token, body.password, address(req))),
    }),
  ];
}

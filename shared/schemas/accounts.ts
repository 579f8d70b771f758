import { z } from 'zod';
import { Instant, Text } from './common.js';
import { Email, Password } from './users.js';

/**
 * First run and one-time links (API.md, "First run and accounts"). A token is never validated for
 * its form here: a malformed or over-long one is refused like a wrong one (403 or 404), so the
 * answer never hints whether a token of that form could exist. The public body limit bounds it.
 */
const Token = z.string().meta({ description: 'The token from the link' });

export const SetupStatus = z
  .strictObject({
    needed: z.boolean().meta({ description: 'True while no user exists' }),
    demoDataAllowed: z.boolean().meta({ description: 'Whether setup may load demo data here (never in production)' }),
  })
  .meta({ id: 'SetupStatus' });
export type SetupStatus = z.infer<typeof SetupStatus>;

export const SetupBody = z
  .strictObject({
    token: Token.optional(),
    name: Text(120),
    email: Email,
    password: Password,
    demoData: z.boolean().optional().meta({ description: 'Also load the demo locations, crew and weeks (refused in production)' }),
  })
  .meta({ id: 'SetupBody' });
export type SetupBody = z.infer<typeof SetupBody>;

export const ACCESS_LINK_KINDS = ['invite', 'reset'] as const;
export const AccessLinkKind = z.enum(ACCESS_LINK_KINDS);
export type AccessLinkKind = z.infer<typeof AccessLinkKind>;

export const AccessLinkCreated = z
  .strictObject({ url: z.string().meta({ description: 'The one-time `/welcome?token=…` link' }), expiresAt: Instant })
  .meta({ id: 'AccessLinkCreated' });
export type AccessLinkCreated = z.infer<typeof AccessLinkCreated>;

export const AccessLinkInfo = z.strictObject({ email: z.string(), name: z.string(), kind: AccessLinkKind }).meta({ id: 'AccessLinkInfo' });
export type AccessLinkInfo = z.infer<typeof AccessLinkInfo>;

export const AccessLinkPath = z.strictObject({ token: Token });
export const AccessLinkUseBody = z.strictObject({ password: Password }).meta({ id: 'AccessLinkUseBody' });
export type AccessLinkUseBody = z.infer<typeof AccessLinkUseBody>;

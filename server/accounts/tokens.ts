import { createHash, randomBytes } from 'node:crypto';

/**
 * Tokens of one-time links and of first-run setup: 256 random bits, base64url (43 characters).
 * Only their SHA-256 is stored: a token carries all its entropy itself, so a slow password hash
 * would add nothing, and a lookup by hash stays one index probe.
 */
export const newToken = (): string => randomBytes(32).toString('base64url');

/** The form every token has; anything else is refused as unknown without a database read. */
const TOKEN_FORM = /^[A-Za-z0-9_-]{43}$/;

/** The stored form of a well-formed token; undefined for anything that cannot be one. */
export function tokenHash(token: string | undefined): string | undefined {
  if (token === undefined || !TOKEN_FORM.test(token)) return undefined;
  return createHash('sha256').update(token).digest('base64url');
}

/** How long an invite or reset link stays valid (API.md). */
export const ACCESS_LINK_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** The `/welcome?token=…` link on the origin the request came to. */
export const welcomeUrl = (origin: string, token: string) => `${origin}/welcome?token=${token}`;

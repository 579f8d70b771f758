import type { Request, Response } from 'express';
import { parse as parseCookies } from 'cookie';
import { sign, unsign } from 'cookie-signature';
import type { Config } from '../config.js';

export const DEVICE_COOKIE = 'crewplots.dev';
/** Long enough that a browser used now and then stays known; Chrome caps cookies at 400 days. */
export const DEVICE_MAX_AGE_MS = 365 * 24 * 60 * 60 * 1000;

/** A browser that once signed in to this account (OWASP's "device cookie"). */
export interface Device {
  userId: number;
  /** Random; names the device's own failure counter. */
  id: string;
}

const DEVICE_ID = /^[A-Za-z0-9_-]{22}$/;

/**
 * The device cookie: `<userId>.<device id>.<issued, epoch seconds>`, signed like the session
 * cookie with the first SESSION_SECRET and read with any of them, so rotating the secret rotates
 * both. Its path is the login route alone: no other request carries it. A session id never
 * holds a dot, so neither cookie passes for the other.
 */
export function createDeviceCookies(config: Pick<Config, 'session'>) {
  const secrets = [...config.session.secrets];
  const options = {
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: config.session.secureCookie,
    path: '/api/auth/login',
    maxAge: DEVICE_MAX_AGE_MS,
  };

  return {
    /** The device a request's cookie names, if the cookie is one of ours and not over age. */
    read(req: Request): Device | undefined {
      const header = req.headers.cookie;
      if (!header?.includes(DEVICE_COOKIE)) return undefined;
      const raw = parseCookies(header)[DEVICE_COOKIE];
      if (!raw) return undefined;
      for (const secret of secrets) {
        const value = unsign(raw, secret);
        if (value !== false) return deviceOf(value);
      }
      return undefined;
    },

    /** (Re)issues the cookie: a fresh lifetime for the same device. */
    issue(res: Response, device: Device): void {
      const issued = Math.floor(Date.now() / 1000);
      res.cookie(DEVICE_COOKIE, sign(`${device.userId}.${device.id}.${issued}`, secrets[0]!), options);
    },
  };
}

export type DeviceCookies = ReturnType<typeof createDeviceCookies>;

function deviceOf(value: string): Device | undefined {
  const [user, id, issued, ...rest] = value.split('.');
  if (rest.length > 0 || !user || !id || !issued || !/^\d{1,10}$/.test(user) || !DEVICE_ID.test(id) || !/^\d{1,12}$/.test(issued)) return undefined;
  if (Date.now() - Number(issued) * 1000 > DEVICE_MAX_AGE_MS) return undefined;
  return { userId: Number(user), id };
}

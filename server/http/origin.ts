import type { Request } from 'express';

/**
 * The origin the request came to (scheme and host, as `trust proxy` lets Express read them
 * behind a proxy): links the server hands out point where the person who asked is.
 */
export const requestOrigin = (req: Request): string => `${req.protocol}://${req.get('host') ?? 'localhost'}`;

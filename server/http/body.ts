import express, { type RequestHandler } from 'express';
import { AppError } from '../errors.js';

const JSON_TYPES = ['application/json', 'application/*+json'];
const BODY_LIMIT = '1mb';

/**
 * Bodies are JSON or nothing. Refusing every other media type with 415 also shuts the door on
 * cross-site form posts and `text/plain` beacons, which browsers send without a CORS preflight.
 */
export const requireJsonBody: RequestHandler = (req, _res, next) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (hasBody && !req.is(JSON_TYPES)) {
    throw new AppError('unsupported_media_type', 'Send the request body as application/json.');
  }
  next();
};

export const parseJsonBody: RequestHandler = express.json({ limit: BODY_LIMIT, type: JSON_TYPES, strict: true });

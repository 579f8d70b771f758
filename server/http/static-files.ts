import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

type Encoding = 'br' | 'gzip';

/** Smallest first: of the encodings a client accepts equally, it gets brotli. */
const VARIANTS: readonly { encoding: Encoding; suffix: string }[] = [
  { encoding: 'br', suffix: '.br' },
  { encoding: 'gzip', suffix: '.gz' },
];

/**
 * The encodings an `Accept-Encoding` header allows, most wanted first (by `q`, then brotli before
 * gzip). `*` stands for any encoding not named; `q=0` refuses one.
 */
export function acceptedEncodings(header: string | undefined): Encoding[] {
  if (!header) return [];
  const weights = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    // A weight that is not a number counts as a refusal rather than as the default 1.
    const q = params.map((p) => /^\s*q=(.*)$/.exec(p)?.[1]).find((v) => v !== undefined);
    weights.set(name.trim(), q === undefined ? 1 : Number(q.trim()) || 0);
  }
  const weightOf = (encoding: Encoding) => weights.get(encoding) ?? weights.get('*') ?? 0;
  return VARIANTS.map((v) => v.encoding)
    .filter((encoding) => weightOf(encoding) > 0)
    .sort((a, b) => weightOf(b) - weightOf(a));
}

/** The file a request path names inside `root`, or undefined for a path that leaves it or cannot be decoded. */
function fileUnder(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const file = path.join(root, decoded);
  return file.startsWith(root + path.sep) ? file : undefined;
}

const isFile = (file: string) => stat(file).then((s) => s.isFile(), () => false);

export interface SendOptions {
  /** Seconds a browser may keep the file without asking again. */
  maxAge: number;
  immutable?: boolean;
  /** A `Cache-Control` of its own instead of one made from `maxAge` (the app shell's `no-cache`). */
  cacheControl?: string;
}

/**
 * Sends `file`, or its `.br`/`.gz` copy written at build (build/precompress.ts) when the client
 * accepts that encoding: the copy's bytes with the original's `Content-Type` and a
 * `Content-Encoding`, and `Vary: Accept-Encoding` on every answer for a file that has copies,
 * the uncompressed one included, so no cache hands brotli to a client that asked for none.
 * Resolves false, sending nothing, when `file` has no copies: the caller sends it as it is.
 */
export async function sendPrecompressed(req: Request, res: Response, file: string, options: SendOptions): Promise<boolean> {
  const [original, ...copies] = await Promise.all([isFile(file), ...VARIANTS.map((v) => isFile(file + v.suffix))]);
  const available = VARIANTS.filter((_, i) => copies[i]);
  if (!original || available.length === 0) return false;

  res.vary('Accept-Encoding');
  const wanted = acceptedEncodings(req.headers['accept-encoding']);
  const chosen = wanted.map((encoding) => available.find((v) => v.encoding === encoding)).find((v) => v !== undefined);
  const target = chosen ? file + chosen.suffix : file;
  res.type(path.extname(file));
  if (chosen) res.setHeader('Content-Encoding', chosen.encoding);
  if (options.cacheControl) res.setHeader('Cache-Control', options.cacheControl);

  await new Promise<void>((resolve, reject) => {
    res.sendFile(target, { maxAge: options.maxAge * 1000, immutable: options.immutable ?? false, cacheControl: !options.cacheControl }, (err) => {
      // A client that left halfway is no error of ours; anything before the headers is, and its
      // problem+json must not claim to be brotli.
      if (err && !res.headersSent) {
        res.removeHeader('Content-Encoding');
        reject(err);
      } else resolve();
    });
  });
  return true;
}

/**
 * GET and HEAD of a file under `root` that has precompressed copies; anything else goes on to the
 * next handler (express.static, which sends files as they are and refuses paths that leave `root`).
 */
export function precompressed(root: string, options: SendOptions): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const file = fileUnder(root, req.path);
    if (!file || !(await sendPrecompressed(req, res, file, options))) next();
  };
}

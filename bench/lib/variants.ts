import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BUILD, WORK } from './proc.js';

/**
 * Variants of the compiled server for bench/variants.ts and bench/profile.ts --variant: each is a
 * copy of bench/results/build with the JS of one proposed change patched in. The patches match
 * today's compiled code and fail loudly once it changes; nothing here touches server/.
 */

export interface Patch {
  file: string;
  find: string;
  replace: string;
  /** Text that shows the server already has this change (the patch is then skipped, and said so). */
  appliedIf?: string;
}

export interface Variant {
  name: string;
  what: string;
  patches: Patch[];
  env?: Record<string, string>;
}

// ---- the changes ----------------------------------------------------------------------------------

/** pino-http replaced by one log call per request: no per-request child logger, no redaction pass. */
const LEAN_ACCESS_LOG = `
import { pino as __pino } from 'pino';
import { randomUUID as __uuid } from 'node:crypto';
const __accessLog = (logger, mode) => {
  if (mode === 'none') return (_req, _res, next) => next();
  // Access lines carry only id, method, url, status and time: nothing to redact.
  const access = __pino({ level: logger.level, base: { service: 'crewplots' } });
  return (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : __uuid();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    let child;
    Object.defineProperty(req, 'log', { configurable: true, get: () => (child ??= logger.child({ req: { id, method: req.method, url: req.url } })) });
    if (req.url.startsWith('/api/health')) return next();
    const started = performance.now();
    res.once('finish', () => {
      const status = res.statusCode;
      const level = status >= 500 && status !== 503 ? 'error' : 'info';
      access[level]({ req: { id, method: req.method, url: req.originalUrl }, res: { statusCode: status }, responseTime: Math.round(performance.now() - started) }, 'request completed');
    });
    next();
  };
};
`;

/** helmet for the browser app only; API answers get the few headers that matter for JSON. */
const API_HEADERS = `
const __apiHeaders = (full) => {
  const headers = [['X-Content-Type-Options', 'nosniff'], ['Cross-Origin-Resource-Policy', 'same-origin'], ['Referrer-Policy', 'no-referrer'], ['X-Frame-Options', 'DENY']];
  return (req, res, next) => {
    if (!req.url.startsWith('/api/')) return full(req, res, next);
    for (const [k, v] of headers) res.setHeader(k, v);
    next();
  };
};
`;

/**
 * requireSession for GET/HEAD without express-session: cookie → signature → HGETALL → actor. Other
 * methods, and sessions due for a lifetime extension, keep the express-session chain.
 */
const LEAN_SESSION = `
import __cookie from 'cookie';
import __signature from 'cookie-signature';
const __leanSession = (config, store, full) => {
  const secrets = [...config.session.secrets];
  const unavailable = (cause) => new AppError('service_unavailable', 'Sessions are unavailable for a moment; try again shortly.', { retryAfter: 1, cause });
  const fallback = (req, res, next) => {
    let i = 0;
    const step = (err) => (err ? next(err) : i < full.length ? runStep(full[i++], req, res, step) : next());
    step();
  };
  const runStep = (mw, req, res, step) => {
    try {
      mw(req, res, step);
    } catch (err) {
      step(err);
    }
  };
  return [
    (req, res, next) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return fallback(req, res, next);
      const header = req.headers.cookie;
      const raw = header ? __cookie.parse(header)[SESSION_COOKIE] : undefined;
      let sid = false;
      if (raw && raw.startsWith('s:')) for (const secret of secrets) if ((sid = __signature.unsign(raw.slice(2), secret)) !== false) break;
      if (!sid) return next(new AppError('unauthenticated', 'Sign in first.'));
      store.redis.hgetall(store.sessionKey(sid)).then(
        (fields) => {
          if (!fields.access || !fields.state) return next(new AppError('unauthenticated', 'Sign in first.'));
          const state = JSON.parse(fields.state);
          if (Date.now() - (state.refreshedAt ?? 0) > (SESSION_TTL_SECONDS * 1000) / 2) return fallback(req, res, next);
          const a = JSON.parse(fields.access);
          req.sessionID = sid;
          res.locals.actor = actorFromSession({ userId: a.userId, role: a.role, locationIds: a.locationIds });
          next();
        },
        (err) => next(unavailable(err)),
      );
    },
  ];
};
`;

const APP = 'server/app.js';
const CACHE = 'server/cache/cache.js';
const SESSIONS = 'server/auth/sessions.js';
const REDIS = 'server/redis/redis.client.js';

const patches = {
  accessLog: (mode: 'lean' | 'none'): Patch[] => [
    { file: APP, find: "import { pinoHttp } from 'pino-http';", replace: `import { pinoHttp } from 'pino-http';${LEAN_ACCESS_LOG}` },
    { file: APP, find: 'app.use(pinoHttp({', replace: `app.use(__accessLog(logger, '${mode}') ?? pinoHttp({` },
  ],
  apiHeaders: [
    { file: APP, find: "import helmet from 'helmet';", replace: `import helmet from 'helmet';${API_HEADERS}` },
    { file: APP, find: 'app.use(helmet({', replace: 'app.use(__apiHeaders(helmet({' },
    { file: APP, find: "upgradeInsecureRequests: config.isProduction ? [] : null } },\n    }));", replace: "upgradeInsecureRequests: config.isProduction ? [] : null } },\n    })));" },
  ],
  etagOff: [{ file: APP, find: "app.set('query parser', 'simple');", replace: "app.set('query parser', 'simple');\n    app.set('etag', false);", appliedIf: "app.set('etag', false)" }],
  hitNoZod: [{ file: CACHE, find: '    const parsed = request.schema.safeParse(raw);\n    return parsed.success ? cached(body, parsed.data) : BAD;', replace: '    return cached(body, raw);' }],
  // Simulates an envelope that carries the fields access checks need: a hit parses ~200 bytes, not 28 KB.
  hitHeadOnly: [
    {
      file: CACHE,
      find: '    let raw;\n    try {\n        raw = JSON.parse(body);',
      replace: "    let raw;\n    try {\n        const cut = body.indexOf(',\"shifts\":[');\n        raw = JSON.parse(cut > 0 ? body.slice(0, cut) + '}' : body);\n        return cached(body, raw);",
    },
  ],
  leanSession: [
    { file: SESSIONS, find: "import { RedisSessionStore } from './session.store.js';", replace: `import { RedisSessionStore } from './session.store.js';${LEAN_SESSION}` },
    { file: SESSIONS, find: 'requireSession: [loadSession, requireActor, refreshWhenHalfSpent],', replace: 'requireSession: __leanSession(config, store, [loadSession, requireActor, refreshWhenHalfSpent]),' },
  ],
};

/** ioredis sends the commands issued in one tick in one write (fewer syscalls, one read for all replies). */
const autoPipelining: Patch[] = [
  { file: REDIS, find: 'commandTimeout: config.redis.commandTimeoutMs,', replace: 'commandTimeout: config.redis.commandTimeoutMs,\n        enableAutoPipelining: true,' },
];

const robustness = {
  // The cache's own bound fires in the timers phase, before the poll phase that would read a reply
  // already waiting in the socket: give that poll phase one turn before calling it a timeout.
  deferTimeouts: [
    {
      file: CACHE,
      find: "timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);",
      replace: "timer = setTimeout(() => setImmediate(() => reject(new Error(`Redis did not answer within ${ms} ms`))), ms);",
      appliedIf: 'LAG_ALLOWANCE',
    },
  ],
  // ioredis's own commandTimeout is a plain timer too: with it 10× longer, only the cache's
  // lag-aware bound (and nothing else) decides when a cache operation has failed.
  outerCommandTimeout: [
    { file: REDIS, find: 'commandTimeout: config.redis.commandTimeoutMs,', replace: 'commandTimeout: config.redis.commandTimeoutMs * 10,' },
  ],
  // The lag-aware bound of HEAD, plus one poll phase before giving up (a reply may be unread).
  deferAfterLag: [
    {
      file: CACHE,
      find: '                reject(new Error(`Redis did not answer within ${ms} ms`));\n            }, delay);',
      replace: '                setImmediate(() => reject(new Error(`Redis did not answer within ${ms} ms`)));\n            }, delay);',
    },
  ],
  // express-session's unset: 'destroy' deletes the session when its read failed (req.session unset).
  noDestroy: [{ file: SESSIONS, find: "        unset: 'destroy',\n", replace: '', appliedIf: "unset: 'keep'" }],
};

const ALL: Patch[] = [...patches.accessLog('lean'), ...patches.apiHeaders, ...patches.etagOff, ...patches.hitNoZod, ...patches.hitHeadOnly, ...patches.leanSession];

export const VARIANTS: Variant[] = [
  { name: 'v-as-is', what: 'the app as it is', patches: [] },
  { name: 'v-lean-log', what: 'pino-http → one access-log call per request, no redaction pass', patches: patches.accessLog('lean') },
  { name: 'v-no-log', what: 'no access log at all (upper bound of the logging cost)', patches: patches.accessLog('none') },
  { name: 'v-api-headers', what: 'helmet only for the browser app; /api gets 4 static headers', patches: patches.apiHeaders },
  { name: 'v-etag-off', what: "no ETag hashing (app.set('etag', false)); stands for an ETag computed once per entry", patches: patches.etagOff },
  { name: 'v-hit-no-zod', what: 'a cache hit trusts the versioned envelope: JSON.parse, no zod', patches: patches.hitNoZod },
  { name: 'v-hit-head', what: 'a cache hit parses only the fields access checks need (envelope header), no zod', patches: [...patches.hitNoZod, ...patches.hitHeadOnly] },
  { name: 'v-lean-session', what: 'GET/HEAD: session read without express-session (cookie → HMAC → HGETALL)', patches: patches.leanSession },
  { name: 'v-all', what: 'all of: lean log, API headers, no ETag hashing, head-only hit, lean session', patches: ALL },
  { name: 'v-autopipeline', what: 'ioredis enableAutoPipelining: true', patches: autoPipelining },
  { name: 'v-all-autopipeline', what: 'v-all plus enableAutoPipelining', patches: [...ALL, ...autoPipelining] },
  { name: 'v-defer-timeouts', what: 'cache bound: the timeout waits one poll phase for a reply already received', patches: robustness.deferTimeouts },
  { name: 'v-defer-after-lag', what: 'the cache bound waits one poll phase before failing (on top of the lag-aware bound)', patches: robustness.deferAfterLag },
  { name: 'v-outer-timeout', what: 'ioredis commandTimeout ×10 (an outer limit only)', patches: robustness.outerCommandTimeout },
  { name: 'v-outer-timeout-defer', what: 'the same, and the cache bound waits one poll phase before failing', patches: [...robustness.outerCommandTimeout, ...robustness.deferAfterLag] },
  { name: 'v-no-destroy', what: "sessions without unset: 'destroy'", patches: robustness.noDestroy },
  { name: 'v-all-nocache', what: 'v-all with CACHE_DISABLED=true (for scenario 3’s ratio)', patches: ALL, env: { CACHE_DISABLED: 'true' } },
];

export function materialise(v: Variant): string {
  const dir = path.join(WORK, 'variants', v.name);
  rmSync(dir, { recursive: true, force: true });
  cpSync(BUILD, dir, { recursive: true });
  for (const p of v.patches) {
    const file = path.join(dir, p.file);
    const text = readFileSync(file, 'utf8');
    if (p.appliedIf && text.includes(p.appliedIf)) {
      process.stdout.write(`variant ${v.name}: the server already has this change (${p.file} contains ${JSON.stringify(p.appliedIf)}); patch skipped\n`);
      continue;
    }
    if (!text.includes(p.find)) throw new Error(`variant ${v.name}: ${p.file} no longer contains ${JSON.stringify(p.find.slice(0, 80))}: update bench/variants.ts`);
    writeFileSync(file, text.replace(p.find, p.replace));
  }
  return dir;
}


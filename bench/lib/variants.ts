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
// Findings 1–7 of bench/README.md are applied in server/; what is left here measures what the
// remaining choices cost or buy, against the app as it is.

const APP = 'server/app.js';
const REDIS = 'server/redis/redis.client.js';

const patches = {
  /** ioredis sends each command in a write of its own. */
  noAutoPipelining: [{ file: REDIS, find: 'enableAutoPipelining: true,', replace: 'enableAutoPipelining: false,' }],
  /** No access log at all: the upper bound of what logging costs. */
  noAccessLog: [{ file: APP, find: 'app.use(accessLog(logger));', replace: 'app.use((_req, _res, next) => next());' }],
  /** No security headers on /api answers (they stay on the browser app): what setting them costs. */
  noApiHeaders: [
    {
      file: APP,
      find: 'app.use(securityHeaders({}));',
      replace: "const __headers = (full) => (req, res, next) => (req.url.startsWith('/api/') ? next() : full(req, res, next));\n    app.use(__headers(securityHeaders({})));",
    },
  ],
  /** The cache bound without the one poll-phase deferral (finding 5): for the stampede runs. */
  noDeferral: [
    {
      file: 'server/redis/bounded.js',
      find: 'immediate = setImmediate(() => reject(new Error(`Redis did not answer within ${ms} ms`)));',
      replace: 'reject(new Error(`Redis did not answer within ${ms} ms`));',
    },
  ],
};

export const VARIANTS: Variant[] = [
  { name: 'v-as-is', what: 'the app as it is', patches: [] },
  { name: 'v-no-autopipeline', what: 'ioredis without enableAutoPipelining (one write per command)', patches: patches.noAutoPipelining },
  { name: 'v-no-log', what: 'no access log at all (upper bound of the logging cost)', patches: patches.noAccessLog },
  { name: 'v-no-api-headers', what: 'no security headers on /api answers (what setting them costs)', patches: patches.noApiHeaders },
  { name: 'v-no-defer', what: 'the Redis bound fails on its timer without letting the poll phase run first', patches: patches.noDeferral },
  { name: 'v-as-is-nocache', what: 'the app with CACHE_DISABLED=true (for scenario 3’s ratio)', patches: [], env: { CACHE_DISABLED: 'true' } },
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


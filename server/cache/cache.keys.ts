/**
 * Key names and the entry envelope. Entries are exactly `<prefix><namespace>:<id>` (API.md);
 * everything else the cache writes lives under a sub-prefix of its own.
 */

/** An entity's cache identity: stored under `<prefix><namespace>:<id>`. */
export interface CacheKey {
  namespace: string;
  id: string | number;
}

const NAMESPACE = /^[a-z][a-z0-9-]{0,39}$/;
// No braces (they would move the hash tag), no glob characters (they would leak into SCAN patterns).
const ID = /^[A-Za-z0-9_.:-]{1,200}$/;
/** Sub-prefixes used by the cache and by sessions; an entity namespace must not shadow them. */
const RESERVED = new Set(['cache', 'lease', 'sess']);

export function entryKey(prefix: string, ref: CacheKey): string {
  if (!NAMESPACE.test(ref.namespace) || RESERVED.has(ref.namespace)) {
    throw new TypeError(`cache namespace "${ref.namespace}" must be lower-case letters, digits or - and not one of ${[...RESERVED].join(', ')}`);
  }
  const id = String(ref.id);
  if (!ID.test(id) || (typeof ref.id === 'number' && !Number.isSafeInteger(ref.id))) {
    throw new TypeError(`cache id "${id}" of namespace "${ref.namespace}" must be an integer or letters, digits and _.:-`);
  }
  return `${prefix}${ref.namespace}:${id}`;
}

/**
 * The lease sits in the same Redis Cluster slot as its entry (hash tag = the entry key), so the
 * fill script can check one and write the other atomically.
 */
export function leaseKey(prefix: string, entry: string): string {
  return `${prefix}lease:{${entry}}`;
}

/** Lives in the main (never evicted) Redis: losing it must not resurrect invalidated entries. */
export function epochKey(prefix: string): string {
  return `${prefix}cache:epoch`;
}

export function epochChannel(prefix: string): string {
  return `${prefix}cache:epoch`;
}

/**
 * `<schemaVersion>|<epoch>|<head>\n<body>`: the head is the JSON of the few fields a caller needs
 * before the body (empty when the namespace has none), the body the entity's JSON. JSON never
 * holds a raw newline, so the first one ends the head. Nothing after the second `|` records that
 * the entity does not exist. The fill and read scripts look only at the version and the epoch
 * (cache.scripts.ts).
 */
export function encodeEnvelope(schemaVersion: number, epoch: number, entry: { head: string; json: string | Buffer } | null): string {
  return `${schemaVersion}|${epoch}|${entry ? `${entry.head}\n${entry.json}` : ''}`;
}

/**
 * The head and body, `null` for a negative entry, `undefined` for something that is not an
 * envelope. A hit is read from Redis as bytes: its body stays a Buffer, sent as it is, never
 * decoded into a string and encoded again.
 */
export function envelopeParts<E extends string | Buffer>(envelope: E): { head: string; body: E } | null | undefined {
  const first = envelope.indexOf('|');
  const second = first < 0 ? -1 : envelope.indexOf('|', first + 1);
  if (second < 0) return undefined;
  if (second === envelope.length - 1) return null;
  const newline = envelope.indexOf('\n', second + 1);
  if (newline < 0) return undefined;
  const head = typeof envelope === 'string' ? envelope.slice(second + 1, newline) : envelope.toString('utf8', second + 1, newline);
  const body = (typeof envelope === 'string' ? envelope.slice(newline + 1) : envelope.subarray(newline + 1)) as E;
  return { head, body };
}

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
 * `<schemaVersion>|<epoch>|<json>`; an empty body records that the entity does not exist. The
 * fill script and the read script agree on this layout (cache.scripts.ts).
 */
export function encodeEnvelope(schemaVersion: number, epoch: number, json: string | null): string {
  return `${schemaVersion}|${epoch}|${json ?? ''}`;
}

/** The JSON body, `null` for a negative entry, `undefined` for something that is not an envelope. */
export function envelopeBody(envelope: string): string | null | undefined {
  const first = envelope.indexOf('|');
  const second = first < 0 ? -1 : envelope.indexOf('|', first + 1);
  if (second < 0) return undefined;
  const body = envelope.slice(second + 1);
  return body === '' ? null : body;
}

import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { CacheMetrics } from '../metrics/metrics.js';
import { envelopeParts, type CacheKey } from './cache.keys.js';

/**
 * What the cache stores and how far it trusts what it reads back (DESIGN.md rule 7): each entry
 * is `<version>|<epoch>|<head>\n<body>`, where the body is the entity's JSON exactly as a response
 * sends it and the head the few fields a caller needs before the body (cache.keys.ts).
 */

export const TTL_SECONDS = { SHORT: 60, MEDIUM: 300, LONG: 3600 } as const;
export type TtlClass = keyof typeof TTL_SECONDS;

/** The fields of a head, as a zod object whose keys are picked from the loaded value. */
export type HeadSchema = z.ZodObject;
type HeadOf<H> = H extends HeadSchema ? z.output<H> : undefined;

/**
 * The plain GET a hit costs, started before the caller knows it will read: a route sends it beside
 * the session read, so both leave in one round trip, and hands it to `getOrLoad` once the access
 * check has passed. A write acknowledged before the request began has already deleted the entry,
 * so this GET is as fresh as one sent later; the reply is used only by the request that started it.
 */
export interface ReadAhead {
  readonly key: string;
  readonly reply: Promise<Buffer | null>;
}

export interface LoadRequest<S extends z.ZodType, H extends HeadSchema | undefined = undefined> {
  key: CacheKey;
  ttl: TtlClass;
  /** What a cached value must parse as; anything else under the key is a miss. */
  schema: S;
  /**
   * The shape's version in each entry's envelope; an entry of another version is a miss.
   * Default: a fingerprint of the schema (and of the head's), so any change to the shape retires
   * older entries.
   */
  version?: number;
  /**
   * How far a body read back is trusted. `schema` (default): parsed with the schema.
   * `version`: JSON-parsed only, its shape vouched for by the version — for large values on hot
   * paths (a schedule's 150 shifts), where parsing each hit would cost more than the load saves.
   */
  verify?: 'schema' | 'version';
  /**
   * The fields a caller needs before the body, typically for an access check (a schedule's
   * location and status). Stored ahead of the body: a hit then parses and validates only these
   * few bytes, and the body is parsed (as `verify` says) the first time `value()` is called. A
   * caller that sends the stored JSON as it is never parses the body at all.
   */
  head?: H;
  /** The entry's GET, if the request sent it ahead (Cache.readAhead); used only if it is for this key. */
  readAhead?: ReadAhead;
  /** Loads from the database; `null` or `undefined` means "does not exist" and is cached briefly too. */
  load: () => Promise<z.input<S> | z.output<S> | null | undefined>;
}

/** A cached entity. Shared by every caller of one load: treat the values as read-only. */
export interface Cached<T, H = undefined> {
  /**
   * The JSON as stored, to send as a response body without serialising again: the string a load
   * made, or on a hit the bytes Redis sent (the same UTF-8).
   */
  readonly json: string | Buffer;
  /** The head's fields (validated), or undefined without a head. */
  readonly head: H;
  /** The value as the schema parsed it. */
  value(): T;
}

export type CachedFor<S extends z.ZodType, H extends HeadSchema | undefined> = Cached<z.output<S>, HeadOf<H>>;

export class CacheShapeError extends Error {
  override name = 'CacheShapeError';
}

export type AnyRequest = LoadRequest<z.ZodType, HeadSchema | undefined>;
/** An entry as the cache handles it: what callers get, plus the head's JSON for storing. */
export type Entry = (Cached<unknown, unknown> & { readonly headJson: string }) | null;

export const BAD = Symbol('bad entry');

/**
 * Serialises once and parses that JSON back through the schema, so a miss yields exactly what a
 * later hit will (dates as the JSON has them), and a loader that drifts from its schema fails
 * here, loudly, instead of poisoning the cache.
 */
export async function load(request: AnyRequest, metrics: CacheMetrics): Promise<Entry> {
  const label = { namespace: request.key.namespace };
  metrics.loads.inc(label);
  const stop = metrics.loadDuration.startTimer(label);
  let loaded: unknown;
  try {
    loaded = await request.load();
  } finally {
    stop();
  }
  if (loaded === null || loaded === undefined) return null;
  const json = JSON.stringify(loaded);
  const parsed = request.schema.safeParse(JSON.parse(json));
  if (!parsed.success) {
    throw new CacheShapeError(`loader for cache namespace "${request.key.namespace}" returned a value its schema rejects: ${parsed.error.message}`);
  }
  if (!request.head) return entry(json, '', undefined, () => parsed.data);
  const head = request.head.parse(pick(parsed.data, request.head));
  return entry(json, JSON.stringify(head), head, () => parsed.data);
}

/**
 * An envelope read back as an entry; BAD (a miss) if it is not one this request can trust.
 * `onBadBody` runs when a body behind a valid head turns out unreadable on first use (the caller
 * then fails; the cache drops the entry, so the next read loads it afresh).
 */
export function decode(request: AnyRequest, envelope: string | Buffer, onBadBody: (request: AnyRequest) => void = () => {}): Entry | typeof BAD {
  const parts = envelopeParts(envelope);
  if (parts === undefined) return BAD;
  if (parts === null) return null;
  const { head: headJson, body } = parts;
  if (request.head) {
    const head = request.head.safeParse(parseJson(headJson));
    if (!head.success) return BAD;
    let value: unknown;
    let parsed = false;
    return entry(body, headJson, head.data, () => {
      if (!parsed) {
        try {
          value = trustedBody(request, body);
        } catch (err) {
          onBadBody(request);
          throw err;
        }
        parsed = true;
      }
      return value;
    });
  }
  const raw = parseJson(body);
  if (request.verify === 'version') return raw !== null && typeof raw === 'object' ? entry(body, '', undefined, () => raw) : BAD;
  const parsed = request.schema.safeParse(raw);
  return parsed.success ? entry(body, '', undefined, () => parsed.data) : BAD;
}

/** A body behind a valid head, parsed on first use. It was written with this version's shape. */
function trustedBody(request: AnyRequest, body: string | Buffer): unknown {
  const raw = parseJson(body);
  if (request.verify === 'version' && raw !== null && typeof raw === 'object') return raw;
  const parsed = request.schema.safeParse(raw);
  if (!parsed.success) throw new CacheShapeError(`cache entry of namespace "${request.key.namespace}" has a valid head but an unreadable body`);
  return parsed.data;
}

/** The same test the read script makes: this shape's version, written in the current epoch or later. */
export function isCurrent(envelope: string | Buffer, version: number, currentEpoch: number): boolean {
  const start = typeof envelope === 'string' ? envelope.slice(0, 48) : envelope.toString('latin1', 0, 48);
  const match = /^(\d+)\|(\d+)\|/.exec(start);
  return match !== null && Number(match[1]) === version && Number(match[2]) >= currentEpoch;
}

/** Bumped when the envelope's layout changes, so entries of the old layout read as another version. */
const ENVELOPE_LAYOUT = 2;
const fingerprints = new WeakMap<z.ZodType, Map<HeadSchema | undefined, number>>();

/** A number that changes whenever the schema's JSON Schema (or its head's, or the layout) does. */
function fingerprint(schema: z.ZodType, head: HeadSchema | undefined): number {
  let byHead = fingerprints.get(schema);
  if (!byHead) fingerprints.set(schema, (byHead = new Map()));
  let value = byHead.get(head);
  if (value === undefined) {
    const shapeOf = (s: z.ZodType) => z.toJSONSchema(s, { io: 'output', unrepresentable: 'any' });
    const shape = JSON.stringify([ENVELOPE_LAYOUT, shapeOf(schema), head ? shapeOf(head) : null]);
    value = createHash('sha256').update(shape).digest().readUInt32BE(0);
    byHead.set(head, value);
  }
  return value;
}

export function versionOf(request: AnyRequest): number {
  return request.version ?? fingerprint(request.schema, request.head);
}

export function checkVersion(request: AnyRequest): void {
  const version = versionOf(request);
  if (!Number.isSafeInteger(version) || version < 0) {
    throw new TypeError(`cache version of namespace "${request.key.namespace}" must be a non-negative integer`);
  }
}

function entry(json: string | Buffer, headJson: string, head: unknown, value: () => unknown): NonNullable<Entry> {
  return { json, headJson, head, value };
}

function pick(value: unknown, head: HeadSchema): Record<string, unknown> {
  const source = value as Record<string, unknown>;
  return Object.fromEntries(Object.keys(head.shape).map((k) => [k, source[k]]));
}

function parseJson(text: string | Buffer): unknown {
  try {
    return JSON.parse(typeof text === 'string' ? text : text.toString('utf8'));
  } catch {
    return BAD;
  }
}

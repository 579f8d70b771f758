import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One registry per app, never prom-client's global one: two apps in one process (tests, or a
 * benchmark that boots two) would otherwise register the same metric twice and throw.
 */
export interface Metrics {
  registry: Registry;
  cache: CacheMetrics;
  writes: WriteMetrics;
}

export interface WriteMetrics {
  /**
   * Steps after a committed write that failed (`copies`: finding the entries that copy the
   * changed data; `live`: publishing the change). Each is made good: see server/changes/.
   */
  followUpFailures: Counter<'step'>;
}

type NamespaceLabel = 'namespace';

export interface CacheMetrics {
  hits: Counter<NamespaceLabel>;
  misses: Counter<NamespaceLabel>;
  /** Reads that skipped Redis: the breaker is open, or the cache is recovering from lost invalidations. */
  bypasses: Counter<NamespaceLabel>;
  loads: Counter<NamespaceLabel>;
  loadDuration: Histogram<NamespaceLabel>;
  /** Redis failures and timeouts, by operation (`read`, `fill`, `release`, `invalidate`, `epoch`, `probe`). */
  errors: Counter<NamespaceLabel | 'op'>;
  /** Fills refused because a write invalidated the key while its value was loading. */
  staleFillRejections: Counter<NamespaceLabel>;
  /** Entries that did not parse as the running code's shape, read as misses. */
  badEntries: Counter<NamespaceLabel>;
  /** Reads that waited `fillWaitMs` for another load's fill in vain and loaded themselves, without storing. */
  fillWaitsExpired: Counter<NamespaceLabel>;
  /** 0 closed (Redis in use), 1 open (reads go to the database), 2 half-open (probing). */
  breakerState: Gauge;
}

export interface CreateMetricsOptions {
  /** Process metrics (CPU, memory, event-loop lag, GC). On by default; tests may leave them out. */
  processMetrics?: boolean;
}

export function createMetrics(options: CreateMetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return { registry, cache: createCacheMetrics(registry), writes: createWriteMetrics(registry) };
}

export function createWriteMetrics(registry: Registry): WriteMetrics {
  return {
    followUpFailures: new Counter({
      name: 'crewplots_write_follow_up_failures_total',
      help: 'Steps after a committed write that failed (cache copies lookup, live publish); the cache is made fresh regardless',
      labelNames: ['step'] as const,
      registers: [registry],
    }),
  };
}

export function createCacheMetrics(registry: Registry): CacheMetrics {
  const registers = [registry];
  const counter = (name: string, help: string) =>
    new Counter({ name: `crewplots_cache_${name}`, help, labelNames: ['namespace'] as const, registers });
  return {
    hits: counter('hits_total', 'Cache reads answered from Redis (negative entries included)'),
    misses: counter('misses_total', 'Cache reads that found no usable entry and loaded from the database'),
    bypasses: counter('bypasses_total', 'Cache reads sent straight to the database because Redis is unavailable'),
    loads: counter('loads_total', 'Loader calls (one per single-flight group)'),
    loadDuration: new Histogram({
      name: 'crewplots_cache_load_duration_seconds',
      help: 'Time spent in loaders',
      labelNames: ['namespace'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    errors: new Counter({
      name: 'crewplots_cache_errors_total',
      help: 'Redis failures and timeouts seen by the cache',
      labelNames: ['namespace', 'op'] as const,
      registers,
    }),
    staleFillRejections: counter('stale_fill_rejections_total', 'Fills refused because the key was invalidated during the load'),
    badEntries: counter('bad_entries_total', 'Entries that did not match the expected shape and were treated as misses'),
    fillWaitsExpired: counter('fill_waits_expired_total', "Reads that waited for another load's fill in vain and loaded themselves, without storing"),
    breakerState: new Gauge({
      name: 'crewplots_cache_breaker_state',
      help: 'Cache circuit breaker: 0 closed, 1 open, 2 half-open',
      registers,
    }),
  };
}

/**
 * Where a Redis connection goes, as the environment says it (API.md, "Redis topologies"): one
 * server, a Sentinel-managed master, or a Cluster, each with optional ACL credentials and TLS.
 * Parsed here, without ioredis, so config.ts can refuse a bad value at boot; redis.client.ts turns
 * it into a client.
 */

export interface RedisEndpoint {
  host: string;
  port: number;
}

export type RedisTopology =
  | ({ kind: 'single'; db: number } & RedisEndpoint)
  | { kind: 'sentinel'; sentinels: readonly RedisEndpoint[]; masterName: string; sentinelPassword: string | undefined }
  | { kind: 'cluster'; nodes: readonly RedisEndpoint[] };

export type RedisConnection = RedisTopology & {
  username: string | undefined;
  password: string | undefined;
  tls: boolean;
};

/** The variables of one connection, without their prefix (`REDIS_` or `REDIS_CACHE_`). */
export interface TopologyVariables {
  URL?: string;
  HOST?: string;
  PORT?: number;
  SENTINELS?: RedisEndpoint[];
  SENTINEL_MASTER?: string;
  SENTINEL_PASSWORD?: string;
  CLUSTER_NODES?: RedisEndpoint[];
  USERNAME?: string;
  PASSWORD?: string;
  TLS?: boolean;
}

/** `host:port`, or `[v6-address]:port`. */
export function parseEndpoint(entry: string): RedisEndpoint | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(entry);
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: match[1] ?? match[2]!, port };
}

export interface TopologyProblem {
  variable: string;
  message: string;
}

/**
 * The connection the variables describe, or the problems with them. `prefix` names the variables
 * in the problems. `fallback` says what an unset single-server target means: the main
 * connection's default host and port, or (for the cache) "no connection of its own".
 */
export function resolveTopology(
  vars: TopologyVariables,
  prefix: string,
  fallback: RedisEndpoint | undefined,
): { connection: RedisConnection | undefined; problems: TopologyProblem[] } {
  const problems: TopologyProblem[] = [];
  const problem = (name: string, message: string) => problems.push({ variable: `${prefix}${name}`, message });
  const single = vars.URL !== undefined || vars.HOST !== undefined || vars.PORT !== undefined;
  const chosen = [single && 'URL/HOST/PORT', vars.SENTINELS && 'SENTINELS', vars.CLUSTER_NODES && 'CLUSTER_NODES'].filter(Boolean);
  if (chosen.length > 1) {
    problem(vars.SENTINELS ? 'SENTINELS' : 'CLUSTER_NODES', `set one of ${chosen.map((c) => `${prefix}${c}`).join(', ')}, not several`);
  }
  if (vars.SENTINELS && !vars.SENTINEL_MASTER) problem('SENTINEL_MASTER', `is required with ${prefix}SENTINELS (the name of the master the sentinels monitor)`);
  if (!vars.SENTINELS && vars.SENTINEL_MASTER) problem('SENTINELS', `is required with ${prefix}SENTINEL_MASTER`);
  if (!vars.SENTINELS && vars.SENTINEL_PASSWORD) problem('SENTINEL_PASSWORD', `is only read with ${prefix}SENTINELS`);
  if (vars.USERNAME && !vars.PASSWORD) problem('PASSWORD', `is required with ${prefix}USERNAME (ACL users authenticate with both)`);

  let url: URL | undefined;
  if (vars.URL !== undefined) {
    try {
      url = new URL(vars.URL);
    } catch {
      // The variable's own check names it; nothing more to say about the topology.
      return { connection: undefined, problems };
    }
    if (vars.HOST !== undefined || vars.PORT !== undefined) problem('URL', `set ${prefix}URL or ${prefix}HOST/${prefix}PORT, not both`);
    if ((url.username || url.password) && (vars.USERNAME || vars.PASSWORD)) {
      problem('PASSWORD', `credentials are in ${prefix}URL already; set them in one place`);
    }
    if (url.protocol === 'redis:' && vars.TLS === true) problem('TLS', `${prefix}URL says redis:// (no TLS); use rediss://`);
  }
  const db = url && url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) problem('URL', `"${url?.pathname.slice(1)}" is not a database number`);
  if (db !== 0 && (vars.SENTINELS || vars.CLUSTER_NODES)) problem('URL', 'a database number does not apply to Sentinel or Cluster');

  if (problems.length > 0) return { connection: undefined, problems };

  const auth = {
    username: vars.USERNAME ?? (url?.username ? decodeURIComponent(url.username) : undefined),
    password: vars.PASSWORD ?? (url?.password ? decodeURIComponent(url.password) : undefined),
    tls: vars.TLS ?? url?.protocol === 'rediss:',
  };
  if (vars.SENTINELS) {
    const topology = { kind: 'sentinel', sentinels: vars.SENTINELS, masterName: vars.SENTINEL_MASTER!, sentinelPassword: vars.SENTINEL_PASSWORD } as const;
    return { connection: { ...topology, ...auth }, problems };
  }
  if (vars.CLUSTER_NODES) return { connection: { kind: 'cluster', nodes: vars.CLUSTER_NODES, ...auth }, problems };
  if (url) {
    // An IPv6 host comes back in brackets from URL; sockets want it bare.
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
    return { connection: { kind: 'single', host, port: Number(url.port || 6379), db, ...auth }, problems };
  }
  if (vars.HOST !== undefined || vars.PORT !== undefined || fallback) {
    const host = vars.HOST ?? fallback?.host ?? '127.0.0.1';
    const port = vars.PORT ?? fallback?.port ?? 6379;
    return { connection: { kind: 'single', host, port, db: 0, ...auth }, problems };
  }
  if (vars.USERNAME || vars.PASSWORD || vars.TLS !== undefined) {
    problem('URL', `${prefix}USERNAME, ${prefix}PASSWORD and ${prefix}TLS need a target: ${prefix}URL, ${prefix}SENTINELS or ${prefix}CLUSTER_NODES`);
  }
  return { connection: undefined, problems };
}

/** For log lines: where a connection goes, never its credentials. */
export function describeConnection(connection: RedisConnection): string {
  const list = (endpoints: readonly RedisEndpoint[]) => endpoints.map((e) => `${e.host}:${e.port}`).join(',');
  const tls = connection.tls ? ' (TLS)' : '';
  switch (connection.kind) {
    case 'single':
      return `${connection.host}:${connection.port}${connection.db ? `/${connection.db}` : ''}${tls}`;
    case 'sentinel':
      return `master "${connection.masterName}" of sentinels ${list(connection.sentinels)}${tls}`;
    case 'cluster':
      return `cluster ${list(connection.nodes)}${tls}`;
  }
}

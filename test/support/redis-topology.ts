import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './redis-server.js';

/**
 * Redis Sentinel groups and Clusters built from the machine's own redis-server, on free ports in
 * a temporary folder, for the topology runs (`npm run test:topologies`) and benchmarks. Every
 * process started here is stopped by its pid; the shared Redis on 6379 is never touched.
 *
 *   const group = await startSentinelGroup();     // 1 master, 2 replicas, 3 sentinels
 *   process.env = { ...process.env, ...group.env }; // REDIS_SENTINELS, REDIS_SENTINEL_MASTER
 *   await group.stop();
 */
export interface RedisTopologyHandle {
  kind: 'sentinel' | 'cluster';
  /** The environment that points the server at it. */
  env: Record<string, string>;
  /** Every data node (masters and replicas), for inspection. */
  nodes: Array<{ host: string; port: number }>;
  dir: string;
  /** Sends a signal to the process serving `port` (a fault to inject: `kill(port, 'SIGKILL')`). */
  kill(port: number, signal: NodeJS.Signals): void;
  /** Stops every process started for it (SIGTERM, then SIGKILL) and removes its folder. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const run = promisify(execFile);

class Processes {
  private readonly children: ChildProcess[] = [];
  private readonly byPort = new Map<number, ChildProcess>();
  constructor(private readonly dir: string) {}

  start(args: string[], log: string, port: number): ChildProcess {
    const child = spawn('redis-server', [...args, '--logfile', path.join(this.dir, log)], { stdio: 'ignore' });
    this.children.push(child);
    this.byPort.set(port, child);
    return child;
  }

  kill(port: number, signal: NodeJS.Signals): void {
    const child = this.byPort.get(port);
    if (!child) throw new Error(`no process of this topology serves port ${port}`);
    child.kill(signal);
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((child) => stopChild(child)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** A short-lived connection for setup and inspection (no retries: setup polls on its own). */
export async function withNode<T>(port: number, fn: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({ host: HOST, port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  client.on('error', () => {});
  try {
    await client.connect();
    return await fn(client);
  } finally {
    client.disconnect();
  }
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms${last ? ` (${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const dataArgs = (port: number, dir: string) => ['--port', String(port), '--bind', HOST, '--dir', dir, '--save', '', '--appendonly', 'no'];

export interface SentinelGroupOptions {
  masterName?: string;
  replicas?: number;
  sentinels?: number;
  /** How long a master may be silent before sentinels call it down. */
  downAfterMs?: number;
}

/** One master, its replicas and a quorum of sentinels that monitor it. */
export async function startSentinelGroup(options: SentinelGroupOptions = {}): Promise<RedisTopologyHandle> {
  const masterName = options.masterName ?? 'crewplots';
  const replicaCount = options.replicas ?? 2;
  const sentinelCount = options.sentinels ?? 3;
  const downAfterMs = options.downAfterMs ?? 1_000;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'crewplots-sentinel-'));
  const processes = new Processes(dir);
  try {
    const ports = await distinctPorts(1 + replicaCount + sentinelCount);
    const [masterPort, ...rest] = ports as [number, ...number[]];
    const replicaPorts = rest.slice(0, replicaCount);
    const sentinelPorts = rest.slice(replicaCount);

    for (const [i, port] of [masterPort, ...replicaPorts].entries()) {
      const nodeDir = path.join(dir, `node-${port}`);
      mkdirSync(nodeDir);
      const args = dataArgs(port, nodeDir);
      if (i > 0) args.push('--replicaof', HOST, String(masterPort));
      processes.start(args, `node-${port}.log`, port);
    }
    await until('the master and its replicas are in sync', 15_000, () =>
      withNode(masterPort, async (c) => /connected_slaves:(\d+)/.exec(await c.info('replication'))?.[1] === String(replicaCount)),
    );

    const quorum = Math.floor(sentinelCount / 2) + 1;
    for (const port of sentinelPorts) {
      // Sentinel rewrites its configuration file as it learns the group, so each has its own.
      const conf = path.join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          `bind ${HOST}`,
          `dir ${dir}`,
          `sentinel monitor ${masterName} ${HOST} ${masterPort} ${quorum}`,
          `sentinel down-after-milliseconds ${masterName} ${downAfterMs}`,
          `sentinel failover-timeout ${masterName} 10000`,
          `sentinel parallel-syncs ${masterName} ${replicaCount}`,
          '',
        ].join('\n'),
      );
      processes.start([conf, '--sentinel'], `sentinel-${port}.log`, port);
    }
    // Every sentinel knows every replica and the other sentinels: a failover can be agreed on.
    await until('the sentinels know the group', 20_000, async () => {
      const views = await Promise.all(
        sentinelPorts.map((port) =>
          withNode(port, async (c) => {
            const replicas = (await c.call('SENTINEL', 'REPLICAS', masterName)) as unknown[];
            const sentinels = (await c.call('SENTINEL', 'SENTINELS', masterName)) as unknown[];
            return replicas.length === replicaCount && sentinels.length === sentinelCount - 1;
          }),
        ),
      );
      return views.every(Boolean);
    });

    return {
      kind: 'sentinel',
      env: {
        REDIS_SENTINELS: sentinelPorts.map((p) => `${HOST}:${p}`).join(','),
        REDIS_SENTINEL_MASTER: masterName,
      },
      nodes: [masterPort, ...replicaPorts].map((port) => ({ host: HOST, port })),
      dir,
      kill: (port, signal) => processes.kill(port, signal),
      stop: () => processes.stop(),
    };
  } catch (err) {
    await processes.stop();
    throw err;
  }
}

export interface ClusterOptions {
  masters?: number;
  replicasPerMaster?: number;
  nodeTimeoutMs?: number;
}

/** A Redis Cluster: `masters` masters with `replicasPerMaster` replicas each, every slot covered. */
export async function startCluster(options: ClusterOptions = {}): Promise<RedisTopologyHandle> {
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 1;
  const count = masters * (1 + replicas);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'crewplots-cluster-'));
  const processes = new Processes(dir);
  try {
    // Each node needs a second port for the cluster bus, chosen here rather than port + 10000.
    const ports = await distinctPorts(count * 2);
    const nodes = ports.slice(0, count);
    const busPorts = ports.slice(count);
    for (const [i, port] of nodes.entries()) {
      const nodeDir = path.join(dir, `node-${port}`);
      mkdirSync(nodeDir);
      processes.start(
        [
          ...dataArgs(port, nodeDir),
          '--cluster-enabled', 'yes',
          '--cluster-port', String(busPorts[i]),
          '--cluster-config-file', path.join(nodeDir, 'nodes.conf'),
          '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 2_000),
        ],
        `node-${port}.log`,
        port,
      );
    }
    await until('the cluster nodes start', 10_000, async () => {
      await Promise.all(nodes.map((port) => withNode(port, (c) => c.ping())));
      return true;
    });
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((p) => `${HOST}:${p}`), '--cluster-replicas', String(replicas), '--cluster-yes'], {
      timeout: 60_000,
    });
    await until('the cluster is ok on every node, with its replicas in sync', 30_000, async () => {
      const states = await Promise.all(
        nodes.map((port) =>
          withNode(port, async (c) => {
            const ok = /cluster_state:ok/.test(String(await c.cluster('INFO')));
            const info = await c.info('replication');
            return ok && (/role:slave/.test(info) ? /master_link_status:up/.test(info) : true);
          }),
        ),
      );
      return states.every(Boolean);
    });
    return {
      kind: 'cluster',
      env: { REDIS_CLUSTER_NODES: nodes.map((p) => `${HOST}:${p}`).join(',') },
      nodes: nodes.map((port) => ({ host: HOST, port })),
      dir,
      kill: (port, signal) => processes.kill(port, signal),
      stop: () => processes.stop(),
    };
  } catch (err) {
    await processes.stop();
    throw err;
  }
}

async function distinctPorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

/** The sentinel environment's first sentinel, for tests that drive a failover. */
export function sentinelOf(env: NodeJS.ProcessEnv): { host: string; port: number; masterName: string } | undefined {
  const first = env.REDIS_SENTINELS?.split(',')[0];
  if (!first || !env.REDIS_SENTINEL_MASTER) return undefined;
  const [host, port] = first.split(':');
  return { host: host!, port: Number(port), masterName: env.REDIS_SENTINEL_MASTER };
}

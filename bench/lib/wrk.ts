import { spawn, spawnSync } from 'node:child_process';
import { LOAD_CORE, REPO, cpuOf, pinned } from './proc.js';

/** One wrk run: what bench/wrk/report.lua prints, plus requests per second. */
export interface WrkResult {
  requests: number;
  duration_us: number;
  bytes: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  /** Microseconds. */
  latency: { min: number; mean: number; max: number; p50: number; p90: number; p99: number; p999: number };
  statuses: Record<string, number>;
  rps: number;
  /** Server CPU seconds (all threads) spent during the run, when its pid was given. */
  serverCpu?: number;
  /** Requests per server CPU-second: throughput with what other processes took from its core removed. */
  cpuRps?: number;
  /** Share of the run the server's main thread spent waiting for its core (another process had it). */
  stolen?: number;
}

export function checkWrk(): void {
  if (spawnSync('wrk', ['--version']).error) {
    throw new Error('wrk is not installed: `apt-get install -y wrk` (Debian), then run again');
  }
}

export interface WrkOptions {
  url: string;
  script: string;
  args: string[];
  seconds: number;
  connections?: number;
  threads?: number;
  timeoutSeconds?: number;
  /** The server's pid, to account its CPU time. */
  serverPid?: number;
}

/** Runs wrk pinned to the load core and parses its report line. */
export function wrk(o: WrkOptions): Promise<WrkResult> {
  const args = [
    '-t', String(o.threads ?? 1),
    '-c', String(o.connections ?? 50),
    '-d', `${o.seconds}s`,
    '--timeout', `${o.timeoutSeconds ?? 5}s`,
    '-s', o.script,
    o.url,
    '--',
    ...o.args,
  ];
  const [cmd, a] = pinned(LOAD_CORE, 'wrk', args);
  const before = cpuOf(o.serverPid);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, a, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('WRK_JSON '));
      if (code !== 0 || !line) return reject(new Error(`wrk failed (${code}):\n${out}`));
      const r = JSON.parse(line.slice('WRK_JSON '.length)) as Omit<WrkResult, 'rps'>;
      const seconds = r.duration_us / 1e6;
      const after = cpuOf(o.serverPid);
      const cpu = before && after ? after.cpu - before.cpu : undefined;
      resolve({
        ...r,
        rps: r.requests / seconds,
        serverCpu: cpu,
        cpuRps: cpu ? r.requests / cpu : undefined,
        stolen: before && after ? (after.waited - before.waited) / seconds : undefined,
      });
    });
  });
}

/** Non-2xx/3xx answers plus socket errors (timeouts included). */
export function errorCount(r: WrkResult): number {
  const e = r.errors;
  return e.status + e.connect + e.read + e.write + e.timeout;
}

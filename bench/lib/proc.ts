import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

/**
 * Child processes of a benchmark: servers pinned to one core, each writing its output to a log
 * file (never through this process, which would then spend CPU reading it), stopped by pid.
 */

export const REPO = path.resolve(import.meta.dirname, '../..');
export const RESULTS = path.join(REPO, 'bench', 'results');
/** Names what belongs to this run (its work folder, its database): runs side by side never share them. */
export const RUN_ID = (process.env.BENCH_RUN_ID ?? `${Date.now().toString(36)}${process.pid.toString(36)}`).toLowerCase().replace(/[^a-z0-9]/g, '');
/** This run's files: logs, data files for wrk, its build, variant copies. Removed at the end (BENCH_KEEP_LOGS=1 keeps it). */
export const WORK = path.join(RESULTS, 'work', RUN_ID);
export const LOGS = path.join(WORK, 'logs');
/** The compiled server this run measures: its own build (bench/lib/build.ts), or with --no-build the last one made. */
export let BUILD = path.join(RESULTS, 'build');
export function useBuild(dir: string): void {
  BUILD = dir;
}

let keep = Boolean(process.env.BENCH_KEEP_LOGS);
/** A run that failed keeps its work folder (logs), whatever BENCH_KEEP_LOGS says. */
export function keepWork(): void {
  keep = true;
}

export function removeWork(): void {
  if (!keep) rmSync(WORK, { recursive: true, force: true });
}

/** Cores: the server under test on one, the load generator (and private Redis) on the other. */
export const SERVER_CORE = process.env.BENCH_SERVER_CORE ?? '0';
export const LOAD_CORE = process.env.BENCH_LOAD_CORE ?? '1';

export interface Proc {
  name: string;
  child: ChildProcess;
  log: string;
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

let tasksetChecked: boolean | undefined;
export function hasTaskset(): boolean {
  tasksetChecked ??= spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  return tasksetChecked;
}

/** `taskset -c <core> cmd args` when taskset works here, else the bare command. */
export function pinned(core: string | undefined, cmd: string, args: string[]): [string, string[]] {
  if (core === undefined || !hasTaskset()) return [cmd, args];
  return ['taskset', ['-c', core, cmd, ...args]];
}

const running = new Set<Proc>();

export function startProc(
  name: string,
  cmd: string,
  args: string[],
  options: { env?: Record<string, string | undefined>; core?: string; cwd?: string; uid?: number; gid?: number } = {},
): Proc {
  mkdirSync(LOGS, { recursive: true });
  const log = path.join(LOGS, `${name}.log`);
  const fd = openSync(log, 'w');
  const [c, a] = pinned(options.core, cmd, args);
  const child = spawn(c, a, {
    cwd: options.cwd ?? REPO,
    env: options.env as NodeJS.ProcessEnv | undefined,
    stdio: ['ignore', fd, fd],
    uid: options.uid,
    gid: options.gid,
  });
  closeSync(fd);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  const proc: Proc = {
    name,
    child,
    log,
    exited,
    async stop(graceMs = 10_000) {
      running.delete(proc);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(proc);
  void exited.then(() => running.delete(proc));
  return proc;
}

/** Stops every process this run started that is still running (on exit, on Ctrl-C), then removes its work folder. */
export async function stopAll(): Promise<void> {
  await Promise.allSettled([...running].map((p) => p.stop(5_000)));
  removeWork();
}

/** The tests' own free-port helper: ask the kernel for a port, then give it back. */
export { freePort } from '../../test/support/redis-server.js';

/**
 * CPU time of a process (all its threads: JS, GC helpers, libuv pool), in seconds, and how long its
 * main thread waited on a run queue for a core (ns → s): the second says how much others took.
 */
export interface CpuSample {
  cpu: number;
  waited: number;
}

const CLK_TCK = 100; // getconf CLK_TCK on Linux x86-64

export function cpuOf(pid: number | undefined): CpuSample | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at ") ".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const sched = readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ');
    return { cpu: (utime + stime) / CLK_TCK, waited: Number(sched[1]) / 1e9 };
  } catch {
    return undefined;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it resolves true, or throws after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000, proc?: Proc): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc && proc.child.exitCode !== null) throw new Error(`${what}: ${proc.name} exited with ${proc.child.exitCode}; see ${proc.log}`);
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs} ms${proc ? `; see ${proc.log}` : ''}`);
    await sleep(100);
  }
}

/** Runs a command to completion (for setup steps), throwing with its output if it fails. */
export function run(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; uid?: number; gid?: number; cwd?: string } = {}): string {
  const r = spawnSync(cmd, args, { cwd: options.cwd ?? REPO, env: options.env, uid: options.uid, gid: options.gid, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The same without blocking the event loop (a load generator keeps running meanwhile). */
export function runAsync(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; uid?: number; gid?: number; cwd?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd ?? REPO, env: options.env, uid: options.uid, gid: options.gid, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} failed (${code}):\n${out}`))));
  });
}

/** Makes sure Ctrl-C and crashes still stop servers and remove temporary services. */
export function onExit(cleanup: () => Promise<void>): void {
  let done = false;
  const go = async (code: number) => {
    if (done) return;
    done = true;
    try {
      await cleanup();
    } finally {
      process.exit(code);
    }
  };
  process.on('SIGINT', () => void go(130));
  process.on('SIGTERM', () => void go(143));
  process.on('uncaughtException', (err) => {
    process.stderr.write(`${err.stack ?? err}\n`);
    void go(1);
  });
}

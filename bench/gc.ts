/**
 * The garbage collection of one app instance under scenario 2 (wrk, cached `GET /api/users/:id`),
 * with idle connections held open beside it or not: young-generation collections (how many, how
 * long each, how much each promoted, from the server's `--trace-gc-nvp` lines), full collections,
 * and requests per server CPU-second. How the cost of idle event streams was traced to V8's
 * allocation-site pretenuring (decision 034).
 *
 *   node_modules/.bin/tsx bench/gc.ts [--idle-streams N | --idle-tcp N] [--node-args "--flag …"]
 *                                     [--seconds 15] [--no-build]
 *
 * --idle-streams N: N event streams open on the instance; --idle-tcp N: N TCP connections that
 * send nothing (Node's sockets and parsers without a request); --node-args: V8 or Node flags for
 * the server (e.g. "--allocation-site-pretenuring" to put back V8's default).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { buildServer } from './lib/build.js';
import { LOAD_CORE, onExit, pinned, sleep, stopAll } from './lib/proc.js';
import { startStack, type Stack } from './lib/stack.js';
import { checkWrk, wrk } from './lib/wrk.js';
import { openIdleStreams } from './lib/idle-streams.js';
import { flag, value } from './lib/args.js';

const opts = {
  streams: Number(value('idle-streams') ?? 0),
  tcp: Number(value('idle-tcp') ?? 0),
  nodeArgs: (value('node-args') ?? '').split(' ').filter(Boolean),
  seconds: Number(value('seconds') ?? 15),
  build: !flag('no-build'),
};

/** N TCP connections to the port that stay open and send nothing, from a child process on the load core. */
async function openIdleTcp(port: number, count: number): Promise<ChildProcess> {
  const script = `const net = require('node:net'); let open = 0;
    for (let i = 0; i < ${count}; i++) net.connect(${port}, '127.0.0.1', () => { if (++open === ${count}) console.log('open'); }).on('error', () => {});
    setInterval(() => {}, 1000);`;
  const [cmd, args] = pinned(LOAD_CORE, process.execPath, ['-e', script]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve) => child.stdout!.once('data', resolve));
  return child;
}

/** Averages of the `--trace-gc-nvp` lines of young-generation collections in a piece of the server's log. */
function scavenges(log: string): { count: number; ms: number; promotedMb: number } {
  const lines = log.split('\n').filter((l) => / gc=s /.test(l));
  const field = (l: string, name: string) => Number(new RegExp(` ${name}=([\\d.]+)`).exec(l)?.[1] ?? 0);
  const mean = (name: string) => lines.reduce((sum, l) => sum + field(l, name), 0) / Math.max(1, lines.length);
  return { count: lines.length, ms: mean('pause'), promotedMb: mean('promoted') / 1e6 };
}

let stack: Stack | undefined;

async function main(): Promise<void> {
  checkWrk();
  if (opts.build) buildServer();
  onExit(async () => {
    await stack?.close();
    await stopAll();
  });
  stack = await startStack({ apps: ['app'], baselines: [], nodeArgs: { app: ['--trace-gc-nvp', ...opts.nodeArgs] } });
  const server = stack.servers.app!;
  const idle = opts.streams > 0 ? await openIdleStreams(server.url, stack.cookies.app, opts.streams) : undefined;
  const tcp = opts.tcp > 0 ? await openIdleTcp(Number(new URL(server.url).port), opts.tcp) : undefined;
  await sleep(1_000);
  const load = { url: server.url, script: 'bench/wrk/get.lua', args: [stack.userPath, ...stack.cookies.app], serverPid: server.proc.child.pid };
  await wrk({ ...load, seconds: 3 }); // warm-up, unmeasured
  const from = readFileSync(server.proc.log, 'utf8').length;
  const w = await wrk({ ...load, seconds: opts.seconds });
  const log = readFileSync(server.proc.log, 'utf8').slice(from);
  const young = scavenges(log);
  const full = log.split('\n').filter((l) => / gc=(mc|ms) /.test(l)).length;
  const held = opts.streams > 0 ? `${opts.streams} idle event streams` : opts.tcp > 0 ? `${opts.tcp} idle TCP connections` : 'nothing held open';
  process.stdout.write(
    `${held}${opts.nodeArgs.length ? `, node ${opts.nodeArgs.join(' ')}` : ''}: ${Math.round(w.cpuRps ?? 0)} requests per CPU-s; ` +
      `${young.count} scavenges, ${young.ms.toFixed(1)} ms each, ${young.promotedMb.toFixed(2)} MB promoted each; ${full} full collections (${opts.seconds} s)\n`,
  );
  idle?.close();
  tcp?.kill();
  await stack.close();
  stack = undefined;
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    await stack?.close().catch(() => {});
    await stopAll();
    process.exit(1);
  },
);

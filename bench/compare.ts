/**
 * Is the working tree slower than an earlier commit? Both are compiled and run side by side on
 * one stack (same Redis, same database, same sessions), scenarios 2 and 3c in rotated rounds, and
 * compared per round: a change's cost, without the machine's mood between two separate runs.
 *
 *   node_modules/.bin/tsx bench/compare.ts --against <commit> [--rounds 8] [--seconds 8] [--warmup 2] [--node-args '--flag …']
 *
 * `--node-args`: flags for the working tree's node only (what a V8 setting buys, against the same
 * commit: `--against HEAD`).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildServer, machine } from './lib/build.js';
import { REPO, RESULTS, WORK, onExit, removeWork, run, stopAll } from './lib/proc.js';
import { startStack, type Stack } from './lib/stack.js';
import { fmt, median, table } from './lib/stats.js';
import { checkWrk, errorCount, wrk } from './lib/wrk.js';
import { value } from './lib/args.js';

const against = value('against');
const rounds = Number(value('rounds') ?? 8);
const seconds = Number(value('seconds') ?? 8);
const warmup = Number(value('warmup') ?? 2);
const nodeArgs = value('node-args')?.split(' ').filter(Boolean) ?? [];
const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

/** The commit's server/ and shared/, compiled the way buildServer compiles the working tree. */
function buildCommit(rev: string): string {
  const source = path.join(WORK, 'against-src');
  const out = path.join(WORK, 'against-build');
  rmSync(source, { recursive: true, force: true });
  mkdirSync(source, { recursive: true });
  // Inside the repository, so the compiled code finds node_modules and migrations/ as the tree's does.
  const archive = execFileSync('git', ['archive', rev, 'server', 'shared', 'tsconfig.json', 'tsconfig.build.json'], { cwd: REPO, maxBuffer: 256 * 2 ** 20 });
  execFileSync('tar', ['-x', '-C', source], { input: archive });
  run(path.join(REPO, 'node_modules/.bin/tsc'), ['-p', path.join(source, 'tsconfig.build.json'), '--outDir', out]);
  return out;
}

let stack: Stack | undefined;

async function main(): Promise<void> {
  if (!against) throw new Error('say which commit to compare with: --against <commit>');
  checkWrk();
  onExit(async () => {
    await stack?.close().catch(() => {});
    await stopAll();
  });
  const commit = execFileSync('git', ['rev-parse', '--short', against], { cwd: REPO, encoding: 'utf8' }).trim();
  log(`compiling the working tree, and ${commit}`);
  buildServer();
  const earlier = buildCommit(commit);
  stack = await startStack({ apps: ['app'], baselines: [], variants: [{ name: 'earlier', build: earlier }], nodeArgs: { app: nodeArgs }, log });
  const s = stack;
  const jobs = [
    { id: '2 now', server: 'app', path: s.userPath },
    { id: `2 ${commit}`, server: 'earlier', path: s.userPath },
    { id: '3c now', server: 'app', path: s.schedulePath },
    { id: `3c ${commit}`, server: 'earlier', path: s.schedulePath },
  ];
  const measured: Record<string, number[]> = {};
  for (const job of jobs) await wrk({ url: s.servers[job.server]!.url, script: 'bench/wrk/get.lua', args: [job.path, ...s.cookies.app], seconds: warmup * 3 });
  for (let r = 0; r < rounds; r++) {
    for (const job of jobs.map((_, i) => jobs[(i + r) % jobs.length]!)) {
      const o = { url: s.servers[job.server]!.url, script: 'bench/wrk/get.lua', args: [job.path, ...s.cookies.app], serverPid: s.servers[job.server]!.proc.child.pid };
      await wrk({ ...o, seconds: warmup });
      const w = await wrk({ ...o, seconds });
      if (errorCount(w) > 0) throw new Error(`${job.id}: ${errorCount(w)} errors in round ${r + 1}`);
      (measured[job.id] ??= []).push(w.cpuRps ?? Number.NaN);
      log(`round ${r + 1}/${rounds} ${job.id.padEnd(14)} ${fmt.rps(w.cpuRps ?? Number.NaN).padStart(6)} per CPU-s`);
    }
  }
  await stack.close();
  stack = undefined;

  const ratio = (now: string, then: string) => median(measured[now]!.map((v, i) => v / measured[then]![i]!));
  const rows = ['2', '3c'].map((scenario) => [
    scenario,
    fmt.rps(median(measured[`${scenario} now`]!)),
    fmt.rps(median(measured[`${scenario} ${commit}`]!)),
    fmt.ratio(ratio(`${scenario} now`, `${scenario} ${commit}`)),
  ]);
  const m = machine();
  const md = [
    `# Compare run ${new Date().toISOString()}: the working tree (${m.commit}) against ${commit}`,
    '',
    `${m.cpu}; ${rounds} rounds × (${warmup} s + ${seconds} s), order rotated. Requests per server CPU-second, medians; the ratio is the median of per-round ratios.${nodeArgs.length ? ` The working tree ran with \`node ${nodeArgs.join(' ')}\`.` : ''}`,
    '',
    table(['scenario', 'now', commit, 'now ÷ then'], rows),
  ].join('\n');
  writeFileSync(path.join(RESULTS, 'latest-compare.md'), `${md}\n`);
  process.stdout.write(`\n${md}\n`);
  removeWork();
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    await stack?.close().catch(() => {});
    await stopAll();
    process.exit(1);
  },
);

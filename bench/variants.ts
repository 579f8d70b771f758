/**
 * What would the proposed server changes buy? Each variant is a copy of the compiled server
 * (bench/results/variants/<name>) with one change applied to its JS, run side by side with the
 * unchanged app and baselines 1b/1c, in rotated rounds. A diagnostic for bench/README.md's
 * findings: the patches match today's compiled code and fail loudly once it changes; nothing
 * here touches server/.
 *
 *   node_modules/.bin/tsx bench/variants.ts [--rounds 3] [--seconds 6] [--no-build] [--only name,name]
 *   node_modules/.bin/tsx bench/variants.ts --stampede [--rounds 5] [--only names]   scenario 5 against v-as-is and
 *     the robustness variants (default v-no-defer)
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildServer, machine } from './lib/build.js';
import { RESULTS, onExit, removeWork, stopAll } from './lib/proc.js';
import { VARIANTS, materialise } from './lib/variants.js';
import { startStack, type Stack } from './lib/stack.js';
import { stampede, type StampedeResult } from './lib/stampede.js';
import { fmt, median, table } from './lib/stats.js';
import { checkWrk, errorCount, wrk, type WrkResult } from './lib/wrk.js';
import { argv, value } from './lib/args.js';

const rounds = Number(value('rounds') ?? 3);
const seconds = Number(value('seconds') ?? 6);
const warmup = Number(value('warmup') ?? 2);
const only = value('only')?.split(',');
const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

// ---- the runs -------------------------------------------------------------------------------------

interface Job {
  id: string;
  server: string;
  path: (s: Stack) => string;
  cookies: (s: Stack) => string[];
}

let stack: Stack | undefined;

async function main(): Promise<void> {
  checkWrk();
  onExit(async () => {
    await stack?.close().catch(() => {});
    await stopAll();
  });
  if (!argv.includes('--no-build')) {
    log('compiling server/ and shared/ (tsconfig.build.json) for this run');
    buildServer();
  }
  if (argv.includes('--stampede')) return stampedes();
  const robustnessOnly = ['v-no-defer'];
  const chosen = VARIANTS.filter((v) => !robustnessOnly.includes(v.name) && (!only || only.includes(v.name) || v.name === 'v-as-is'));
  const variants = chosen.map((v) => ({ name: v.name, build: materialise(v), env: v.env }));
  stack = await startStack({ apps: ['nocache'], baselines: ['memory', 'guide'], variants, log });
  const s2 = (server: string): Job => ({ id: `2 @ ${server}`, server, path: (st) => st.userPath, cookies: (st) => (server === 'memory' ? st.cookies.memory : server === 'guide' ? st.cookies.guide : st.cookies.app) });
  const s3 = (server: string): Job => ({ id: `3 @ ${server}`, server, path: (st) => st.schedulePath, cookies: (st) => st.cookies.app });
  const jobs: Job[] = [
    s2('memory'),
    s2('guide'),
    ...chosen.filter((v) => !v.env).map((v) => s2(v.name)),
    ...chosen.filter((v) => ['v-as-is', 'v-no-autopipeline', 'v-as-is-nocache'].includes(v.name)).map((v) => s3(v.name)),
    s3('nocache'),
  ];
  const results: Record<string, WrkResult[]> = {};
  const invalid: string[] = [];
  log(`warm-up pass: ${warmup * 3} s per run`);
  for (const job of jobs) await wrk({ url: stack.servers[job.server]!.url, script: 'bench/wrk/get.lua', args: [job.path(stack), ...job.cookies(stack)], seconds: warmup * 3 });
  for (let r = 0; r < rounds; r++) {
    const order = jobs.map((_, i) => jobs[(i + r * 3) % jobs.length]!);
    for (const job of order) {
      const o = { url: stack.servers[job.server]!.url, script: 'bench/wrk/get.lua', args: [job.path(stack), ...job.cookies(stack)], seconds: warmup, serverPid: stack.servers[job.server]!.proc.child.pid };
      await wrk(o);
      let w = await wrk({ ...o, seconds });
      if (errorCount(w) > 0) {
        const renewed = await stack.renewLostSessions();
        log(`round ${r + 1} ${job.id}: ${errorCount(w)} errors; ${renewed} session(s) had been deleted and were renewed; measuring again`);
        invalid.push(`round ${r + 1} ${job.id}: ${errorCount(w)} errors, ${renewed} sessions renewed`);
        w = await wrk({ ...o, args: [job.path(stack), ...job.cookies(stack)], seconds });
      }
      (results[job.id] ??= []).push(w);
      log(`round ${r + 1}/${rounds} ${job.id.padEnd(22)} ${fmt.rps(w.rps).padStart(6)} rps  ${fmt.rps(w.cpuRps ?? Number.NaN).padStart(6)} per CPU-s  waited ${((w.stolen ?? 0) * 100).toFixed(0)} %  p99 ${fmt.ms(w.latency.p99)}  errors ${errorCount(w)}`);
    }
  }
  const logs = await stack.close();
  stack = undefined;

  const rps = (id: string) => median((results[id] ?? []).map((w) => w.cpuRps ?? Number.NaN));
  const wallRps = (id: string) => median((results[id] ?? []).map((w) => w.rps));
  const p99 = (id: string) => median((results[id] ?? []).map((w) => w.latency.p99));
  const rows = jobs.map((j) => {
    const v = VARIANTS.find((x) => x.name === j.server);
    const base = j.id.startsWith('2') ? '2 @ ' : '3 @ ';
    return [
      j.id,
      v?.what ?? (j.server === 'memory' ? 'baseline 1b' : j.server === 'guide' ? 'baseline 1c' : 'the app, CACHE_DISABLED'),
      fmt.rps(rps(j.id)),
      fmt.rps(wallRps(j.id)),
      fmt.ms(p99(j.id)),
      fmt.ratio(rps(j.id) / rps(`${base}v-as-is`)),
      j.id.startsWith('2') ? fmt.ratio(rps(j.id) / rps('2 @ memory')) : fmt.ratio(rps(j.id) / rps('3 @ nocache')),
      j.id.startsWith('2') ? fmt.ratio(rps(j.id) / rps('2 @ guide')) : j.server === 'v-as-is' && results['3 @ v-as-is-nocache'] ? `${fmt.ratio(rps(j.id) / rps('3 @ v-as-is-nocache'))} of v-as-is-nocache` : '',
    ];
  });
  const m = machine();
  const md = [
    `# Variants run ${new Date().toISOString()}`,
    '',
    `${m.cpu}; load average ${m.loadavg} at the end; commit ${m.commit}. ${rounds} rounds × (${warmup} s + ${seconds} s), medians. Ratios use requests per server CPU-second (see README).`,
    '',
    table(['run', 'change', 'rps per CPU-s', 'rps (wall)', 'p99', '× as-is', '× 1b (scenario 2) / × nocache (3)', '× 1c (scenario 2)'], rows),
    '',
    `Server logs: ${Object.entries(logs).map(([k, v]) => `${k} ${v.error} error / ${v.warn} warn`).join(', ')}.`,
    ...Object.entries(logs).flatMap(([k, v]) => Object.entries(v.messages).map(([msg, n]) => `- ${k}: ${n} × "${msg}"`)),
    ...(invalid.length ? ['', `Measured again because sessions had been deleted under load (finding 4): ${invalid.join('; ')}.`] : []),
  ].join('\n');
  writeFileSync(path.join(RESULTS, 'latest-variants.md'), `${md}\n`);
  writeFileSync(path.join(RESULTS, `variants-${Date.now()}.json`), JSON.stringify(results, null, 1));
  process.stdout.write(`\n${md}\n`);
  removeWork();
}

/** Scenario 5, repeated, on the unchanged app and the two robustness variants. */
async function stampedes(): Promise<void> {
  const names = only ? ['v-as-is', ...only] : ['v-as-is', 'v-no-defer'];
  const chosen = VARIANTS.filter((v) => names.includes(v.name));
  stack = await startStack({ apps: [], baselines: [], variants: chosen.map((v) => ({ name: v.name, build: materialise(v), env: v.env })), log });
  const results: Record<string, StampedeResult[]> = {};
  for (let r = 0; r < rounds; r++) {
    for (const v of chosen) {
      const s = await stampede(stack, [stack.servers[v.name]!.url]);
      (results[v.name] ??= []).push(s);
      log(`round ${r + 1}/${rounds} ${v.name.padEnd(17)} loads ${s.loads}  statuses ${JSON.stringify(s.statuses)}  slowest ${s.maxMs.toFixed(0)} ms  sessions lost ${s.sessionsLost}`);
    }
  }
  const logs = await stack.close();
  stack = undefined;
  const md = [
    `# Stampede variants ${new Date().toISOString()}`,
    '',
    table(
      ['variant', 'change', 'Postgres loads per run', 'non-200 answers per run', 'stale 200s per run', 'sessions lost per run (of 8)', 'slowest'],
      chosen.map((v) => {
        const rs = results[v.name] ?? [];
        return [v.name, v.what, rs.map((x) => x.loads).join(', '), rs.map((x) => x.requests - (x.statuses['200'] ?? 0)).join(', '), rs.map((x) => x.staleAnswers).join(', '), rs.map((x) => x.sessionsLost).join(', '), `${Math.max(...rs.map((x) => x.maxMs)).toFixed(0)} ms`];
      }),
    ),
    '',
    ...Object.entries(logs).flatMap(([k, v]) => Object.entries(v.messages).map(([msg, n]) => `- ${k}: ${n} × "${msg}"`)),
  ].join('\n');
  writeFileSync(path.join(RESULTS, 'latest-stampede-variants.md'), `${md}\n`);
  process.stdout.write(`\n${md}\n`);
  removeWork();
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    await stack?.close().catch(() => {});
    await stopAll();
    process.exit(1);
  },
);

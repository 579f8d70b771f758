/**
 * CPU profile of one server under one scenario's load (node --cpu-prof), summarised by owner.
 *
 *   node_modules/.bin/tsx bench/profile.ts                       the app, scenario 2 (cached GET user)
 *   node_modules/.bin/tsx bench/profile.ts --scenario 3c         the app, cached 150-shift schedule
 *   node_modules/.bin/tsx bench/profile.ts --scenario 1b         the MemoryStore baseline, for comparison
 *
 * Options: --scenario 1|1b|1c|2|3c|3d|4, --seconds N (default 20), --no-build,
 * --variant NAME (profile a variant of bench/lib/variants.ts instead of the app; scenarios 2, 3c, 4),
 * --alloc (what the load allocates instead of where its time goes: V8's sampling heap profiler,
 * collected objects included, bench/lib/alloc-sampler.cjs),
 * --idle-streams N (N event streams held open on the profiled app instance, as bench/run.ts's option).
 * Writes bench/results/profiles/<scenario>-<time>.cpuprofile (open it in Chrome DevTools) or
 * .heapprofile (--alloc), and bench/results/profiles/<scenario>-<time>.md (the summary, also printed).
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildServer } from './lib/build.js';
import { formatSummary, summariseProfile } from './lib/cpuprofile.js';
import { REPO, RESULTS, WORK, onExit, removeWork, sleep, stopAll, type Proc } from './lib/proc.js';
import { formatAllocations } from './lib/heapprofile.js';
import { startStack, type AppName, type BaselineName, type Stack } from './lib/stack.js';
import { VARIANTS, materialise } from './lib/variants.js';
import { checkWrk, wrk } from './lib/wrk.js';
import { argv, value } from './lib/args.js';
import { openIdleStreams } from './lib/idle-streams.js';

const scenario = value('scenario') ?? '2';
const seconds = Number(value('seconds') ?? 20);
const build = !argv.includes('--no-build');
const variantName = value('variant');
const alloc = argv.includes('--alloc');
const idleStreams = Number(value('idle-streams') ?? 0);

const TARGETS: Record<string, { server: AppName | BaselineName; path: (s: Stack) => string; cookies: (s: Stack) => string[]; mixed?: boolean }> = {
  '1': { server: 'bare', path: (s) => s.userPath, cookies: (s) => s.cookies.memory },
  '1b': { server: 'memory', path: (s) => s.userPath, cookies: (s) => s.cookies.memory },
  '1c': { server: 'guide', path: (s) => s.userPath, cookies: (s) => s.cookies.guide },
  '2': { server: 'app', path: (s) => s.userPath, cookies: (s) => s.cookies.app },
  '3c': { server: 'app', path: (s) => s.schedulePath, cookies: (s) => s.cookies.app },
  '3d': { server: 'nocache', path: (s) => s.schedulePath, cookies: (s) => s.cookies.app },
  '4': { server: 'app', path: () => '', cookies: (s) => s.cookies.app, mixed: true },
};

const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
let stack: Stack | undefined;

async function main(): Promise<void> {
  checkWrk();
  const target = TARGETS[scenario];
  if (!target) throw new Error(`unknown scenario ${scenario}; one of ${Object.keys(TARGETS).join(', ')}`);
  onExit(async () => {
    await stack?.close().catch(() => {});
    await stopAll();
  });
  if (build) {
    log('compiling server/ and shared/ (tsconfig.build.json) for this run');
    buildServer();
  }
  const dir = path.join(RESULTS, 'profiles', `tmp-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const variant = variantName ? VARIANTS.find((v) => v.name === variantName) : undefined;
  if (variantName && (!variant || target.server !== 'app')) throw new Error(`--variant needs a known variant (${VARIANTS.map((v) => v.name).join(', ')}) and scenario 2, 3c or 4`);
  const serverName = variant ? variant.name : target.server;
  const nodeArgs = { [serverName]: alloc ? ['--require', path.join(REPO, 'bench/lib/alloc-sampler.cjs')] : ['--cpu-prof', '--cpu-prof-dir', dir] };
  const isApp = ['app', 'nocache'].includes(target.server);
  stack = await startStack({
    apps: variant ? ['app'] : isApp ? [target.server as AppName, ...(target.server === 'app' ? [] : (['app'] as AppName[]))] : ['app'],
    baselines: isApp ? [] : [target.server as BaselineName],
    variants: variant ? [{ name: variant.name, build: materialise(variant), env: variant.env }] : [],
    nodeArgs,
    log,
  });
  const server = stack.servers[serverName]!;
  let script = 'bench/wrk/get.lua';
  let args = [target.path(stack), ...target.cookies(stack)];
  if (target.mixed) {
    const data = path.join(WORK, 'mixed-data.lua');
    const list = (xs: number[]) => `{${xs.join(',')}}`;
    writeFileSync(
      data,
      [
        `cookies = {${stack.cookies.app.map((c) => JSON.stringify(c)).join(',')}}`,
        `users = ${list(stack.seeded.userIds)}`,
        `schedules = ${list(stack.seeded.scheduleIds)}`,
        `shifts = {${stack.seeded.shifts.map(([s, id]) => `{${s},${id}}`).join(',')}}`,
        `crew = ${list(stack.seeded.crewIds)}`,
      ].join('\n'),
    );
    script = 'bench/wrk/mixed.lua';
    args = [data];
  }
  if (idleStreams > 0 && !isApp && !variant) throw new Error('--idle-streams needs an app scenario (2, 3c, 3d, 4)');
  const idle = idleStreams > 0 ? await openIdleStreams(server.url, stack.cookies.app, idleStreams) : undefined;
  if (idle) log(`${idleStreams} idle event streams open on ${server.name}`);
  log(`warm-up 3 s, then ${seconds} s of scenario ${scenario} against ${server.name} under ${alloc ? 'the sampling heap profiler' : '--cpu-prof'}`);
  await wrk({ url: server.url, script, args, seconds: 3 });
  const pid = server.proc.child.pid!;
  if (alloc) process.kill(pid, 'SIGUSR2');
  const w = await wrk({ url: server.url, script, args, seconds });
  log(`${Math.round(w.rps)} rps, p50 ${(w.latency.p50 / 1000).toFixed(2)} ms, p99 ${(w.latency.p99 / 1000).toFixed(2)} ms (profiling slows the server)`);
  idle?.close();
  const raw = alloc ? await allocationProfile(pid) : await cpuProfile(server.proc, dir);
  await stack.close();
  stack = undefined;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = `${path.join(RESULTS, 'profiles', `${scenario}${variant ? `-${variant.name}` : ''}${idleStreams > 0 ? `-idle${idleStreams}` : ''}${alloc ? '-alloc' : ''}-${stamp}`)}.${alloc ? 'heapprofile' : 'cpuprofile'}`;
  renameSync(raw, file);
  rmSync(dir, { recursive: true, force: true });
  const summary = alloc ? formatAllocations(file, w.requests) : formatSummary(summariseProfile(file));
  const streams = idleStreams > 0 ? `, ${idleStreams} idle event streams open` : '';
  const md = `# ${alloc ? 'Allocation' : 'CPU'} profile: scenario ${scenario} (${server.name}), ${seconds} s under wrk${streams}\n\n${summary}\n`;
  writeFileSync(file.replace(/\.\w+$/, '.md'), md);
  process.stdout.write(`\n${md}\nprofile: ${file}\n`);
  removeWork();
}

/** Stops the server (a clean exit writes its CPU profile) and returns the profile's path. */
async function cpuProfile(proc: Proc, dir: string): Promise<string> {
  await proc.stop(20_000);
  const name = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!name) throw new Error(`no profile written in ${dir}`);
  return path.join(dir, name);
}

/** Asks the sampler for its profile and returns its path once it is written. */
async function allocationProfile(pid: number): Promise<string> {
  const written = path.join(RESULTS, 'profiles', `alloc-${pid}.heapprofile`);
  process.kill(pid, 'SIGUSR2');
  // The sampler writes beside it and renames: once the file is there, it is whole.
  for (let waited = 0; !existsSync(written); waited += 250) {
    if (waited > 60_000) throw new Error(`no allocation profile in ${written}`);
    await sleep(250);
  }
  return written;
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

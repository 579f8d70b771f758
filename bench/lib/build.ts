import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILD, REPO, RESULTS, WORK, run, useBuild } from './proc.js';

/**
 * Compiles server/ and shared/ (tsconfig.build.json) into this run's work folder, so a benchmark
 * measures compiled JS of the working tree as it is now, without touching the repository's dist/
 * or another run's build. A copy becomes bench/results/build, which `--no-build` runs use.
 */
export function buildServer(): void {
  const dir = path.join(WORK, 'build');
  rmSync(dir, { recursive: true, force: true });
  run(path.join(REPO, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json', '--outDir', dir]);
  writeFileSync(path.join(dir, 'BUILD_INFO.json'), JSON.stringify({ at: new Date().toISOString(), commit: sourceState() }));
  useBuild(dir);
  const latest = path.join(RESULTS, 'build');
  const next = `${latest}.${process.pid}`;
  cpSync(dir, next, { recursive: true });
  rmSync(latest, { recursive: true, force: true });
  renameSync(next, latest);
}

function sourceState(): string {
  const sh = (args: string[]) => spawnSync('git', args, { cwd: REPO, encoding: 'utf8' }).stdout?.trim() ?? '';
  const dirty = sh(['status', '--porcelain', '--', 'server', 'shared']);
  return `${sh(['rev-parse', '--short', 'HEAD']) || 'unknown'}${dirty ? ' + uncommitted changes in server/ or shared/' : ''}`;
}

/** Which source the compiled server under test came from (written by buildServer). */
export function buildInfo(): string {
  try {
    const info = JSON.parse(readFileSync(path.join(BUILD, 'BUILD_INFO.json'), 'utf8')) as { at: string; commit: string };
    return `${info.commit}, compiled ${info.at}`;
  } catch {
    return 'unknown';
  }
}

/** What a reader needs to compare figures across runs. */
export function machine(): Record<string, string> {
  const cpu = os.cpus();
  const sh = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { cwd: REPO, encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : 'unknown';
  };
  return {
    cpu: `${cpu.length} × ${cpu[0]?.model ?? 'unknown'}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    kernel: `${os.type()} ${os.release()}`,
    loadavg: os.loadavg().map((v) => v.toFixed(2)).join(' '),
    node: process.version,
    redis: sh('redis-server', ['--version']).replace(/^Redis server /, '').split(' ')[0] ?? 'unknown',
    postgres: sh('psql', ['--version']),
    wrk: sh('sh', ['-c', 'wrk --version 2>&1 | head -1']).split(' ').slice(0, 2).join(' '),
    express: JSON.parse(readFileSync(path.join(REPO, 'node_modules/express/package.json'), 'utf8')).version,
    commit: buildInfo(),
  };
}

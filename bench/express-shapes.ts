/**
 * Bare Express (scenario 1's server, bench/baselines/bare.mjs) on Node's own HTTP server and on the
 * app's `createAppServer` (decision 033), side by side in rotated rounds: what requests and
 * responses that share their hidden classes are worth to an Express app that does nothing else.
 *
 *   node_modules/.bin/tsx bench/express-shapes.ts [--rounds 6] [--seconds 8] [--no-build]
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildServer, machine } from './lib/build.js';
import { request } from './lib/http.js';
import { BUILD, REPO, SERVER_CORE, WORK, freePort, onExit, startProc, stopAll, waitFor } from './lib/proc.js';
import { fmt, median } from './lib/stats.js';
import { checkWrk, errorCount, wrk } from './lib/wrk.js';
import { argv, value } from './lib/args.js';

const rounds = Number(value('rounds') ?? 6);
const seconds = Number(value('seconds') ?? 8);
const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

async function main(): Promise<void> {
  checkWrk();
  onExit(stopAll);
  if (!argv.includes('--no-build')) {
    log('compile server/ and shared/');
    buildServer();
  }
  // A ~2 KB user, as the other scenarios answer.
  const userFile = path.join(WORK, 'user.json');
  writeFileSync(userFile, JSON.stringify({ id: 1, name: 'Femke de Vries', email: 'femke@example.com', role: 'manager', notes: 'x'.repeat(1900) }));
  const servers: Record<'node' | 'app', { url: string; pid: number }> = {} as never;
  for (const which of ['node', 'app'] as const) {
    const port = await freePort();
    const env = { PATH: process.env.PATH, NODE_ENV: 'production', PORT: String(port), USER_JSON: userFile, ...(which === 'app' ? { APP_SERVER: path.join(BUILD, 'server/http/server.js') } : {}) };
    const proc = startProc(`bare-${which}`, process.execPath, [path.join(REPO, 'bench/baselines/bare.mjs')], { env, core: SERVER_CORE });
    const url = `http://127.0.0.1:${port}`;
    await waitFor(`bare Express (${which}) on ${url}`, async () => (await request(`${url}/api/users/1`)).status === 200, 30_000, proc);
    servers[which] = { url, pid: proc.child.pid! };
  }
  const measured: Record<'node' | 'app', number[]> = { node: [], app: [] };
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const which of r % 2 === 0 ? (['node', 'app'] as const) : (['app', 'node'] as const)) {
      const run = () => wrk({ url: servers[which].url, script: 'bench/wrk/get.lua', args: ['/api/users/1'], seconds, serverPid: servers[which].pid });
      await wrk({ url: servers[which].url, script: 'bench/wrk/get.lua', args: ['/api/users/1'], seconds: 2 });
      const w = await run();
      if (errorCount(w) > 0) throw new Error(`${which}: ${errorCount(w)} errors in round ${r + 1}`);
      measured[which].push(w.cpuRps!);
      log(`round ${r + 1}/${rounds} ${which.padEnd(4)} ${fmt.rps(w.cpuRps!).padStart(6)} per CPU-s`);
    }
    ratios.push(measured.app.at(-1)! / measured.node.at(-1)!);
  }
  const m = machine();
  process.stdout.write(
    [
      '',
      `# Bare Express on Node's server and on createAppServer, ${new Date().toISOString()}`,
      '',
      `${m.cpu}; ${rounds} rounds × (2 s + ${seconds} s), order rotated; requests per server CPU-second, medians.`,
      '',
      `Node's server ${fmt.rps(median(measured.node))}, createAppServer ${fmt.rps(median(measured.app))}: ${fmt.ratio(median(ratios))} (per round ${ratios.map((x) => x.toFixed(2)).join(', ')})`,
      '',
    ].join('\n'),
  );
  await stopAll();
}

main().catch(async (err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  await stopAll();
  process.exit(1);
});

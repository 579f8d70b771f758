/**
 * What one open event stream holds in the V8 heap: one app instance, a heap snapshot before and
 * after opening N streams (`--heapsnapshot-signal`; writing a snapshot collects garbage first), and
 * the difference per stream, in all and by kind of object (V8's node type and constructor name).
 * RSS, which bench/live.ts measures, adds what the process keeps beside its live objects; this is
 * the part the streams' own objects are.
 *
 *   node_modules/.bin/tsx bench/stream-heap.ts [--streams 1000] [--top 25] [--no-build]
 */
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { buildServer } from './lib/build.js';
import { WORK, onExit, sleep, stopAll } from './lib/proc.js';
import { startStack } from './lib/stack.js';
import { argv, value } from './lib/args.js';

const streams = Number(value('streams') ?? 1000);
const top = Number(value('top') ?? 25);
const SNAPSHOTS = path.join(WORK, 'snapshots');

/** Asks the server for a heap snapshot and waits until the file is complete. */
async function snapshot(pid: number): Promise<string> {
  const before = new Set(readdirSync(SNAPSHOTS));
  process.kill(pid, 'SIGUSR2');
  for (let waited = 0; waited < 60_000; waited += 250) {
    await sleep(250);
    const name = readdirSync(SNAPSHOTS).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
    if (!name) continue;
    const file = path.join(SNAPSHOTS, name);
    // Written in pieces: complete once it parses.
    try {
      JSON.parse(readFileSync(file, 'utf8'));
      return file;
    } catch {
      continue;
    }
  }
  throw new Error('no heap snapshot within 60 s');
}

/** Self size and count per kind of object ("type: constructor"; strings and code by type alone). */
function byKind(file: string): { kinds: Map<string, { count: number; bytes: number }>; total: number } {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const kinds = new Map<string, { count: number; bytes: number }>();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + typeAt!]!]!;
    const named = !/string|code|number/.test(type);
    const kind = named ? `${type}: ${snap.strings[snap.nodes[i + nameAt!]!]!.slice(0, 60)}` : type;
    const bytes = snap.nodes[i + sizeAt!]!;
    const entry = kinds.get(kind) ?? { count: 0, bytes: 0 };
    entry.count += 1;
    entry.bytes += bytes;
    kinds.set(kind, entry);
    total += bytes;
  }
  return { kinds, total };
}

async function main(): Promise<void> {
  if (!argv.includes('--no-build')) buildServer();
  mkdirSync(SNAPSHOTS, { recursive: true });
  const stack = await startStack({ apps: ['app'], baselines: [], nodeArgs: { app: ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${SNAPSHOTS}`] } });
  onExit(async () => {
    await stack.close();
    await stopAll();
  });
  const server = stack.servers.app!;
  const pid = server.proc.child.pid!;
  await sleep(2_000);
  const before = byKind(await snapshot(pid));
  const open: http.ClientRequest[] = [];
  for (let i = 0; i < streams; i++) {
    await new Promise<void>((resolve, reject) => {
      const cookie = stack.cookies.app[i % stack.cookies.app.length]!;
      const req = http.get(`${server.url}/api/events`, { headers: { cookie, accept: 'text/event-stream' }, agent: false }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`GET /api/events answered ${res.statusCode}`));
        res.resume();
        resolve();
      });
      req.on('error', reject);
      open.push(req);
    });
  }
  await sleep(3_000);
  const after = byKind(await snapshot(pid));
  for (const req of open) req.destroy();
  await stack.close();
  await stopAll();
  rmSync(SNAPSHOTS, { recursive: true, force: true });

  const rows = [...after.kinds]
    .map(([kind, a]) => {
      const b = before.kinds.get(kind) ?? { count: 0, bytes: 0 };
      return { kind, bytes: (a.bytes - b.bytes) / streams, count: (a.count - b.count) / streams };
    })
    .sort((x, y) => y.bytes - x.bytes)
    .slice(0, top);
  const out = [
    `# Heap held per open event stream, ${new Date().toISOString()} (${streams} streams, one instance)`,
    '',
    `${((after.total - before.total) / streams / 1024).toFixed(2)} KB per stream in all. The kinds that grew most:`,
    '',
    '| bytes per stream | objects per stream | kind |',
    '| --- | --- | --- |',
    ...rows.map((r) => `| ${r.bytes.toFixed(0)} | ${r.count.toFixed(2)} | ${r.kind} |`),
    '',
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch(async (err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  await stopAll();
  process.exit(1);
});

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The shipped balancer config (deploy/haproxy.cfg), run here on loopback by tests and benchmarks. */
export const SHIPPED_CONFIG = 'deploy/haproxy.cfg';

export interface Upstream {
  name: string;
  /** host:port */
  address: string;
}

/**
 * The shipped config with only its addresses changed: the frontend binds `bind`, and each
 * backend's server lines become one per upstream, with the options the shipped lines carry.
 * Everything else (checks, retries, timeouts) is what operators run.
 */
export function renderConfig(source: string, bind: string, upstreams: readonly Upstream[]): string {
  const lines = source.split('\n');
  const out: string[] = [];
  let binds = 0;
  let groups = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s+bind \S+$/.test(line)) {
      out.push(line.replace(/bind \S+$/, `bind ${bind}`));
      binds++;
      continue;
    }
    const server = /^(\s+)server \S+ \S+( .*)?$/.exec(line);
    if (!server) {
      out.push(line);
      continue;
    }
    // The first server line of a backend is the template; the rest of its group is replaced.
    while (i + 1 < lines.length && /^\s+server /.test(lines[i + 1]!)) i++;
    for (const u of upstreams) out.push(`${server[1]}server ${u.name} ${u.address}${server[2] ?? ''}`);
    groups++;
  }
  if (binds !== 1 || groups === 0) throw new Error(`unexpected shape of ${SHIPPED_CONFIG}: ${binds} bind line(s), ${groups} server group(s)`);
  return out.join('\n');
}

/** `haproxy -c -f file`: exit code and what it printed. */
export function checkConfig(file: string): { status: number | null; output: string } {
  const r = spawnSync('haproxy', ['-c', '-f', file], { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

export interface RunningHaproxy {
  child: ChildProcess;
  /** Everything it has logged (one line per request, and server state changes). */
  output(): string;
  stop(): Promise<void>;
}

/** Starts HAProxy in the foreground on the rendered shipped config; stopped by its pid. */
export async function startHaproxy(bind: string, upstreams: readonly Upstream[]): Promise<RunningHaproxy> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'crewplots-haproxy-'));
  const file = path.join(dir, 'haproxy.cfg');
  writeFileSync(file, renderConfig(readFileSync(SHIPPED_CONFIG, 'utf8'), bind, upstreams));
  const child = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const [host, port] = [bind.slice(0, bind.lastIndexOf(':')), Number(bind.slice(bind.lastIndexOf(':') + 1))];
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}:\n${out}`);
    try {
      await fetch(`http://${host}:${port}/api/health/live`);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`haproxy did not listen on ${bind}:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    child,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll } from '@jest/globals';

/** The real server as users start it, in a child process, for boot and shutdown tests. */
export interface ServerProcess {
  child: ChildProcess;
  port: number;
  url: string;
  output(): string;
  exited: Promise<number | null>;
}

/** Servers of this test file that have not exited yet. */
const running = new Set<ChildProcess>();

// A server whose test failed before stopping it would outlive the file, keeping the jest worker
// from exiting (its pipes stay open) and the machine busy; whatever is left is stopped here.
afterAll(async () => {
  await Promise.all(
    [...running].map(async (child) => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }),
  );
});

/**
 * Node itself with tsx as its loader, not the tsx command: that one runs the server as a child and
 * relays signals to it, and kills it outright when the child has not confirmed a signal within
 * 30 ms, which a busy machine misses (a SIGTERM test then sees exit code 143); and a wrapper killed
 * alone would leave the server running.
 */
export function spawnServer(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/**
 * Starts the server and resolves once it logs that it listens, with the port it logged. Without a
 * PORT of the caller's, the system picks one as the server binds: a port found free beforehand can
 * be taken by another process during the seconds a server takes to boot.
 */
export async function startServer(env: Record<string, string>, timeoutMs = 20_000): Promise<ServerProcess> {
  const child = spawnServer({ PORT: '0', ...env });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      // A server too slow to start is stopped, not left to start later with no one to stop it.
      child.kill('SIGKILL');
      reject(new Error(`server did not start:\n${out}`));
    }, timeoutMs);
    const onData = () => {
      const match = /"port":(\d+),"msg":"Crew Plots Pro listening/.exec(out);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${out}`));
    });
  });
  return { child, port, url: `http://127.0.0.1:${port}`, output: () => out, exited };
}

/** The variables a shell gives any program; nothing of the app's own. */
export function bareEnv(extra: Record<string, string> = {}): Record<string, string> {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG'];
  return { ...Object.fromEntries(keep.filter((k) => process.env[k]).map((k) => [k, process.env[k]!])), ...extra };
}

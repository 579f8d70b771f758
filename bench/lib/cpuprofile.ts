import { readFileSync } from 'node:fs';
import { table } from './stats.js';

/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and says where the time went:
 * - self time by owner (an npm package, a file of ours, node's internals, GC, idle);
 * - "on stack" time by owner: the share of samples with at least one frame of that owner on the
 *   stack, i.e. roughly what the owner costs including what it calls (synchronous work only);
 * - the functions with the most self time.
 */

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export function ownerOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const ours = /\/(server|shared|bench)\/(.*)$/.exec(url);
  if (ours) return `ours: ${ours[1]}/${ours[2]!.replace(/\.js$/, '')}`;
  return url;
}

export interface ProfileSummary {
  totalMs: number;
  busyMs: number;
  self: Array<[string, number]>;
  onStack: Array<[string, number]>;
  functions: Array<[string, number]>;
}

export function summariseProfile(file: string): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfByOwner = new Map<string, number>();
  const stackByOwner = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  const ownersCache = new Map<number, Set<string>>();
  const ownersOnStack = (id: number): Set<string> => {
    const cached = ownersCache.get(id);
    if (cached) return cached;
    const n = byId.get(id)!;
    const up = parent.get(id);
    const set = new Set(up === undefined ? [] : ownersOnStack(up));
    if (n.callFrame.url) set.add(ownerOf(n.callFrame.url, n.callFrame.functionName));
    ownersCache.set(id, set);
    return set;
  };
  let total = 0;
  let idle = 0;
  p.samples.forEach((id, i) => {
    const dt = (p.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const n = byId.get(id)!;
    const owner = ownerOf(n.callFrame.url, n.callFrame.functionName);
    if (owner === '(idle)') idle += dt;
    selfByOwner.set(owner, (selfByOwner.get(owner) ?? 0) + dt);
    for (const o of ownersOnStack(id)) stackByOwner.set(o, (stackByOwner.get(o) ?? 0) + dt);
    const fn = `${n.callFrame.functionName || '(anonymous)'} ${owner}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;
    selfByFunction.set(fn, (selfByFunction.get(fn) ?? 0) + dt);
  });
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return { totalMs: total, busyMs: total - idle, self: sorted(selfByOwner), onStack: sorted(stackByOwner), functions: sorted(selfByFunction) };
}

export function formatSummary(s: ProfileSummary, top = 25): string {
  const pct = (ms: number) => `${((ms / s.busyMs) * 100).toFixed(1)} %`;
  const rows = (xs: Array<[string, number]>) => xs.filter(([k]) => k !== '(idle)').slice(0, top).map(([k, ms]) => [k, `${ms.toFixed(0)} ms`, pct(ms)]);
  return [
    `Profile: ${s.totalMs.toFixed(0)} ms sampled, ${s.busyMs.toFixed(0)} ms busy (percentages are of busy time).`,
    '',
    '### Self time by owner',
    '',
    table(['owner', 'self', 'share'], rows(s.self)),
    '',
    '### On-stack time by owner (the owner and what it calls, synchronous work)',
    '',
    table(['owner', 'on stack', 'share'], rows(s.onStack)),
    '',
    '### Functions with the most self time',
    '',
    table(['function', 'self', 'share'], rows(s.functions)),
  ].join('\n');
}

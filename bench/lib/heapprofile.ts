import { readFileSync } from 'node:fs';
import { ownerOf } from './cpuprofile.js';
import { table } from './stats.js';

/**
 * Reads a sampling heap profile (bench/lib/alloc-sampler.cjs) and says who allocated what, per
 * request of the load: by owner (an npm package, a file of ours, node's internals) and by function
 * with its caller, counting the bytes a function allocated itself.
 */

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

export function formatAllocations(file: string, requests: number, top = 25): string {
  const head = (JSON.parse(readFileSync(file, 'utf8')) as { head: HeapNode }).head;
  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  const name = (n: HeapNode) => {
    const { functionName, url, lineNumber } = n.callFrame;
    return `${functionName || '(anonymous)'} ${ownerOf(url, functionName)}${url ? `:${lineNumber + 1}` : ''}`;
  };
  const walk = (n: HeapNode, caller: string) => {
    const here = name(n);
    if (n.selfSize > 0) {
      total += n.selfSize;
      const owner = ownerOf(n.callFrame.url, n.callFrame.functionName);
      byOwner.set(owner, (byOwner.get(owner) ?? 0) + n.selfSize);
      const key = `${here} ← ${caller}`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + n.selfSize);
    }
    for (const c of n.children) walk(c, here);
  };
  walk(head, '(root)');
  const perRequest = (bytes: number) => `${Math.round(bytes / requests)} B`;
  const rows = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, bytes]) => [k, perRequest(bytes), `${((bytes / total) * 100).toFixed(1)} %`]);
  return [
    `Allocated: ${(total / 1048576).toFixed(0)} MB over ${requests} requests, ${(total / requests / 1024).toFixed(1)} KB per request (sampled every 4 KB, collected objects included).`,
    '',
    '### By owner',
    '',
    table(['owner', 'per request', 'share'], rows(byOwner)),
    '',
    '### By function (self, with its caller)',
    '',
    table(['function ← caller', 'per request', 'share'], rows(byFunction)),
  ].join('\n');
}

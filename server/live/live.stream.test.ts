import { describe, expect, it } from '@jest/globals';
import type { Response } from 'express';
import { LiveStream, type StreamEnd, type StreamHost } from './live.stream.js';
import type { LiveBatch } from './live.keys.js';

/**
 * One stream on its own, with a response that only records what is written (the point here is
 * which batches a stream delivers, in what order; the HTTP side is the route suites' business).
 */
function stream() {
  const written: string[] = [];
  const ended: StreamEnd[] = [];
  const res = { writableLength: 0, write: (chunk: string) => written.push(chunk), end: () => {}, destroy: () => {} } as unknown as Response;
  const host: StreamHost = { bufferBytes: 64 * 1024, wrote: () => {}, ended: (_s, why) => ended.push(why) };
  const s = new LiveStream(res, { userId: 1, role: 'admin', locationIds: [] }, { session: async () => null, loadUser: async () => null }, host);
  return { s, written, ended };
}

const batch = (g: number): LiveBatch => ({
  g,
  t: 1_000 + g,
  changes: [{ kind: 'schedule', schedule: { id: g, locationId: 1, weekStart: '2030-01-07', status: 'published', version: 1 }, previousStatus: null }],
});
const ids = (written: string[]) => written.join('').match(/^id: \d+/gm)?.map((line) => Number(line.slice(4))) ?? [];

describe('a stream resuming from an id', () => {
  it('behind the instance: replayed batches, then the live ones that came meanwhile', () => {
    const { s, written } = stream();
    s.after = 10;
    s.offer(batch(11), { once: (_k, load) => load(), framed: (_k, make) => make() });
    s.begin([batch(9), batch(10)], { g: 10, t: 1_010 });
    expect(ids(written)).toEqual([9, 10, 10, 11]);
  });

  it('ahead of the instance: live batches up to that id that came during the replay are not sent again', () => {
    const { s, written, ended } = stream();
    // Registered at this instance's watermark 10; the client has seen up to 12 on another instance.
    s.after = 10;
    s.offer(batch(11), { once: (_k, load) => load(), framed: (_k, make) => make() });
    s.offer(batch(12), { once: (_k, load) => load(), framed: (_k, make) => make() });
    s.offer(batch(13), { once: (_k, load) => load(), framed: (_k, make) => make() });
    s.after = 12;
    s.begin([], { g: 12, t: 1_012 });
    expect(ids(written)).toEqual([12, 13]);
    expect(ended).toEqual([]);
  });
});

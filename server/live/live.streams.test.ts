import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createApp } from '../app.js';
import { Connections } from '../http/connections.js';
import { InFlight } from '../http/in-flight.js';
import { loadConfig } from '../config.js';
import { openRuntime } from '../runtime.js';
import { testLogger } from '../../test/support/logs.js';
import { ACCOUNT_PASSWORD, makeAccount, type Account } from '../../test/support/accounts.js';
import { insertLocation, uniqueMonday } from '../../test/support/factories.js';
import { listen, loginCookie, openEvents } from '../../test/support/sse.js';
import type { TestApp } from '../../test/support/test-app.js';
import { eventId } from './live.keys.js';
import type { LiveChange } from './live.types.js';

/** How streams are kept and ended: heartbeats, slow clients, gaps in the sequence, shutdown. */
let t: TestApp;
let url: string;
let closeServer: () => Promise<void>;
let server: import('node:http').Server;
let inFlight: InFlight;
let location: number;
let crew: Account;
let cookie: string;

const BUFFER_BYTES = 4096;

beforeAll(async () => {
  const runtime = await openRuntime(
    loadConfig({
      ...process.env,
      REDIS_PREFIX: `${process.env.REDIS_PREFIX ?? 'crewplots-test:'}live-streams:`,
      LIVE_HEARTBEAT_MS: '100',
      LIVE_BUFFER_BYTES: String(BUFFER_BYTES),
    }),
    testLogger(),
    { processMetrics: false },
  );
  inFlight = new InFlight();
  t = { app: createApp(runtime, { inFlight }), deps: runtime, close: () => runtime.close() };
  const listening = await listen(t.app);
  url = listening.url;
  server = listening.server;
  closeServer = listening.close;
  location = (await insertLocation(t.deps.database.db)).id;
  crew = await makeAccount(t.deps.database.db, 'crew', [location], 'Stream Crew');
  cookie = await loginCookie(t.app, crew.email, ACCOUNT_PASSWORD);
  while (!t.deps.live.hub.accepting) await new Promise((r) => setTimeout(r, 20));
});

afterAll(async () => {
  await closeServer?.();
  await t?.close();
});

let ids = 800_000_000 + Math.floor(Math.random() * 1_000_000);
const publishedWeek = (n = 1): LiveChange[] =>
  Array.from({ length: n }, () => ({
    kind: 'schedule' as const,
    schedule: { id: ++ids, locationId: location, weekStart: uniqueMonday(), status: 'published' as const, version: 1 },
    previousStatus: null,
  }));

async function metric(name: string): Promise<number> {
  const text = (await t.deps.metrics.registry.getSingleMetricAsString(name)).split('\n');
  const line = text.find((l) => l.startsWith(name));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('event streams', () => {
  it('get a comment line on every heartbeat while idle', async () => {
    const stream = await openEvents(url, cookie);
    const start = stream.comments;
    await new Promise((r) => setTimeout(r, 550));
    expect(stream.comments).toBeGreaterThanOrEqual(start + 3);
    expect(stream.events).toEqual([]);
    stream.close();
  });

  it('are not in-flight requests: shutdown does not wait for them', async () => {
    const stream = await openEvents(url, cookie);
    await stream.next(() => false, 100).catch(() => undefined);
    expect(t.deps.live.hub.size).toBeGreaterThan(0);
    expect(inFlight.size).toBe(0);
    stream.close();
  });

  it('drop a client that stops reading, and keep what waits for it bounded', async () => {
    const dropped = await metric('crewplots_live_dropped_total');
    const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write(`GET /api/events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\nCookie: ${cookie}\r\n\r\n`);
    // Read the headers, then never again.
    await new Promise((r) => socket.once('data', r));
    socket.pause();
    const closed = new Promise((r) => socket.once('close', r));
    // Large batches, until the socket's buffers are full and the server's bound is reached.
    let sent = 0;
    while ((await metric('crewplots_live_dropped_total')) === dropped && sent < 400) {
      await t.deps.live.publisher.publish(publishedWeek(500));
      sent += 1;
    }
    expect(await metric('crewplots_live_dropped_total')).toBe(dropped + 1);
    socket.resume();
    await closed;
    // A client that reads keeps its stream meanwhile. It starts after the last large batch, as a
    // browser that had them would: one still on its way to this instance would reach a stream
    // opened before it, and each is far past the buffer bound.
    const last = Number(await t.deps.redis.main.get(t.deps.live.keys.seq));
    const reader = await openEvents(url, cookie, eventId(last, Date.now()));
    await t.deps.live.publisher.publish(publishedWeek());
    await reader.next((e) => e.event === 'schedule');
    reader.close();
  });

  it('reset when a numbered batch never arrives (a publisher that failed half-way)', async () => {
    const stream = await openEvents(url, cookie);
    await stream.next(() => false, 100).catch(() => undefined);
    // A number taken and never announced: what a publisher that died after numbering leaves.
    await t.deps.redis.main.incr(t.deps.live.keys.seq);
    const [after] = publishedWeek();
    await t.deps.live.publisher.publish([after!]);
    const reset = await stream.next((e) => e.event === 'reset');
    const next = await stream.next((e) => e.event === 'schedule');
    expect(stream.events.indexOf(reset)).toBeLessThan(stream.events.indexOf(next));
    expect((next.data as { id: number }).id).toBe((after as { schedule: { id: number } }).schedule.id);
    stream.close();
  });

  it('end at shutdown with a reconnect hint, and the server then closes', async () => {
    const streams = await Promise.all([openEvents(url, cookie), openEvents(url, cookie)]);
    await streams[0]!.next(() => false, 100).catch(() => undefined);
    const connections = new Connections(server);
    t.deps.live.endStreams();
    for (const s of streams) {
      await s.ended;
      // Spread out so the browsers of one instance do not all reconnect at once.
      expect(s.retries.at(-1)).toBeGreaterThanOrEqual(500);
    }
    expect(t.deps.live.hub.size).toBe(0);
    // New streams are refused from then on (the balancer sends them elsewhere).
    const refused = await request(t.app).get('/api/events').set('cookie', cookie).expect(503);
    expect(refused.headers['retry-after']).toBe('1');
    await connections.close(0);
  });
});

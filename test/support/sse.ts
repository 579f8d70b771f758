import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import request from 'supertest';
import { createAppServer } from '../../server/http/server.js';

/** An app listening on a free port of this machine, for clients that need a real socket (event streams). */
export function listen(app: Express): Promise<{ url: string; server: http.Server; close(): Promise<void> }> {
  return listenOn(createAppServer(app));
}

/** A server listening on a free port of this machine. */
export async function listenOn(server: http.Server): Promise<{ url: string; server: http.Server; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The `crewplots.sid` cookie of a fresh login, as a Cookie header. */
export async function loginCookie(app: Express, email: string, password: string): Promise<string> {
  const res = await request(app).post('/api/auth/login').send({ email, password });
  if (res.status !== 200) throw new Error(`sign-in as ${email} failed: ${res.status} ${res.text}`);
  const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  return cookies.map((c) => c.split(';')[0]).join('; ');
}

export interface SseEvent {
  id: string | undefined;
  event: string;
  data: unknown;
}

export interface SseClient {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Every event so far, in order. */
  events: SseEvent[];
  /** The `id:` last seen (with or without an event), as a browser would send it back. */
  lastId: string | undefined;
  comments: number;
  retries: number[];
  /** Resolves with the first event (from `from` on) that matches, or rejects after `timeoutMs`. */
  next(match: (e: SseEvent) => boolean, timeoutMs?: number, from?: number): Promise<SseEvent>;
  /** Resolves once `count` events have arrived. */
  count(count: number, timeoutMs?: number): Promise<SseEvent[]>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
  body: string;
}

/** Opens `GET /api/events` and parses Server-Sent Events as a browser's EventSource does. */
export function openEvents(baseUrl: string, cookie: string | undefined, lastEventId?: string): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (cookie) headers.cookie = cookie;
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
    const req = http.get(`${baseUrl}/api/events`, { headers, agent: false }, (res) => {
      res.setEncoding('utf8');
      const waiters = new Set<() => void>();
      let buffer = '';
      let pendingId: string | undefined;
      let endedResolve: () => void = () => {};
      const client: SseClient = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events: [],
        lastId: undefined,
        comments: 0,
        retries: [],
        body: '',
        ended: new Promise<void>((r) => (endedResolve = r)),
        next(match, timeoutMs = 5_000, from = 0) {
          return new Promise((res2, rej) => {
            const check = () => {
              const found = client.events.slice(from).find(match);
              if (found) {
                waiters.delete(check);
                clearTimeout(timer);
                res2(found);
              }
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              rej(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(client.events)}`));
            }, timeoutMs);
            waiters.add(check);
            check();
          });
        },
        count(count, timeoutMs = 5_000) {
          return new Promise((res2, rej) => {
            const check = () => {
              if (client.events.length >= count) {
                waiters.delete(check);
                clearTimeout(timer);
                res2(client.events.slice(0, count));
              }
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              rej(new Error(`${client.events.length} of ${count} events within ${timeoutMs} ms: ${JSON.stringify(client.events)}`));
            }, timeoutMs);
            waiters.add(check);
            check();
          });
        },
        close: () => req.destroy(),
      };
      res.on('data', (chunk: string) => {
        client.body += chunk;
        buffer += chunk;
        let at: number;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          let event = 'message';
          let data: string | undefined;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) client.comments += 1;
            else if (line.startsWith('id: ')) pendingId = line.slice(4);
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data = line.slice(6);
            else if (line.startsWith('retry: ')) client.retries.push(Number(line.slice(7)));
          }
          client.lastId = pendingId;
          if (data !== undefined) client.events.push({ id: pendingId, event, data: JSON.parse(data) });
        }
        for (const wake of [...waiters]) wake();
      });
      res.on('end', () => endedResolve());
      res.on('close', () => endedResolve());
      resolve(client);
    });
    req.on('error', reject);
  });
}

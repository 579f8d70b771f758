import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bounded } from './bounded.js';

/** Blocks the event loop, as a burst of requests does. */
const busy = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

describe('bounded', () => {
  // An echo server stands in for Redis: its reply arrives over a socket, in the poll phase.
  let server: net.Server;
  let client: net.Socket;
  beforeAll(async () => {
    server = net.createServer((socket) => socket.on('data', (d) => socket.write(d)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await new Promise((r) => client.once('connect', r));
  });
  afterAll(async () => {
    client.destroy();
    await new Promise((r) => server.close(r));
  });
  const echo = (text: string) =>
    new Promise<string>((resolve) => {
      client.once('data', (d) => resolve(d.toString()));
      client.write(text);
    });

  it('answers what the operation answers, or its error', async () => {
    await expect(bounded(echo('pong'), 1_000)).resolves.toBe('pong');
    await expect(bounded(Promise.reject(new Error('WRONGTYPE')), 1_000)).rejects.toThrow('WRONGTYPE');
  });

  it('gives up on an operation that never answers', async () => {
    await expect(bounded(new Promise(() => {}), 50)).rejects.toThrow('Redis did not answer within 50 ms');
  });

  it('takes a reply that arrived while the process was too busy to read it', async () => {
    const reply = bounded(echo('ok'), 50);
    await new Promise((r) => setImmediate(r)); // the request is on the wire
    busy(200); // meanwhile the reply waits in the socket, and the deadline passes
    await expect(reply).resolves.toBe('ok');
  });
});

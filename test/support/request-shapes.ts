/**
 * Run with `node --allow-natives-syntax --import tsx`: serves three requests, each on a connection
 * of its own, from an Express app on the server given as argv[2] (`app`: createAppServer, `plain`:
 * Node's own), and prints whether they and their responses shared one hidden class and kept fast
 * properties. Used by server/http/server.test.ts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createAppServer } from '../../server/http/server.js';

// V8's intrinsics, available with --allow-natives-syntax; written through `new Function` so that
// the `%` syntax does not have to get past the TypeScript transform.
const sameShape = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;
const fast = new Function('a', 'return %HasFastProperties(a)') as (a: object) => boolean;

const app = express();
const seen: Array<[express.Request, express.Response]> = [];
app.get('/x', (req, res) => {
  res.locals.host = req.get('host');
  seen.push([req, res]);
  res.json({ ok: true });
});
const server = process.argv[2] === 'app' ? createAppServer(app) : http.createServer(app);
server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address() as AddressInfo;
  for (let i = 0; i < 3; i++) {
    await new Promise<void>((resolve) =>
      http.get(`http://127.0.0.1:${port}/x`, { agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      }),
    );
  }
  const [a, , c] = seen;
  process.stdout.write(
    JSON.stringify({
      requestsShareShape: sameShape(a![0], c![0]),
      responsesShareShape: sameShape(a![1], c![1]),
      fastProperties: fast(a![0]) && fast(a![1]),
    }),
  );
  server.close();
});

// Node's own cost of an idle event stream, for comparison with bench/live.ts's "RSS per open
// stream": a bare `http` server (no Express, no app) that answers every request with event-stream
// headers and one line, and keeps the response open. 1,000 clients connect from a child process
// (so their memory is not counted); RSS is read at rest before and after, and again after a full
// garbage collection, with the private part (RssAnon) and the heap's share beside it.
//
//   taskset -c 0 node --expose-gc bench/node-streams.mjs [streams]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';

const STREAMS = Number(process.argv[2] ?? 1000);
const status = (field) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
const rss = () => status('VmRSS');
// Private memory: RSS without the file-backed pages (the node binary's code, which serving the
// first connections pages in once, ≈ 5 MB, and which every Node process on the host shares).
const anon = () => status('RssAnon');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const kb = (bytes) => `${(bytes / STREAMS / 1024).toFixed(1)} KB`;
if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');

const held = [];
const server = http.createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' });
  res.write('retry: 2000\n\n');
  held.push(res);
});
server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address();
  // At rest: V8 gives back what start-up grew into some tens of seconds after it.
  await sleep(20_000);
  const rss0 = rss();
  const anon0 = anon();
  globalThis.gc();
  const heap0 = process.memoryUsage().heapUsed;
  const clients = spawn(
    process.execPath,
    [
      '-e',
      `const http = require('node:http'); let open = 0;
       for (let i = 0; i < ${STREAMS}; i++) {
         const headers = { accept: 'text/event-stream', cookie: 'crewplots.sid=s%3A' + 'x'.repeat(80) };
         http.get({ host: '127.0.0.1', port: ${port}, path: '/api/events', agent: false, headers }, (res) => {
           res.resume();
           if (++open === ${STREAMS}) console.log('open');
         });
       }
       setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise((resolve) => clients.stdout.once('data', resolve));
  const samples = [];
  for (let t = 0; t < 25; t++) {
    await sleep(2_000);
    samples.push([rss(), anon()]);
  }
  const [atRest, anonAtRest] = samples.slice(-5).sort((a, b) => a[0] - b[0])[2];
  globalThis.gc();
  await sleep(2_000);
  const heap1 = process.memoryUsage().heapUsed;
  const collected = rss();
  const anonCollected = anon();
  process.stdout.write(
    `bare Node, ${held.length} idle event streams: RSS per stream ${kb(atRest - rss0)} at rest (50 s after opening), ` +
      `${kb(collected - rss0)} after a full collection; of it private ${kb(anonAtRest - anon0)} at rest, ${kb(anonCollected - anon0)} after; ` +
      `V8 heap per stream ${kb(heap1 - heap0)}\n`,
  );
  clients.kill();
  process.exit(0);
});

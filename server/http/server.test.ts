import { spawnSync } from 'node:child_process';
import type http from 'node:http';
import { describe, expect, it } from '@jest/globals';
import express from 'express';
import { listenOn } from '../../test/support/sse.js';
import { createAppServer } from './server.js';

function shapes(server: 'app' | 'plain') {
  const run = spawnSync(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', 'test/support/request-shapes.ts', server], { encoding: 'utf8', timeout: 30_000 });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as Record<string, boolean>;
}

describe('createAppServer', () => {
  it("creates requests and responses with the app's prototypes, so Express's own prototype swap changes nothing", async () => {
    const app = express();
    app.set('trust proxy', 'loopback');
    app.get('/x', (req, res) => {
      res.locals.seen = req.get('x-probe');
      res.status(201).json({ probe: res.locals.seen, ip: req.ip, path: req.path });
    });
    const server = createAppServer(app);
    const born: boolean[] = [];
    server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      born.push(Object.getPrototypeOf(req) === app.request && Object.getPrototypeOf(res) === app.response);
    });
    const { url, close } = await listenOn(server);
    try {
      const res = await fetch(`${url}/x?q=1`, { headers: { 'x-probe': 'p-1', 'x-forwarded-for': '203.0.113.9' } });
      expect(res.status).toBe(201);
      expect(await res.json()).toEqual({ probe: 'p-1', ip: '203.0.113.9', path: '/x' });
      expect(born).toEqual([true]);
    } finally {
      await close();
    }
  });

  it('gives every request and response one shared hidden class with fast properties, where Express on a plain server gives each its own', () => {
    expect(shapes('app')).toEqual({ requestsShareShape: true, responsesShareShape: true, fastProperties: true });
    // What the server exists for: if Node or Express stops doing this, decision 033 is worth revisiting.
    expect(shapes('plain')).toMatchObject({ requestsShareShape: false, responsesShareShape: false });
  });
});

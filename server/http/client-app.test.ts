import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from '@jest/globals';
import express, { type Express } from 'express';
import request from 'supertest';
import { ensureClientBuilt } from '../../test/e2e/support/builds.js';
import { testLogger } from '../../test/support/logs.js';
import { clientApp } from './client-app.js';
import { problemHandler } from './problem.js';
import { acceptedEncodings } from './static-files.js';

/**
 * The built browser app as the server sends it: precompressed copies chosen by Accept-Encoding,
 * caching by kind of file, source maps only in development, and file paths that try to leave the
 * build answered as a plain 404 (the suite fails on any error log line).
 */

const DIST = path.resolve('dist/client');
let production: Express;
let development: Express;
let script: string;
let stylesheet: string;

function appServing(sourceMaps: boolean): Express {
  const app = express();
  app.use(clientApp(DIST, { sourceMaps }));
  app.use(problemHandler(testLogger()));
  return app;
}

/** The response body as bytes (supertest would otherwise decode it as text). */
function raw(res: request.Response & { body: unknown }): Buffer {
  return res.body as Buffer;
}
const bytes = (req: request.Test) =>
  req.buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => done(null, Buffer.concat(chunks)));
  });

beforeAll(() => {
  ensureClientBuilt();
  production = appServing(false);
  development = appServing(true);
  const html = readFileSync(path.join(DIST, 'index.html'), 'utf8');
  script = /src="(\/assets\/index-[\w-]+\.js)"/.exec(html)![1]!;
  stylesheet = /href="(\/assets\/index-[\w-]+\.css)"/.exec(html)![1]!;
}, 180_000);

describe('the build', () => {
  it('writes a brotli and a gzip copy of every script and stylesheet over a kilobyte, each smaller and the same once unpacked', () => {
    const assets = readdirSync(path.join(DIST, 'assets')).filter((f) => /\.(js|css)$/.test(f));
    const large = assets.filter((f) => statSync(path.join(DIST, 'assets', f)).size >= 1024);
    expect(large.length).toBeGreaterThan(5);
    for (const name of large) {
      const file = path.join(DIST, 'assets', name);
      const original = readFileSync(file);
      const br = readFileSync(`${file}.br`);
      const gz = readFileSync(`${file}.gz`);
      expect(br.length).toBeLessThan(original.length);
      expect(gz.length).toBeLessThan(original.length);
      expect(brotliDecompressSync(br).equals(original)).toBe(true);
      expect(gunzipSync(gz).equals(original)).toBe(true);
    }
  });

  it('leaves source maps uncompressed: they are for development only', () => {
    const maps = readdirSync(path.join(DIST, 'assets')).filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    expect(readdirSync(path.join(DIST, 'assets')).filter((f) => /\.map\.(br|gz)$/.test(f))).toEqual([]);
  });
});

describe('a hashed script', () => {
  const file = () => path.join(DIST, script);

  it.each([
    ['gzip, deflate, br, zstd', 'br', '.br'],
    ['br', 'br', '.br'],
    ['gzip', 'gzip', '.gz'],
    ['gzip;q=1, br;q=0.5', 'gzip', '.gz'],
    ['br;q=0, *', 'gzip', '.gz'],
  ])('with Accept-Encoding "%s" comes as %s, typed as JavaScript, cached for a year', async (accept, encoding, suffix) => {
    const res = await bytes(request(production).get(script).set('Accept-Encoding', accept)).expect(200);
    expect(res.headers['content-encoding']).toBe(encoding);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['vary']).toMatch(/\bAccept-Encoding\b/i);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    // supertest unpacks what arrived: the length says which bytes came, the body that they unpack right.
    expect(Number(res.headers['content-length'])).toBe(statSync(file() + suffix).size);
    expect(raw(res).equals(readFileSync(file()))).toBe(true);
  });

  it.each([undefined, 'identity', 'deflate', 'br;q=0, gzip;q=0'])('with Accept-Encoding %s comes as it is, still marked as varying', async (accept) => {
    const req = request(production).get(script);
    const res = await bytes(accept === undefined ? req.unset('Accept-Encoding') : req.set('Accept-Encoding', accept)).expect(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['vary']).toMatch(/\bAccept-Encoding\b/i);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(Number(res.headers['content-length'])).toBe(statSync(file()).size);
    expect(raw(res).equals(readFileSync(file()))).toBe(true);
  });

  it('answers HEAD with the length of what GET would send, and no body', async () => {
    const res = await request(production).head(script).set('Accept-Encoding', 'br').expect(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(Number(res.headers['content-length'])).toBe(statSync(file() + '.br').size);
  });

  it('revalidates by its own ETag per encoding', async () => {
    const br = await request(production).get(script).set('Accept-Encoding', 'br');
    const plain = await request(production).get(script).set('Accept-Encoding', 'identity');
    expect(br.headers['etag']).toBeTruthy();
    expect(br.headers['etag']).not.toBe(plain.headers['etag']);
    await request(production).get(script).set('Accept-Encoding', 'br').set('If-None-Match', br.headers['etag']!).expect(304);
  });

  it('answers a range outside the file with a 400 problem, not a 500', async () => {
    const res = await request(production).get(script).set('Accept-Encoding', 'identity').set('Range', 'bytes=99999999-').expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['content-encoding']).toBeUndefined();
  });
});

describe('the rest of the build', () => {
  it('sends the stylesheet as CSS, precompressed', async () => {
    const res = await request(production).get(stylesheet).set('Accept-Encoding', 'gzip, br').expect(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(res.text).toBe(readFileSync(path.join(DIST, stylesheet), 'utf8'));
  });

  it.each(['/', '/planner', '/my-shifts?week=2026-11-30'])('answers %s with the app shell, never cached', async (address) => {
    const res = await request(production).get(address).set('Accept-Encoding', 'gzip, br').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.text).toBe(readFileSync(path.join(DIST, 'index.html'), 'utf8'));
  });

  it('answers a missing asset with a 404 problem, compressed or not', async () => {
    for (const accept of ['br', 'identity']) {
      const res = await request(production).get('/assets/index-doesnotexist.js').set('Accept-Encoding', accept).expect(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });
});

describe('paths that leave the build', () => {
  it.each(['/assets/..%2f..%2fpackage.json', '/assets/..%2F..%2F..%2Fetc%2Fpasswd', '/assets/%2e%2e/%2e%2e/package.json', '/assets/..%5c..%5cpackage.json'])(
    '%s is a 404 problem, with nothing outside sent and nothing logged as an error',
    async (address) => {
      const res = await request(production).get(address).set('Accept-Encoding', 'br, gzip').expect(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 404, code: 'not_found' });
      expect(res.text).not.toContain('crew-plots-pro');
    },
  );

  it('outside /assets the app shell answers instead', async () => {
    const res = await request(production).get('/..%2fpackage.json').expect(200);
    expect(res.text).not.toContain('crew-plots-pro');
    expect(res.headers['content-type']).toMatch(/^text\/html/);
  });
});

describe('source maps', () => {
  const mapOf = () => `${script}.map`;

  it('are not served in production', async () => {
    const res = await request(production).get(mapOf()).expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.text).not.toContain('sourcesContent');
  });

  it('are served in development, for the browser tools', async () => {
    const res = await request(development).get(mapOf()).expect(200);
    expect(JSON.parse(res.text)).toMatchObject({ version: 3, sources: expect.any(Array) });
  });
});

describe('acceptedEncodings', () => {
  it.each([
    [undefined, []],
    ['', []],
    ['gzip, deflate, br', ['br', 'gzip']],
    ['gzip;q=0.8, br;q=0.9', ['br', 'gzip']],
    ['GZIP; Q=1, BR; q=0.1', ['gzip', 'br']],
    ['*', ['br', 'gzip']],
    ['*;q=0.5, gzip', ['gzip', 'br']],
    ['br;q=0, gzip;q=0', []],
    ['identity', []],
    ['br;q=nonsense, gzip', ['gzip']],
  ])('%s → %j', (header, expected) => {
    expect(acceptedEncodings(header)).toEqual(expected);
  });
});

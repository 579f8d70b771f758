import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';

/** docs/decisions/037: ioredis's Pipeline keeps `length` on its prototype (scripts/patch-ioredis.mjs, run on install). */
describe('ioredis pipelines', () => {
  it('count their commands through a getter on the prototype, not one defined on each pipeline', () => {
    const redis = new Redis({ lazyConnect: true });
    try {
      const pipeline = redis.pipeline().get('a').get('b');
      expect(pipeline.length).toBe(2);
      expect(Object.getOwnPropertyDescriptor(pipeline, 'length')).toBeUndefined();
      expect(typeof Object.getOwnPropertyDescriptor(Object.getPrototypeOf(pipeline), 'length')?.get).toBe('function');
    } finally {
      redis.disconnect();
    }
  });
});

describe('scripts/patch-ioredis.mjs', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'patch-ioredis-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const script = path.resolve('scripts/patch-ioredis.mjs');
  const run = (file: string) => spawnSync(process.execPath, [script, file], { encoding: 'utf8' });

  it('moves the per-instance getter onto the prototype, once', () => {
    const file = path.join(dir, 'Pipeline.js');
    writeFileSync(
      file,
      [
        'class Pipeline {',
        '    constructor() {',
        '        this._queue = [1, 2, 3];',
        '        const _this = this;',
        '        Object.defineProperty(this, "length", {',
        '            get: function () {',
        '                return _this._queue.length;',
        '            },',
        '        });',
        '    }',
        '    fillResult(value, position) {',
        '    }',
        '}',
        'module.exports = Pipeline;',
        '',
      ].join('\n'),
    );
    expect(run(file).status).toBe(0);
    const patched = readFileSync(file, 'utf8');
    expect(patched).not.toMatch(/defineProperty/);
    const check = `const P = require(${JSON.stringify(file)}); const p = new P(); process.stdout.write(JSON.stringify([p.length, Object.getOwnPropertyNames(p)]));`;
    expect(JSON.parse(execFileSync(process.execPath, ['-e', check], { encoding: 'utf8' }))).toEqual([3, ['_queue']]);
    expect(run(file).status).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(patched);
  });

  it('stops the install when Pipeline.js is not the one it was written for', () => {
    const file = path.join(dir, 'Other.js');
    writeFileSync(file, 'class Pipeline {}\n');
    const result = run(file);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/decisions\/037/);
    expect(readFileSync(file, 'utf8')).toBe('class Pipeline {}\n');
  });
});

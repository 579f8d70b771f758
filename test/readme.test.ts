import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';

/**
 * The README leads with two commands: one that installs and serves the app, one that runs every
 * test. CI must run the second one, word for word, so a green CI means the README's command works.
 */
const readme = readFileSync('README.md', 'utf8');
const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
const [serve, test] = firstBlock.split('\n').filter((line) => line.trim() && !line.startsWith('#'));
const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;

describe('README', () => {
  it('leads with a command that installs, builds and serves the app', () => {
    expect(readme.indexOf('```sh')).toBeLessThan(readme.indexOf('\n## '));
    expect(serve).toBe('npm ci && npm run build && npm start');
    expect(scripts).toHaveProperty('build');
    expect(scripts).toHaveProperty('start');
  });

  it('gives the test command that CI runs, word for word', () => {
    expect(test).toMatch(/npm test$/);
    const ci = readFileSync('.ci/run', 'utf8').trimEnd().split('\n');
    // After it, CI may only run further test commands (the Redis topologies).
    const at = ci.indexOf(test!);
    expect(at).toBeGreaterThan(-1);
    expect(ci.slice(at + 1).filter((line) => line.trim() && !line.startsWith('#') && !line.startsWith('echo '))).toEqual(['npm run test:topologies']);
  });
});

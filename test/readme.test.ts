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
    const at = ci.indexOf(test!);
    expect(at).toBeGreaterThan(0);
    // After it, CI only runs the same suites again in other set-ups (npm scripts named test:*).
    const after = ci.slice(at + 1).filter((line) => line.trim() && !line.startsWith('#') && !line.startsWith('echo '));
    for (const line of after) {
      expect(line).toMatch(/^npm run (test:[\w-]+)$/);
      expect(scripts).toHaveProperty(/^npm run (test:[\w-]+)$/.exec(line)![1]!);
    }
  });
});

import { readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';

/**
 * `npm ci --omit=dev` installs what the production server needs and nothing else: every package
 * the compiled server imports is a dependency, and every dependency is imported by it. Whatever
 * else (benchmarks, tests, the browser bundle, type-only imports) is a devDependency.
 */
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

function sourceFiles(dir: string, keep: (file: string) => boolean): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && keep(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** The packages a file loads at run time (`import type` and relative paths aside). */
function packagesOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [
    ...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm),
    ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
  return specifiers
    .filter((s) => !s.startsWith('.') && !s.startsWith('node:') && !builtinModules.includes(s.split('/')[0]!))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
}

const production = [...sourceFiles('server', (f) => f.endsWith('.ts') && !f.endsWith('.test.ts')), ...sourceFiles('shared', (f) => f.endsWith('.ts'))];
const bench = sourceFiles('bench', (f) => /\.(ts|mjs)$/.test(f));

describe('package.json', () => {
  const imported = new Set(production.flatMap(packagesOf));

  it('lists as dependencies exactly the packages the server imports', () => {
    expect(imported.size).toBeGreaterThan(5);
    expect([...imported].filter((name) => !(name in pkg.dependencies)).sort()).toEqual([]);
    expect(Object.keys(pkg.dependencies).filter((name) => !imported.has(name)).sort()).toEqual([]);
  });

  it('has every package the benchmarks import', () => {
    const missing = [...new Set(bench.flatMap(packagesOf))].filter((name) => !(name in pkg.dependencies) && !(name in pkg.devDependencies));
    expect(missing).toEqual([]);
  });
});

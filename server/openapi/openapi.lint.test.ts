import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { createApiTestApp } from '../../test/support/api.js';
import { syntheticRoutes } from '../../test/support/synthetic-routes.js';
import type { TestApp } from '../../test/support/test-app.js';
import { buildOpenApiDocument } from './openapi.js';

/**
 * The served document through Redocly's and Spectral's recommended rulesets, run from
 * node_modules (no network): no error, and no warning but those README.md accepts, with reasons.
 */

/** Rule ids each linter may warn about; README.md ("The API") says why each is accepted. */
const ACCEPTED = {
  redocly: ['info-license'],
  spectral: ['info-contact'],
} as const;

interface Finding {
  rule: string;
  severity: 'error' | 'warn';
  where: string;
  message: string;
}

const BIN = resolve('node_modules/.bin');
/** Each linter takes a few seconds on its own; on two busy cores, many more. */
const LINT_TIMEOUT_MS = 120_000;

let t: TestApp;
let dir: string;
let served: Record<string, unknown>;

beforeAll(async () => {
  t = await createApiTestApp('openapi-lint');
  served = (await request(t.app).get('/api/openapi.json').expect(200)).body as Record<string, unknown>;
  dir = await mkdtemp(join(tmpdir(), 'crewplots-openapi-'));
  await writeFile(join(dir, '.spectral.yaml'), 'extends: ["spectral:oas"]\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await t.close();
});

/** Runs a linter's binary in the temporary directory (so no project config is picked up), returning its stdout. */
function run(bin: string, args: string[]): Promise<string> {
  return new Promise((done, fail) => {
    execFile(
      join(BIN, bin),
      args,
      {
        cwd: dir,
        maxBuffer: 64 * 1024 * 1024,
        // Redocly would otherwise report usage and look for a newer version over the network.
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
      },
      // Both exit non-zero when they find an error: the findings are in stdout either way.
      (error, stdout, stderr) => {
        if (stdout.trim().startsWith('{') || stdout.trim().startsWith('[')) done(stdout);
        else fail(new Error(`${bin} gave no report (${error?.message ?? 'no error'}): ${stderr}`));
      },
    );
  });
}

async function redocly(file: string): Promise<Finding[]> {
  const report = JSON.parse(await run('redocly', ['lint', '--extends=recommended', '--format=json', file])) as {
    problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer: string }> }>;
  };
  return report.problems
    .filter((p) => p.severity === 'error' || p.severity === 'warn')
    .map((p) => ({ rule: p.ruleId, severity: p.severity as Finding['severity'], where: p.location[0]?.pointer ?? '', message: p.message }));
}

async function spectral(file: string): Promise<Finding[]> {
  const report = JSON.parse(await run('spectral', ['lint', '--ruleset', '.spectral.yaml', '--format', 'json', '--quiet', file])) as Array<{
    code: string;
    severity: number;
    message: string;
    path: string[];
  }>;
  // Spectral's severities: 0 error, 1 warning, 2 information, 3 hint.
  return report
    .filter((p) => p.severity <= 1)
    .map((p) => ({ rule: p.code, severity: p.severity === 0 ? 'error' : 'warn', where: p.path.join('.'), message: p.message }));
}

async function lint(document: unknown, name: string) {
  const file = join(dir, name);
  await writeFile(file, JSON.stringify(document, null, 2));
  const [byRedocly, bySpectral] = await Promise.all([redocly(file), spectral(file)]);
  return { redocly: byRedocly, spectral: bySpectral };
}

const unaccepted = (findings: Finding[], accepted: readonly string[]) =>
  findings.filter((f) => f.severity === 'error' || !accepted.includes(f.rule));

describe('the OpenAPI document under Redocly and Spectral (recommended rules)', () => {
  it('has no error and no warning that is not accepted', async () => {
    const found = await lint(served, 'openapi.json');
    expect(unaccepted(found.redocly, ACCEPTED.redocly)).toEqual([]);
    expect(unaccepted(found.spectral, ACCEPTED.spectral)).toEqual([]);
    // An accepted warning that no longer occurs is dropped from the list (and from the README).
    expect([...new Set(found.redocly.map((f) => f.rule))].sort()).toEqual([...ACCEPTED.redocly].sort());
    expect([...new Set(found.spectral.map((f) => f.rule))].sort()).toEqual([...ACCEPTED.spectral].sort());
  }, LINT_TIMEOUT_MS);

  it('has none either for the parts no route of the app uses yet (If-Match, an event stream, gone)', async () => {
    const found = await lint(buildOpenApiDocument(syntheticRoutes), 'synthetic.json');
    expect(unaccepted(found.redocly, ACCEPTED.redocly)).toEqual([]);
    expect(unaccepted(found.spectral, ACCEPTED.spectral)).toEqual([]);
  }, LINT_TIMEOUT_MS);

  it('catches what it is there to catch: a missing description, an undeclared tag, a duplicate operationId', async () => {
    const broken = structuredClone(served) as { paths: Record<string, Record<string, Record<string, unknown>>> };
    const [first, second] = [broken.paths['/api/users']!.get!, broken.paths['/api/locations']!.get!];
    delete first.description;
    first.tags = ['not-declared'];
    second.operationId = first.operationId;
    const found = await lint(broken, 'broken.json');
    const rules = (findings: Finding[]) => unaccepted(findings, []).map((f) => `${f.severity} ${f.rule}`);
    expect(rules(found.redocly)).toEqual(expect.arrayContaining(['error operation-operationId-unique']));
    expect(rules(found.spectral)).toEqual(
      expect.arrayContaining(['error operation-operationId-unique', 'warn operation-description', 'warn operation-tag-defined']),
    );
  }, LINT_TIMEOUT_MS);

  it('README.md gives the reason for every accepted warning', async () => {
    const readme = await readFile('README.md', 'utf8');
    const lines = readme.split('\n');
    for (const rule of [...ACCEPTED.redocly, ...ACCEPTED.spectral]) {
      const line = lines.find((l) => l.includes(`\`${rule}\``));
      // The rule and a reason: more than its name on its line.
      expect({ rule, reason: (line ?? '').replace(`\`${rule}\``, '').replace(/[^A-Za-z]/g, '').length > 30 }).toEqual({ rule, reason: true });
    }
  });
});

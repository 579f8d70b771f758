import { spawnSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { V8_FLAGS, v8FlagsFor } from './v8-flags.js';

function afterBurst(flags: readonly string[]): { kept: number; young: boolean } {
  const run = spawnSync(process.execPath, ['--allow-natives-syntax', 'test/support/pretenuring.mjs', ...flags], { encoding: 'utf8', timeout: 30_000 });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as { kept: number; young: boolean };
}

describe("the server's V8 flags", () => {
  it('keep objects young after a burst of long-lived ones from the same place in the code', () => {
    expect(afterBurst(V8_FLAGS)).toEqual({ kept: 1_000_000, young: true });
  });

  it("(control) V8's defaults pretenure that place after the same burst, so the check above can fail", () => {
    expect(afterBurst([])).toEqual({ kept: 1_000_000, young: false });
  });

  it('leave a flag the command line sets, either way and in either spelling, to the command line', () => {
    expect(v8FlagsFor([])).toEqual(['--no-allocation-site-pretenuring']);
    expect(v8FlagsFor(['--max-old-space-size=512', '--enable-source-maps'])).toEqual(['--no-allocation-site-pretenuring']);
    expect(v8FlagsFor(['--allocation-site-pretenuring'])).toEqual([]);
    expect(v8FlagsFor(['--no-allocation_site_pretenuring'])).toEqual([]);
  });
});

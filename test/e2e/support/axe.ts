import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/** axe-core, for the browser suites that check a screen for accessibility (test/e2e/accessibility.test.ts). */
const axeSource = (createRequire(import.meta.url)('axe-core') as { source: string }).source;

export interface Violation {
  where: string;
  rule: string;
  impact: string;
  targets: string[];
}

/** Runs axe on the page as it is now; returns the serious and critical violations, with where they were seen. */
export async function audit(page: Page, where: string): Promise<Violation[]> {
  // Evaluated through DevTools, so the page's Content-Security-Policy (script-src 'self') allows it.
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run((globalThis as unknown as { document: unknown }).document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')) }));
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ where, rule: v.id, impact: v.impact, targets: v.targets.slice(0, 5) }));
}


import type { z } from 'zod';
import type { FieldError } from '../../../shared/index.js';

/**
 * Checks a request body with the same shared schema the server uses, and reports problems in
 * the server's own `errors[]` shape, so a form shows both kinds of error the same way.
 */
export function check(schema: z.ZodType, body: unknown): FieldError[] {
  const result = schema.safeParse(body);
  if (result.success) return [];
  return result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

/** The first message per path. */
export function byPath(errors: FieldError[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of errors) out[e.path] ??= e.message;
  return out;
}

/** "must be at least 12 characters" reads better with a capital and a full stop. */
export function sentence(message: string | undefined): string | undefined {
  if (!message) return undefined;
  const text = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

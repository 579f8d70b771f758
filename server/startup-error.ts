/**
 * Something that keeps the server (or a command such as `npm run seed`) from starting, said in
 * one line that tells the reader what to do: printed as it is, without a stack trace.
 */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** How a command that fails to start reports it: one line for a StartupError, the stack otherwise. */
export function startupFailure(err: unknown, prefix = ''): string {
  if (err instanceof StartupError) return `${prefix}${err.message}`;
  return `${prefix}${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
}

import type { RequestHandler } from 'express';

/**
 * Middleware run in order as one. Express pays for every layer it walks (path match, dispatch,
 * its `next`), so steps that always run together on a hot path are mounted as one; a step that
 * throws, or passes an error (or 'route'/'router') to `next`, ends the chain with it.
 */
export function chain(handlers: readonly RequestHandler[]): RequestHandler & { readonly steps?: readonly RequestHandler[] } {
  if (handlers.length === 1) return handlers[0]!;
  const run: RequestHandler = (req, res, next) => {
    let i = 0;
    const step = (err?: unknown): void => {
      // As Express reads `next(err)`: anything falsy continues, 'route' and 'router' skip ahead.
      if (err) return next(err);
      const handler = handlers[i++];
      if (!handler) return next();
      try {
        // As Express does for a layer: an async step's rejection goes to the error handler.
        const returned: unknown = handler(req, res, step);
        if (returned instanceof Promise) returned.catch((err: unknown) => next(err || new Error('Rejected promise')));
      } catch (thrown) {
        next(thrown);
      }
    };
    step();
  };
  // What it runs, for whoever must list what the app serves (the OpenAPI test).
  return Object.assign(run, { steps: handlers });
}

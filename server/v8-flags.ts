import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings of the server process, set before it takes any load (decision 034).
 *
 * Allocation-site pretenuring is off. V8 watches the places in the code that create objects, and
 * once most of one place's objects outlive a young-generation collection it creates that place's
 * objects straight in the old generation. A server's long-lived objects (the sockets, parsers and
 * streams of open connections, event streams among them) come from the same places in Node's HTTP
 * and stream code as each request's short-lived ones, so a burst of connections taught V8 to put
 * later requests' objects in the old generation, where only a full collection frees them: with
 * 1,000 event streams open, each young collection promoted three times as much and took three
 * times as long, and cached reads lost a third of their throughput.
 */
export const V8_FLAGS = ['--no-allocation-site-pretenuring'] as const;

/** The name a V8 flag goes by, whatever its spelling: `--no-a_b=1` and `--a-b` are both `a-b`. */
const flagName = (arg: string) => arg.replace(/^--(no-)?/, '').split('=')[0]!.replaceAll('_', '-');

/** V8_FLAGS but those the command line already sets one way or the other: an operator's choice stands. */
export function v8FlagsFor(execArgv: readonly string[]): string[] {
  const given = new Set(execArgv.filter((arg) => arg.startsWith('--')).map(flagName));
  return V8_FLAGS.filter((flag) => !given.has(flagName(flag)));
}

export function setV8Flags(execArgv: readonly string[] = process.execArgv): void {
  for (const flag of v8FlagsFor(execArgv)) setFlagsFromString(flag);
}

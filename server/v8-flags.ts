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

export function setV8Flags(): void {
  for (const flag of V8_FLAGS) setFlagsFromString(flag);
}

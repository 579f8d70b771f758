// Run with `node --allow-natives-syntax test/support/pretenuring.mjs [V8 flags…]` (plain Node: a
// module loader in front changes when V8 decides): sets the flags given as the server does
// (server/v8-flags.ts), keeps a million objects from one object literal alive across
// young-generation collections, as a burst of connections keeps its sockets' and streams' objects,
// then makes one more from the same literal and prints whether V8 created it in the young
// generation. Without flags V8 has pretenured the literal by then. Used by server/v8-flags.test.ts.
import { setFlagsFromString } from 'node:v8';

for (const flag of process.argv.slice(2)) setFlagsFromString(flag);
// V8's intrinsic, available with --allow-natives-syntax (through `new Function` so that this file
// parses without it).
const young = new Function('o', 'return %InYoungGeneration(o)');
const make = (i) => ({ i, list: [i], state: { open: true } });
const kept = [];
const burst = () => {
  for (let i = 0; i < 50_000; i++) kept.push(make(i));
};
for (let round = 0; round < 20; round++) burst();
const fresh = make(0);
process.stdout.write(`${JSON.stringify({ kept: kept.length, young: young(fresh) && young(fresh.state) })}\n`);

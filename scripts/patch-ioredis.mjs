/**
 * Runs after `npm ci` / `npm install` (package.json "postinstall"): gives ioredis's Pipeline its
 * `length` as a getter on the prototype instead of one defined on each instance in the constructor
 * (docs/decisions/037). The per-instance getter gives every pipeline a hidden class of its own, kept
 * in V8's old generation and pointing at the pipeline through the getter; with autopipelining that
 * is one pipeline per event-loop turn, and everything it holds (commands, promises, replies) then
 * survives young collections until a full one. The patch is exact: an ioredis whose Pipeline.js
 * does not read as expected stops the install, so an upgrade is looked at again.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// The installed ioredis, or (for its test) the file given.
const file = process.argv[2] ?? createRequire(import.meta.url).resolve('ioredis/built/Pipeline.js');
const MARK = '/* crew-plots: length on the prototype (docs/decisions/037) */';
const PER_INSTANCE = `        const _this = this;
        Object.defineProperty(this, "length", {
            get: function () {
                return _this._queue.length;
            },
        });
`;
const METHOD_AFTER = '    fillResult(value, position) {\n';
const ON_PROTOTYPE = `    ${MARK}\n    get length() {\n        return this._queue.length;\n    }\n`;

const source = readFileSync(file, 'utf8');
if (source.includes(MARK)) process.exit(0);
if (source.split(PER_INSTANCE).length !== 2 || source.split(METHOD_AFTER).length !== 2) {
  process.stderr.write(`patch-ioredis: ${file} is not the Pipeline.js this patch was written for; see docs/decisions/037\n`);
  process.exit(1);
}
writeFileSync(file, source.replace(PER_INSTANCE, '').replace(METHOD_AFTER, ON_PROTOTYPE + METHOD_AFTER));

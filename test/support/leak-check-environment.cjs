/**
 * `LEAK_CHECK=1 npm test -- --maxWorkers=1 [paths]`: fails a test file that leaves something behind
 * which keeps the process alive after its last hook: a timer still pending (not unref'd), a socket,
 * a listening server, a pipe, a worker thread or a child process, each named with where it was
 * created. Jest's "A worker process has failed to exit gracefully" at the end of a run names no
 * file; this does. Off by default: recording where every timer and socket starts costs a stack
 * trace each.
 */
const { TestEnvironment } = require('jest-environment-node');
const asyncHooks = require('node:async_hooks');

/** Every kind of handle that keeps Node's event loop running while it is referenced. */
const WATCHED = new Set([
  'Timeout',
  'Immediate',
  'TCPWRAP',
  'TCPSERVERWRAP',
  'PIPEWRAP',
  'PIPESERVERWRAP',
  'UDPWRAP',
  'PROCESSWRAP',
  'WORKER',
  'MESSAGEPORT',
  'FSEVENTWRAP',
  'STATWATCHER',
]);
/** How long a file's handles get to close after its last hook (jest's own default wait for a worker is 500 ms). */
const SETTLE_MS = 600;
const live = new Map();
let currentFile = null;

asyncHooks
  .createHook({
    init(id, type, _trigger, resource) {
      if (!WATCHED.has(type) || currentFile === null) return;
      const stack = (new Error().stack ?? '')
        .split('\n')
        .slice(2)
        .filter((line) => !line.includes('node:internal') && !line.includes('leak-check-environment'))
        .slice(0, 6)
        .join('\n');
      live.set(id, { type, resource, stack, file: currentFile });
    },
    destroy(id) {
      live.delete(id);
    },
  })
  .enable();

/** A resource that would keep the event loop running. */
function holds(entry) {
  const r = entry.resource;
  if (entry.type === 'Timeout') return !r._destroyed && (typeof r.hasRef !== 'function' || r.hasRef());
  return typeof r.hasRef !== 'function' || r.hasRef();
}

/** Jest's own (its reporters' timers, when the run is in band) are not the test's. */
const ownedByJest = (stack) => /node_modules\/(@jest|jest-[a-z-]+)\//.test(stack.split('\n')[1] ?? stack);

class LeakCheckEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.file = context.testPath;
    currentFile = this.file;
  }

  async teardown() {
    await super.teardown();
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS).unref());
    const left = [...live.values()].filter((e) => e.file === this.file && holds(e) && !ownedByJest(e.stack));
    for (const [id, e] of live) if (e.file === this.file) live.delete(id);
    if (left.length > 0) {
      const what = left.map((e) => `${e.type}${e.type === 'Timeout' ? ` (${e.resource._idleTimeout} ms)` : ''}\n${e.stack}`).join('\n\n');
      throw new Error(`${left.length} handle(s) still open ${SETTLE_MS} ms after the last hook:\n\n${what}`);
    }
  }
}

module.exports = LeakCheckEnvironment;

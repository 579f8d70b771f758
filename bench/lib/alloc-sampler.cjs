// Preloaded into a server by `bench/profile.ts --alloc` (node --require): V8's sampling heap
// profiler, counting the objects the garbage collector has collected since, so it shows what the
// load allocates rather than what it keeps. The first SIGUSR2 starts it; the second writes
// bench/results/profiles/alloc-<pid>.heapprofile (relative to the working directory, the
// repository) and stops it.
const inspector = require('node:inspector');
const { mkdirSync, renameSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const session = new inspector.Session();
session.connect();
let sampling = false;
process.on('SIGUSR2', () => {
  if (!sampling) {
    sampling = true;
    session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    return;
  }
  session.post('HeapProfiler.getSamplingProfile', (err, result) => {
    if (err) throw err;
    const dir = path.resolve('bench/results/profiles');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `alloc-${process.pid}.heapprofile`);
    writeFileSync(`${file}.tmp`, JSON.stringify(result.profile));
    renameSync(`${file}.tmp`, file);
    session.post('HeapProfiler.stopSampling');
    sampling = false;
  });
});

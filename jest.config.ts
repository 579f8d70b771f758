import type { Config } from 'jest';

/**
 * Tests run as native ES modules (the server is ESM, and PGlite loads only as ESM), transformed
 * by swc. Every suite talks to the real Postgres and Redis; global setup prepares both.
 */
const config: Config = {
  // LEAK_CHECK=1: fail a file that leaves a timer, socket or child process behind (test/support/leak-check-environment.cjs).
  testEnvironment: process.env.LEAK_CHECK ? '<rootDir>/test/support/leak-check-environment.cjs' : 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } },
    ],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/server/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  // Failover tests need a Sentinel group or a Cluster: `npm run test:topologies` runs them
  // (test/topologies/run.ts lifts this).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/topologies/'],
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  setupFilesAfterEnv: ['<rootDir>/test/support/fail-on-error-logs.ts'],
  reporters: ['default', '<rootDir>/test/support/summary-reporter.cjs'],
  maxWorkers: 2,
  // Each test file loads the server's modules afresh, and a worker's heap grows by tens of MB a
  // file. A worker of ~1 GB took 450–630 ms to exit at the end of the run (Node tearing its heap
  // down; its 'exit' event came 1 ms after jest's end message, with no handle open), past jest's
  // 500 ms, which jest reports as "a worker process has failed to exit gracefully". So a worker
  // past this is replaced after its file (which also made the run faster), and the wait for the
  // last ones is longer: a worker that a leaked handle keeps alive never exits, and is still reported.
  workerIdleMemoryLimit: '400MB',
  workerGracefulExitTimeout: 2_000,
  testTimeout: 30_000,
};

export default config;

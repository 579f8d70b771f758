import { afterEach } from '@jest/globals';
import { takeUnexpectedErrors } from './logs.js';

afterEach(() => {
  const unexpected = takeUnexpectedErrors();
  if (unexpected.length > 0) {
    throw new Error(`Unexpected error log, or a secret in a log line, during the test:\n${unexpected.map((e) => JSON.stringify(e)).join('\n')}`);
  }
});

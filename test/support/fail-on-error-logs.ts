import { afterEach } from '@jest/globals';
import { takeUnexpectedErrors } from './logs.js';

afterEach(() => {
  const unexpected = takeUnexpectedErrors();
  if (unexpected.length > 0) {
    throw new Error(`Unexpected error log during the test:\n${unexpected.map((e) => JSON.stringify(e)).join('\n')}`);
  }
});

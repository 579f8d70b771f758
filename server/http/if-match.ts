import { AppError, type Precondition } from '../errors.js';

const MAX_VERSION = 2_147_483_647;
const STRONG = /^"([1-9][0-9]{0,9})"$/;

const malformed = (detail: string) =>
  new AppError('validation_failed', detail, { errors: [{ path: 'If-Match', message: 'must be the quoted version, e.g. "3"' }] });

/**
 * `If-Match` of a route that takes preconditions (API.md, Conventions), read in this one place.
 * Versions are strong entity tags: `"3"`, or a list `"3", "4"` (any of them matches). `*` asks only
 * that the target exist, which every such route requires anyway, so it sets no version. A weak
 * tag (`W/"3"`) could never match under If-Match's strong comparison, and a bare `3` is not an
 * entity tag: both are refused with a 400 that says what to send, rather than answered with a
 * 412 that no retry could ever get past. (decision 017)
 */
export function parseIfMatch(header: string | undefined): Precondition {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '*') return undefined;
  const versions = value.split(',').map((part) => {
    const tag = part.trim();
    if (tag.startsWith('W/')) throw malformed('If-Match takes the version as a strong tag: "3", not W/"3".');
    const match = STRONG.exec(tag);
    if (!match || Number(match[1]) > MAX_VERSION) {
      throw malformed('If-Match must be the quoted version of the schedule or shift you loaded, e.g. If-Match: "3".');
    }
    return Number(match[1]);
  });
  return versions;
}

import { http, type Query } from './http.js';
import type { Page } from './types.js';

/**
 * Follows `nextCursor` to the end. Used where a screen needs the whole set (a location's crew,
 * the locations of a picker); a few hundred rows at most, fetched 200 at a time.
 */
export async function fetchAllPages<T>(path: string, query: Query = {}, signal?: AbortSignal): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<T> = await http.get<Page<T>>(path, { query: { ...query, limit: 200, cursor }, signal });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

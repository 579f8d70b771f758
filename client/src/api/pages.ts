import { http, preload, type Query } from './http.js';
import type { Page } from './types.js';

const PAGE_SIZE = 200;
const pageQuery = (query: Query, cursor: string | null): Query => ({ ...query, limit: PAGE_SIZE, cursor });

/**
 * Follows `nextCursor` to the end. Used where a screen needs the whole set (a location's crew,
 * the locations of a picker); a few hundred rows at most, fetched 200 at a time.
 */
export async function fetchAllPages<T>(path: string, query: Query = {}, signal?: AbortSignal): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<T> = await http.get<Page<T>>(path, { query: pageQuery(query, cursor), signal });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

/** Starts the first page's request of a `fetchAllPages` a screen is about to make (http.ts, preload). */
export function preloadAllPages(path: string, query: Query = {}): void {
  preload(path, pageQuery(query, null));
}

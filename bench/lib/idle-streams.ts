import http from 'node:http';
import { sleep } from './proc.js';

/**
 * Event streams that stay open and are read but not looked at: what 1,000 browsers with the app
 * open cost a server while it serves other requests. Opened a hundred at a time, as browsers
 * arrive; an opening answered 503 (a session read that timed out on a busy server) is tried again
 * after 500 ms, as EventSource would.
 */
export async function openIdleStreams(baseUrl: string, cookies: readonly string[], count: number): Promise<{ close(): void }> {
  const open: http.ClientRequest[] = [];
  const openOne = (cookie: string, attempt = 1): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = http.get(`${baseUrl}/api/events`, { headers: { cookie, accept: 'text/event-stream' }, agent: false }, (res) => {
        res.resume();
        if (res.statusCode === 503 && attempt < 10) {
          void sleep(500).then(() => openOne(cookie, attempt + 1).then(resolve, reject));
          return;
        }
        if (res.statusCode !== 200) return reject(new Error(`GET /api/events answered ${res.statusCode}`));
        open.push(req);
        resolve();
      });
      req.on('error', reject);
    });
  for (let i = 0; i < count; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, count - i) }, (_, k) => openOne(cookies[(i + k) % cookies.length]!)));
  }
  return {
    close: () => {
      for (const req of open) req.destroy();
    },
  };
}

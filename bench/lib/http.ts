import http from 'node:http';

/** A small HTTP client for setup, checks, the stampede and the fault run (not for throughput). */

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  ms: number;
}

export function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: unknown; agent?: http.Agent; timeoutMs?: number } = {},
): Promise<HttpResult> {
  const started = performance.now();
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = { ...options.headers };
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers, agent: options.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.timeoutMs) req.setTimeout(options.timeoutMs, () => req.destroy(new Error(`timed out after ${options.timeoutMs} ms`)));
    req.end(payload);
  });
}

/** `name=value` of a Set-Cookie header. */
export function cookieOf(res: HttpResult, name: string): string {
  const set = res.headers['set-cookie'] ?? [];
  const cookie = set.find((c) => c.startsWith(`${name}=`))?.split(';')[0];
  if (!cookie) throw new Error(`no ${name} cookie in the answer (${res.status}: ${res.body.slice(0, 200)})`);
  return cookie;
}

/** Signs in through the app's API and returns the session cookie. */
export async function appLogin(base: string, email: string, password: string): Promise<string> {
  const res = await request(`${base}/api/auth/login`, { method: 'POST', body: { email, password } });
  if (res.status !== 200) throw new Error(`login of ${email} answered ${res.status}: ${res.body}`);
  return cookieOf(res, 'crewplots.sid');
}

/** The samples of a Prometheus text exposition, as `name{labels}` → value. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

export async function scrape(base: string, token: string): Promise<Map<string, number>> {
  const res = await request(`${base}/api/metrics`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`metrics answered ${res.status}`);
  return parseMetrics(res.body);
}

/** Sum of every sample of `name` whose labels contain all of `labels` (e.g. `namespace="user"`). */
export function metric(samples: Map<string, number>, name: string, ...labels: string[]): number {
  let sum = 0;
  for (const [key, value] of samples) {
    const brace = key.indexOf('{');
    const n = brace < 0 ? key : key.slice(0, brace);
    if (n !== name) continue;
    if (labels.every((l) => key.includes(l))) sum += value;
  }
  return sum;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function min(values: readonly number[]): number {
  return values.length ? Math.min(...values) : Number.NaN;
}

export function max(values: readonly number[]): number {
  return values.length ? Math.max(...values) : Number.NaN;
}

export const fmt = {
  rps: (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '–'),
  ratio: (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '–'),
  ms: (us: number) => (Number.isFinite(us) ? `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)} ms` : '–'),
  mb: (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`,
  pct: (v: number) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)} %`,
};

/** A markdown table from a header row and rows of cells. */
export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

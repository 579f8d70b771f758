import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { Plugin } from 'vite';

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** Text the browser downloads. Source maps are left out: production never serves them (decision 014). */
const COMPRESSIBLE = /\.(?:js|mjs|css|html|svg|json|txt|webmanifest)$/;
/** Below about a kilobyte a response fits its first packets anyway, and gzip's framing eats the gain. */
const THRESHOLD_BYTES = 1024;

/** `file.br` and `file.gz` beside `file`, each kept only when it is smaller than the original. */
async function compressFile(file: string): Promise<void> {
  const original = await readFile(file);
  if (original.length < THRESHOLD_BYTES) return;
  const [br, gz] = await Promise.all([
    // Built once, served for a year: the slowest, smallest settings are worth it.
    brotli(original, {
      params: {
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: original.length,
      },
    }),
    gzipAsync(original, { level: constants.Z_BEST_COMPRESSION }),
  ]);
  await Promise.all([
    br.length < original.length ? writeFile(`${file}.br`, br) : undefined,
    gz.length < original.length ? writeFile(`${file}.gz`, gz) : undefined,
  ]);
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? filesUnder(full) : Promise.resolve([full]);
    }),
  );
  return nested.flat();
}

/** Compresses every compressible file under `dir` (the built app), for the server to pick by `Accept-Encoding`. */
export async function precompressDir(dir: string): Promise<void> {
  const files = (await filesUnder(dir)).filter((f) => COMPRESSIBLE.test(f));
  await Promise.all(files.map(compressFile));
}

/**
 * Writes brotli and gzip copies of the built app's text files at `vite build`, once everything,
 * the public folder included, is in the output folder. The server sends them as they are
 * (server/http/static-files.ts) instead of compressing each response again.
 */
export function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'crewplots:precompress',
    apply: 'build',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    async closeBundle(error?: Error) {
      if (error || !(await stat(outDir).catch(() => undefined))) return;
      await precompressDir(outDir);
    },
  };
}

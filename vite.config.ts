import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { precompress } from './build/precompress.js';

const root = fileURLToPath(new URL('./client', import.meta.url));
/** Where the dev server sends /api: the server on its default port unless API_URL says otherwise. */
const api = process.env.API_URL ?? 'http://127.0.0.1:5000';

/**
 * The browser app lives in client/ and builds into dist/client, beside the compiled server that
 * serves it. In development Vite serves the app and hands /api to the server (see `api` below),
 * so the session cookie stays same-origin in both setups.
 */
export default defineConfig({
  root,
  plugins: [react(), precompress()],
  build: {
    outDir: fileURLToPath(new URL('./dist/client', import.meta.url)),
    emptyOutDir: true,
    // Beside each script for development; the server refuses them in production (decision 014).
    sourcemap: true,
  },
  server: {
    port: 5173,
    proxy: { '/api': { target: api, changeOrigin: false } },
  },
  preview: {
    proxy: { '/api': { target: api, changeOrigin: false } },
  },
});

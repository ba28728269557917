import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The operator dashboard. Built into dist/web by `npm run build` (and so by
 * `npm start`); Joule serves the files itself under /dashboard/.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/dashboard/',
  logLevel: 'warn',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Served from the same origin as the API: no source maps to ship, no CDN.
    sourcemap: false,
  },
});

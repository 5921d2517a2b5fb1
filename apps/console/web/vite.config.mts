import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

/**
 * The console page, built by `npm run build` into dist/console, which the console server serves
 * at /console/. Everything it loads is in that folder: no CDN, nothing fetched at run time.
 */
export default defineConfig({
  root: here('.'),
  base: '/console/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: here('../../../dist/console'),
    emptyOutDir: true,
    sourcemap: true,
    // Styles in a file of their own: the page's Content-Security-Policy allows no inline style.
    cssCodeSplit: false,
  },
});

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The dashboard's build: src/web → dist/web, served by the gateway (src/transport/static-web.ts).
// Hashed file names under /assets/ let the gateway cache them forever; index.html is never cached.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../../dist/web', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    // No inline data: URLs; every asset is a file served by the gateway.
    assetsInlineLimit: 0,
    sourcemap: false,
    target: 'es2022',
  },
});

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `npm run build:web` (Vite, src/web/vite.config.ts) writes the dashboard. */
export const WEB_ROOT = fileURLToPath(new URL('../../dist/web/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** Files under /assets/ carry a content hash in their names: they never change, so cache them for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html names the current hashes: always revalidate it. */
const REVALIDATE = 'no-cache';
/** The page talks only to this gateway; nothing is loaded from, or sent to, another host. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'", "connect-src 'self'", "img-src 'self' data:", "style-src 'self'", "script-src 'self'",
  "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

/**
 * Serves the built dashboard: `GET /` (and `/index.html`) and `/assets/*`. Answers false for any
 * other path so the caller passes the request on. Paths are resolved inside WEB_ROOT only.
 */
export async function serveWeb(req: IncomingMessage, res: ServerResponse, root = WEB_ROOT): Promise<boolean> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const path = decodeURIComponentSafe(new URL(req.url ?? '/', 'http://gateway').pathname);
  if (path === null) return false;
  const isPage = path === '/' || path === '/index.html';
  if (!isPage && !path.startsWith('/assets/')) return false;

  const file = normalize(join(root, isPage ? 'index.html' : path));
  if (!file.startsWith(normalize(root + sep))) return false;
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) {
    if (!isPage) return false;
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end('The dashboard is not built yet: run `npm run build:web` (npm install does it too).\n');
    return true;
  }
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': info.size,
    'cache-control': isPage ? REVALIDATE : IMMUTABLE,
    'x-content-type-options': 'nosniff',
    ...(isPage ? { 'content-security-policy': CONTENT_SECURITY_POLICY, 'referrer-policy': 'no-referrer' } : {}),
  });
  if (req.method === 'HEAD') {
    res.end();
    return true;
  }
  await new Promise<void>((resolve) => {
    createReadStream(file).on('error', () => res.destroy()).on('close', resolve).pipe(res);
  });
  return true;
}

function decodeURIComponentSafe(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}

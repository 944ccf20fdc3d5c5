import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

// Needs the built dashboard: `npm test` runs `npm run build:web` first.
let app: TestApp;
let origin: string;

beforeAll(async () => {
  app = await startTestApp({ RUN_JOBS: 'false' });
  origin = new URL(app.url).origin;
});
afterAll(() => app?.stop());

describe('the dashboard\'s files', () => {
  it('serves the page at / with its hashed assets, each with its type and caching', async () => {
    const page = await fetch(`${origin}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    for (const asset of assets) {
      const response = await fetch(`${origin}${asset}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(response.headers.get('content-type')).toBe(asset.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8');
      await response.arrayBuffer();
    }
  });

  it('serves nothing outside the build, and leaves other paths to the gateway', async () => {
    for (const path of ['/assets/../../package.json', '/assets/%2e%2e/%2e%2e/package.json', '/assets/missing.js']) {
      const response = await fetch(`${origin}${path}`);
      expect(response.status).toBe(404);
      expect(await response.text()).not.toContain('payment-run-gateway');
    }
    expect((await fetch(`${origin}/health`)).status).toBe(200);
  });

  it('serves GraphiQL with everything inline: nothing from another host', async () => {
    const response = await fetch(`${origin}/graphql`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('YogaGraphiQL');
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)="https?:/);
  });
});

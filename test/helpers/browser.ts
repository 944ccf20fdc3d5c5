import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import pg from 'pg';
import { chromium, type Browser, type Page } from 'playwright-core';
import { inject } from 'vitest';

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it): playwright's downloads are not reachable here. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A port nobody listens on now, so a gateway can be stopped and started again at the same address. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A database of its own: the browser tests run the sandbox autopilot, which acts on every buyer's
 * runs, and must not play the bank for other test files' runs in the shared database.
 */
export async function isolatedDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const server = new URL(inject('databaseUrl'));
  server.pathname = '/postgres';
  const name = `gateway_test_browser_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server.href });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(server.href);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/**
 * Records, from inside the page, every status any `data-run-id` / `data-payable-id` /
 * `data-payable-group-id` element shows,
 * in order (insertions and attribute changes), and marks the document so a reload would be noticed.
 */
export async function recordStatuses(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const seen: Record<string, string[]> = {};
    (window as unknown as { __statuses: typeof seen; __loadedOnce: boolean }).__statuses = seen;
    const note = (el: Element) => {
      const id = el.getAttribute('data-run-id') ?? el.getAttribute('data-payable-id') ?? el.getAttribute('data-payable-group-id');
      const status = el.getAttribute('data-status');
      if (!id || !status) return;
      const list = (seen[id] ??= []);
      if (list.at(-1) !== status) list.push(status);
    };
    const scan = (node: Node) => {
      if (!(node instanceof Element)) return;
      note(node);
      node.querySelectorAll('[data-run-id],[data-payable-id],[data-payable-group-id]').forEach(note);
    };
    new MutationObserver((mutations) => {
      for (const m of mutations) {
        if (m.type === 'attributes') note(m.target as Element);
        else m.addedNodes.forEach(scan);
      }
    }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
  });
}

export const statusesSeen = (page: Page, id: string): Promise<string[]> =>
  page.evaluate((key) => (window as unknown as { __statuses: Record<string, string[]> }).__statuses[key] ?? [], id);

import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settingsRead } from '../../scripts/deploy-check.ts';
import { ErrorCode } from '../../src/domain/shared/errors.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { connectWs, type WsTestClient } from '../helpers/ws-client.ts';

/**
 * The documentation's GraphQL examples, executed in order against a sandbox gateway, so the guides
 * cannot drift from the schema or the rules. Each ```graphql block may be preceded by an HTML
 * comment `<!-- doc-test: as=NAME; save=NAME:path; until=path=VALUE; expect=CODE; subscribe=N; skip -->`
 * and followed by a ```json block of variables, in which `<NAME>` stands for a value saved earlier.
 * `as=operator` sends the sandbox operator key, `as=NAME` a saved token as a Bearer token.
 */
const DOCS = ['docs/api-guide.md', 'docs/realtime.md', 'docs/errors.md', 'docs/sca.md'];
const SANDBOX_OPERATOR_KEY = 'sandbox-operator-key';

interface Example {
  file: string;
  line: number;
  query: string;
  variables: string | null;
  options: Map<string, string>;
}

export function extractExamples(file: string, text: string): Example[] {
  const examples: Example[] = [];
  const pattern = /(?:<!--\s*doc-test:([^>]*)-->\s*\n)?```graphql\n([\s\S]*?)```(?:\s*\n```json\n([\s\S]*?)```)?/g;
  for (const match of text.matchAll(pattern)) {
    const options = new Map<string, string>();
    for (const part of (match[1] ?? '').split(';')) {
      const trimmed = part.trim();
      if (!trimmed) continue;
      const eq = trimmed.indexOf('=');
      options.set(eq < 0 ? trimmed : trimmed.slice(0, eq).trim(), eq < 0 ? '' : trimmed.slice(eq + 1).trim());
    }
    examples.push({ file, line: text.slice(0, match.index).split('\n').length, query: match[2]!, variables: match[3] ?? null, options });
  }
  return examples;
}

const at = (value: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((current, key) => (current as Record<string, unknown> | undefined)?.[key], value);

let app: TestApp;
const saved = new Map<string, string>();
const sockets: WsTestClient[] = [];

beforeAll(async () => {
  app = await startTestApp({ API_KEY: SANDBOX_OPERATOR_KEY, SANDBOX: 'true' });
});
afterAll(async () => {
  await Promise.all(sockets.map((socket) => socket.dispose()));
  await app?.stop();
});

function substitute(text: string): string {
  return text.replace(/<([A-Z][A-Z0-9_]*)>/g, (whole, name: string) => {
    const value = saved.get(name);
    if (value === undefined) throw new Error(`${whole} is used before an example saved it`);
    return value;
  });
}

async function runExample(example: Example): Promise<{ where: string; data: unknown; events?: Promise<unknown> }> {
  const where = `${example.file}:${example.line}`;
  const as = example.options.get('as');
  const headers: Record<string, string> = {};
  if (as === 'operator') headers['x-api-key'] = SANDBOX_OPERATOR_KEY;
  else if (as) headers.authorization = `Bearer ${substitute(`<${as}>`)}`;
  const variables = example.variables ? (JSON.parse(substitute(example.variables)) as Record<string, unknown>) : {};

  const subscribe = example.options.get('subscribe');
  if (subscribe !== undefined) {
    // Started now, awaited after the next example (which makes the awaited events happen).
    const socket = connectWs(app.url, headers.authorization?.slice('Bearer '.length));
    sockets.push(socket);
    const subscription = socket.subscribeText<Record<string, unknown>>(example.query, variables);
    await socket.connected();
    return {
      where,
      data: undefined,
      events: subscription.take(Number(subscribe)).then((events) => {
        subscription.dispose();
        return events.at(-1);
      }),
    };
  }

  const until = example.options.get('until');
  for (let attempt = 0; ; attempt++) {
    const response = await app.client().with(headers).request<Record<string, unknown>, Record<string, unknown>>(example.query, variables);
    const expected = example.options.get('expect');
    if (expected) {
      expect(response.errors?.map((error) => error.extensions?.code), where).toContain(expected);
      return { data: response.data, where };
    }
    expect(response.errors, `${where}: ${JSON.stringify(response.errors)}`).toBeUndefined();
    if (!until) return { data: response.data, where };
    const eq = until.lastIndexOf('=');
    if (String(at(response.data, until.slice(0, eq))) === until.slice(eq + 1)) return { data: response.data, where };
    if (attempt > 400) throw new Error(`${where}: ${until} never held; last answer ${JSON.stringify(response.data)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function save(example: Example, where: string, data: unknown) {
  for (const pair of (example.options.get('save') ?? '').split(',').filter(Boolean)) {
    const [name, path] = pair.split(':').map((part) => part.trim()) as [string, string];
    const value = at(data, path);
    if (value === undefined || value === null) throw new Error(`${where}: nothing at ${path} to save as ${name} in ${JSON.stringify(data)}`);
    saved.set(name, String(value));
  }
}

describe('documentation examples', () => {
  it('run in order against the sandbox, with their variables', async () => {
    let count = 0;
    for (const file of DOCS) {
      const examples = extractExamples(file, await readFile(file, 'utf8'));
      expect(examples.length, `${file} has GraphQL examples`).toBeGreaterThan(0);
      let pending: { example: Example; where: string; events: Promise<unknown> } | null = null;
      for (const example of examples) {
        if (example.options.has('skip')) continue;
        const result = await runExample(example);
        if (pending) {
          save(pending.example, pending.where, await pending.events);
          pending = null;
        }
        if (result.events) pending = { example, where: result.where, events: result.events };
        else save(example, result.where, result.data);
        count++;
      }
      if (pending) throw new Error(`${pending.where}: a subscription must be followed by the example that makes its events happen`);
    }
    expect(count).toBeGreaterThan(20);
  }, 180_000);

  it('docs/errors.md explains every error code the gateway can answer', async () => {
    const text = await readFile('docs/errors.md', 'utf8');
    const missing = Object.values(ErrorCode).filter((code) => !text.includes(`| \`${code}\` |`));
    expect(missing).toEqual([]);
  });

  it('docs/configuration.md describes every setting src/config.ts reads', async () => {
    const [text, config] = await Promise.all([readFile('docs/configuration.md', 'utf8'), readFile('src/config.ts', 'utf8')]);
    const missing = [...settingsRead(config)].filter((name) => !text.includes(`| \`${name}\` |`));
    expect(missing).toEqual([]);
  });
});

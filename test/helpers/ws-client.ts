import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { WebSocket } from 'ws';
import { graphql } from '../generated/index.ts';
import type { GraphQLTestClient } from './graphql-client.ts';

/**
 * An event-driven graphql-ws client for tests: every wait resolves on the event that satisfies it
 * and fails the test after a generous safety timeout with what was seen so far. No sleeps.
 */
export const DEFAULT_WAIT_MS = 20_000;

export const StatusChanged = graphql(`
  subscription StatusChanged($paymentRunId: ID, $entityTypes: [EntityType!], $after: String) {
    statusChanged(paymentRunId: $paymentRunId, entityTypes: $entityTypes, after: $after) {
      cursor entityType entityId paymentRunId fromStatus toStatus occurredAt
    }
  }
`);

export const StatusChangesPage = graphql(`
  query StatusChangesPage($paymentRunId: ID, $first: Int, $after: String) {
    statusChanges(paymentRunId: $paymentRunId, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { cursor entityType entityId paymentRunId fromStatus toStatus occurredAt } }
    }
  }
`);

export interface StatusChangeEvent {
  cursor: string;
  entityType: string;
  entityId: string;
  paymentRunId: string;
  fromStatus?: string | null;
  toStatus: string;
  occurredAt: string;
}

/** The whole log (optionally one run's, after a cursor) through the statusChanges query, every page. */
export async function readLog(client: GraphQLTestClient, options: { paymentRunId?: string; after?: string } = {}) {
  const all: StatusChangeEvent[] = [];
  let after = options.after ?? null;
  for (;;) {
    const { statusChanges } = await client.data(StatusChangesPage, { paymentRunId: options.paymentRunId, first: 100, after });
    all.push(...statusChanges.edges.map((edge) => edge.node));
    if (!statusChanges.pageInfo.hasNextPage) return all;
    after = statusChanges.pageInfo.endCursor!;
  }
}

/** Resolves when `ready()` holds, re-checked on every `changed()`; rejects after `ms` with `describe()`. */
class Waiters {
  private readonly waiting = new Set<() => void>();

  changed() {
    for (const check of [...this.waiting]) check();
  }

  /** `ready` may throw to fail the wait at once (e.g. the subscription failed). */
  until(ready: () => boolean, describe: () => string, ms = DEFAULT_WAIT_MS): Promise<void> {
    return new Promise((resolve, reject) => {
      const finish = (error?: unknown) => {
        this.waiting.delete(check);
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
      const check = () => {
        try {
          if (ready()) finish();
        } catch (error) {
          finish(error);
        }
      };
      const timer = setTimeout(() => finish(new Error(`timed out after ${ms} ms waiting for ${describe()}`)), ms);
      this.waiting.add(check);
      check();
    });
  }
}

export class TestSubscription<T> {
  readonly values: T[] = [];
  readonly errors: GraphQLFormattedError[] = [];
  completed = false;
  failure: unknown = null;
  private readonly waiters = new Waiters();

  constructor(readonly dispose: () => void) {}

  /** @internal */
  push(kind: 'value' | 'errors' | 'complete' | 'failure', payload?: unknown) {
    if (kind === 'value') this.values.push(payload as T);
    if (kind === 'errors') this.errors.push(...(payload as GraphQLFormattedError[]));
    if (kind === 'complete') this.completed = true;
    if (kind === 'failure') this.failure = payload;
    this.waiters.changed();
  }

  /** Waits until at least `n` values arrived; returns the first `n`. */
  async take(n: number, ms?: number): Promise<T[]> {
    await this.until(() => this.values.length >= n, `${n} events`, ms);
    return this.values.slice(0, n);
  }

  /** Waits until the predicate holds over the values received so far. */
  async until(predicate: (values: T[]) => boolean, label = 'a condition', ms?: number): Promise<void> {
    await this.waiters.until(
      () => {
        if (this.failure) throw new Error(`subscription failed: ${describeFailure(this.failure)}`);
        return predicate(this.values);
      },
      () => `${label} (got ${this.values.length} events, errors ${JSON.stringify(this.errors)}, completed ${this.completed})`,
      ms,
    );
  }

  /** Waits for the subscription to end (complete, error or socket failure). */
  async ended(ms?: number): Promise<void> {
    await this.waiters.until(() => this.completed || this.failure !== null || this.errors.length > 0, () => 'the end of the subscription', ms);
  }
}

export interface WsTestClient {
  readonly client: Client;
  subscribe<T, V>(document: TypedDocumentNode<T, V>, variables?: V): TestSubscription<T>;
  /** Any text as the operation (malformed documents included). */
  subscribeText<T = unknown>(query: string, variables?: Record<string, unknown>): TestSubscription<T>;
  /** Resolves with the close event of the socket (e.g. 4403 at connection_init). */
  closed(ms?: number): Promise<{ code: number; reason: string }>;
  /** Resolves once the server acknowledged connection_init. */
  connected(ms?: number): Promise<void>;
  dispose(): Promise<void>;
}

/** A graphql-ws client on `httpUrl` (…/graphql), authenticating like HTTP with a Bearer token. */
export function connectWs(httpUrl: string, token?: string): WsTestClient {
  const waiters = new Waiters();
  let close: { code: number; reason: string } | null = null;
  let acknowledged = false;
  const client = createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    lazy: false,
    retryAttempts: 0, // a test sees every close; resuming is its own business
    onNonLazyError: () => {}, // reported through `closed()` instead
    on: {
      connected: () => {
        acknowledged = true;
        waiters.changed();
      },
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        close = { code, reason: String(reason) };
        waiters.changed();
      },
    },
  });

  const subscribeText = <T>(query: string, variables: Record<string, unknown> = {}) => {
    let dispose = () => {};
    const subscription = new TestSubscription<T>(() => dispose());
    dispose = client.subscribe<T>(
      { query, variables },
      {
        next: (result) => {
          if (result.errors?.length) subscription.push('errors', result.errors);
          if (result.data) subscription.push('value', result.data);
        },
        error: (error) => {
          if (Array.isArray(error)) subscription.push('errors', error);
          else subscription.push('failure', error);
        },
        complete: () => subscription.push('complete'),
      },
    );
    return subscription;
  };

  return {
    client,
    subscribe: <T, V>(document: TypedDocumentNode<T, V>, variables?: V) =>
      subscribeText<T>(print(document), (variables ?? {}) as Record<string, unknown>),
    subscribeText,
    async closed(ms) {
      await waiters.until(() => close !== null, () => 'the socket to close', ms);
      return close!;
    },
    async connected(ms) {
      await waiters.until(() => acknowledged, () => 'connection_ack', ms);
    },
    async dispose() {
      await client.dispose();
    },
  };
}

function describeFailure(failure: unknown): string {
  if (failure instanceof Error) return failure.message;
  const { code, reason } = (failure ?? {}) as { code?: number; reason?: string };
  return code ? `socket closed ${code} ${reason ?? ''}` : JSON.stringify(failure);
}

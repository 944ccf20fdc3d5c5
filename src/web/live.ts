/**
 * Live status changes, done the way CONTRACT.md §5 allows: read the tail of the buyer's event log
 * (the snapshot's newest cursor), then subscribe with `after` that cursor. graphql-ws retries a
 * dropped socket by sending the same subscribe message again, so `after` is a getter read when the
 * message is sent: a retry resumes from the last cursor *processed*, never from the first one — no
 * gap, no repeat, and no reload to catch up. The connection state is published for the page to show.
 */
import { createClient, type Client } from 'graphql-ws';
import { request, session } from './api.ts';
import { graphql } from './generated/index.ts';
import type { ChangeFieldsFragment } from './generated/graphql.ts';

graphql(`
  fragment ChangeFields on StatusChange {
    cursor entityType entityId paymentRunId fromStatus toStatus occurredAt
  }
`);

const LogTail = graphql(`
  query LogTail($last: Int) {
    statusChanges(last: $last) { pageInfo { hasNextPage endCursor } edges { node { ...ChangeFields } } }
  }
`);

const LogPage = graphql(`
  query LogPage($first: Int, $after: String) {
    statusChanges(first: $first, after: $after) { pageInfo { hasNextPage endCursor } edges { node { ...ChangeFields } } }
  }
`);

const StatusChanged = graphql(`
  subscription StatusChanged($after: String) { statusChanged(after: $after) { ...ChangeFields } }
`);

export type Change = ChangeFieldsFragment;
export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'closed';

/** How many recent changes the feed keeps. */
export const FEED_SIZE = 200;
const MAX_RETRY_WAIT_MS = 4000;

export class LiveStream {
  /** The newest changes, oldest first (at most FEED_SIZE). */
  changes: Change[] = [];
  /** The cursor of the last change processed: where a resumed subscription starts. */
  lastCursor: string | null = null;
  state: ConnectionState = 'connecting';
  private readonly changeListeners = new Set<(change: Change) => void>();
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();
  private client: Client | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly onUnauthenticated: () => void) {}

  onChange(listener: (change: Change) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  onState(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Snapshot (the log's tail), then live from its newest cursor. Call the page's own snapshot after this. */
  async start(): Promise<void> {
    this.changes = await readTail(FEED_SIZE);
    this.lastCursor = this.changes.at(-1)?.cursor ?? null;
    this.subscribe();
  }

  stop(): void {
    this.unsubscribe?.();
    void this.client?.dispose();
    this.client = null;
    this.setState('closed');
  }

  private subscribe(): void {
    const stream = this;
    const url = new URL('/graphql', location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    this.client = createClient({
      url: url.href,
      connectionParams: () => ({ authorization: `Bearer ${session.token ?? ''}` }),
      keepAlive: 10_000,
      retryAttempts: Number.POSITIVE_INFINITY,
      retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** retries, MAX_RETRY_WAIT_MS))),
      // 4403: the token was refused at connection_init — signing in again is the only way on.
      shouldRetry: (event) => !(typeof event === 'object' && event !== null && (event as CloseEvent).code === 4403),
      on: {
        connecting: (isRetry) => this.setState(isRetry ? 'reconnecting' : 'connecting'),
        connected: () => this.setState('live'),
        closed: () => {
          if (this.client) this.setState('reconnecting');
        },
      },
    });
    this.unsubscribe = this.client.subscribe<{ statusChanged: Change }>(
      {
        query: StatusChanged.toString(),
        // Read each time graphql-ws sends the subscription, first time and every retry.
        variables: {
          get after() {
            return stream.lastCursor;
          },
        },
      },
      {
        next: (result) => {
          if (result.data) this.accept(result.data.statusChanged);
          else if (result.errors?.some((e) => e.extensions?.code === 'UNAUTHENTICATED')) this.onUnauthenticated();
        },
        error: (error) => {
          this.setState('closed');
          if ((error as CloseEvent)?.code === 4403 || (Array.isArray(error) && error.some((e) => e.extensions?.code === 'UNAUTHENTICATED'))) {
            this.onUnauthenticated();
          }
        },
        complete: () => this.setState('closed'),
      },
    );
  }

  private accept(change: Change): void {
    this.lastCursor = change.cursor;
    this.changes = [...this.changes.slice(-(FEED_SIZE - 1)), change];
    for (const listener of this.changeListeners) listener(change);
  }

  private setState(state: ConnectionState): void {
    if (state === this.state) return;
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
  }
}

/**
 * The newest `count` changes of the log. Uses `last` where the gateway honours it; otherwise (the
 * answer starts at the beginning and has more) pages forward to the end.
 */
async function readTail(count: number): Promise<Change[]> {
  const tail = (await request(LogTail, { last: count })).statusChanges;
  let changes = tail.edges.map((e) => e.node);
  if (!tail.pageInfo.hasNextPage) return changes.slice(-count);
  let after = tail.pageInfo.endCursor;
  for (;;) {
    const page = (await request(LogPage, { first: 500, after })).statusChanges;
    changes = [...changes, ...page.edges.map((e) => e.node)].slice(-count);
    if (!page.pageInfo.hasNextPage) return changes;
    after = page.pageInfo.endCursor;
  }
}

/** Runs `task` at most once per `ms`, trailing: bursts of changes cost one refetch. */
export function throttle(task: () => void, ms: number): (() => void) & { cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const run = () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      task();
    }, ms);
  };
  return Object.assign(run, { cancel: () => timer && clearTimeout(timer) });
}

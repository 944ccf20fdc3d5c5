import { useState } from 'preact/hooks';
import { formatMoney, humanStatus, request } from './api.ts';
import { graphql } from './generated/index.ts';
import type { PaymentRunStatus, RunsPageQuery } from './generated/graphql.ts';
import type { LiveStream } from './live.ts';
import { useLiveSnapshot } from './live-snapshot.ts';
import { RUNS_PAGE_SIZE } from './page-sizes.ts';
import { ProgressBar } from './progress.tsx';

const RunsPage = graphql(`
  query RunsPage($first: Int, $after: String, $filter: PaymentRunFilter) {
    paymentRuns(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node {
        id paymentRunRef tag description status createdAt payableCount
        totalAmount { currency amount }
        payableCountsByStatus { status count }
      } }
    }
  }
`);

type Run = RunsPageQuery['paymentRuns']['edges'][number]['node'];

export const RUN_STATUSES: PaymentRunStatus[] = [
  'QUEUED', 'INVALID', 'PENDING_CONFIRMATION', 'PENDING_CHALLENGE', 'SCA_FAILED',
  'PENDING_FUNDING', 'EXECUTING', 'COMPLETED', 'COMPLETED_WITH_ERRORS', 'CANCELLED',
];

/**
 * The buyer's runs, newest first, a page at a time. Statuses change in place as status changes
 * arrive; payable counts (the progress bars) and new runs are re-read — one query, throttled — because
 * a count cannot be moved by a change without knowing whether the snapshot already held it.
 */
export function RunsList({ live, onOpen }: { live: LiveStream; onOpen: (id: string) => void }) {
  const [status, setStatus] = useState<PaymentRunStatus | ''>('');
  const [pages, setPages] = useState<(string | null)[]>([null]);
  const after = pages.at(-1) ?? null;
  const { state: data, error } = useLiveSnapshot({
    live,
    deps: [status, after],
    read: () => request(RunsPage, { first: RUNS_PAGE_SIZE, after, filter: status ? { status: [status] } : null }).then((r) => r.paymentRuns),
    apply: (current, change) => change.entityType !== 'PAYMENT_RUN' ? current : {
      ...current,
      edges: current.edges.map((edge) =>
        edge.node.id === change.entityId ? { ...edge, node: { ...edge.node, status: change.toStatus as PaymentRunStatus } } : edge),
    },
    // New runs appear, progress bars move, and under a status filter runs come and go, by re-reading the page.
    rereadOn: (change) => change.entityType === 'PAYABLE' || (change.entityType === 'PAYMENT_RUN' && (change.fromStatus === null || status !== '')),
    throttleMs: 1000,
  });

  return (
    <section class="runs" aria-labelledby="runs-title">
      <header class="section-head">
        <h2 id="runs-title">Payment runs {data && <small>({data.totalCount})</small>}</h2>
        <label>Status
          <select value={status} onChange={(e) => {
            setStatus((e.currentTarget as HTMLSelectElement).value as PaymentRunStatus | '');
            setPages([null]);
          }}>
            <option value="">All statuses</option>
            {RUN_STATUSES.map((s) => <option value={s}>{humanStatus(s)}</option>)}
          </select>
        </label>
      </header>
      {error && <p role="alert" class="error">{error.message}</p>}
      {data && data.edges.length === 0 && <p>No payment runs{status ? ` ${humanStatus(status)}` : ''} yet.</p>}
      <ul class="run-list">
        {data?.edges.map(({ node }) => <RunRow key={node.id} run={node} onOpen={onOpen} />)}
      </ul>
      <nav class="pager" aria-label="Pages of runs">
        <button type="button" disabled={pages.length < 2} onClick={() => setPages(pages.slice(0, -1))}>Newer</button>
        <span>Page {pages.length}</span>
        <button type="button" disabled={!data?.pageInfo.hasNextPage}
          onClick={() => data?.pageInfo.endCursor && setPages([...pages, data.pageInfo.endCursor])}>Older</button>
      </nav>
    </section>
  );
}

function RunRow({ run, onOpen }: { run: Run; onOpen: (id: string) => void }) {
  const name = run.paymentRunRef ?? run.description ?? run.tag ?? `Run of ${new Date(run.createdAt).toLocaleString('en-GB')}`;
  return (
    <li class="run" data-run-id={run.id} data-status={run.status}>
      <a href={`#/runs/${encodeURIComponent(run.id)}`} onClick={(e) => {
        e.preventDefault();
        onOpen(run.id);
      }}>{name}</a>
      <span class={`status status-${run.status.toLowerCase()}`}>{humanStatus(run.status)}</span>
      <span class="amount">{formatMoney(run.totalAmount)}</span>
      <span class="count">{run.payableCount} payable{run.payableCount === 1 ? '' : 's'}</span>
      <ProgressBar counts={run.payableCountsByStatus} />
    </li>
  );
}

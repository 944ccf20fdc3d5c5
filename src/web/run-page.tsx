import { useState } from 'preact/hooks';
import { ApiError, formatMoney, humanStatus, request } from './api.ts';
import { graphql } from './generated/index.ts';
import type { RunDetailQuery } from './generated/graphql.ts';
import type { Change, LiveStream } from './live.ts';
import { useLiveSnapshot } from './live-snapshot.ts';
import { ProgressBar } from './progress.tsx';
import { RunActions } from './run-actions.tsx';

const RunDetail = graphql(`
  query RunDetail($id: ID!, $first: Int, $after: String) {
    paymentRun(id: $id) {
      id paymentRunRef tag description status statusReason currency payableCount createdAt
      totalAmount { currency amount }
      createdBy { email }
      challenge { expiresAt attemptsRemaining }
      viewerActions
      payableCountsByStatus { status count }
      fundingGroups {
        id reference status fundingDate totalAmount { currency amount }
        linkedAccount { friendlyName institution { displayName } }
        batches { id status payableCount totalAmount { currency amount }
          authorisations { id status failureReason createdAt } }
      }
      payables(first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { node {
          id status statusReason reference externalRef amount { currency amount }
          supplier { name }
          validationOutcomes { category match reasonCode accountName }
        } }
      }
    }
    linkedAccounts { id friendlyName currency status institution { displayName } }
  }
`);

export type RunDetail = NonNullable<RunDetailQuery['paymentRun']>;
type LinkedAccounts = RunDetailQuery['linkedAccounts'];
const PAGE_SIZE = 50;

/** Replace the status of whichever entity a change names, wherever it sits in the run. */
function applyChange(run: RunDetail, change: Change): RunDetail {
  const to = change.toStatus as never;
  switch (change.entityType) {
    case 'PAYMENT_RUN':
      return change.entityId === run.id ? { ...run, status: to } : run;
    case 'PAYABLE':
      return { ...run, payables: { ...run.payables, edges: run.payables.edges.map((e) => e.node.id === change.entityId ? { ...e, node: { ...e.node, status: to } } : e) } };
    case 'FUNDING_GROUP':
      return { ...run, fundingGroups: run.fundingGroups.map((g) => g.id === change.entityId ? { ...g, status: to } : g) };
    case 'BATCH':
      return { ...run, fundingGroups: run.fundingGroups.map((g) => ({ ...g, batches: g.batches.map((b) => b.id === change.entityId ? { ...b, status: to } : b) })) };
    case 'AUTHORISATION':
      return { ...run, fundingGroups: run.fundingGroups.map((g) => ({ ...g, batches: g.batches.map((b) => ({
        ...b, authorisations: b.authorisations.map((a) => a.id === change.entityId ? { ...a, status: to } : a),
      })) })) };
    default:
      return run;
  }
}

/**
 * One run: its funding groups, batches, authorisations and a page of payables. Each status changes
 * in place as changes arrive; what a change cannot carry (a new attempt, counts, the actions now
 * offered) is re-read, throttled, with the same one query.
 */
export function RunPage({ id, live, onBack }: { id: string; live: LiveStream; onBack: () => void }) {
  const [pages, setPages] = useState<(string | null)[]>([null]);
  const after = pages.at(-1) ?? null;
  const { state, error: failure, reload } = useLiveSnapshot({
    live,
    deps: [id, after],
    read: () => request(RunDetail, { id, first: PAGE_SIZE, after }),
    apply: (current, change) => change.paymentRunId !== id || !current.paymentRun ? current
      : { ...current, paymentRun: applyChange(current.paymentRun, change) },
    // New attempts, counts and the actions now offered come from re-reading the run.
    rereadOn: (change) => change.paymentRunId === id,
  });
  const run = state?.paymentRun ?? null;
  const accounts: LinkedAccounts = state?.linkedAccounts ?? [];
  const error = failure && (failure instanceof ApiError && failure.code === 'NOT_FOUND' ? 'This payment run does not exist.' : failure.message);

  if (error) return <section><p role="alert" class="error">{error}</p><button type="button" onClick={onBack}>Back to runs</button></section>;
  if (!run) return <section aria-busy="true"><p>Loading…</p></section>;

  return (
    <section class="run-page" data-run-id={run.id} data-status={run.status} aria-labelledby="run-title">
      <p><a href="#/" onClick={(e) => { e.preventDefault(); onBack(); }}>← All runs</a></p>
      <header class="section-head">
        <h2 id="run-title">{run.paymentRunRef ?? run.description ?? 'Payment run'}</h2>
        <span class={`status status-${run.status.toLowerCase()}`}>{humanStatus(run.status)}</span>
      </header>
      <dl class="facts">
        <dt>Total</dt><dd>{formatMoney(run.totalAmount)}</dd>
        <dt>Payables</dt><dd>{run.payableCount}</dd>
        <dt>Created</dt><dd>{new Date(run.createdAt).toLocaleString('en-GB')} by {run.createdBy.email}</dd>
        {run.tag && <><dt>Tag</dt><dd>{run.tag}</dd></>}
        {run.statusReason && <><dt>Reason</dt><dd>{run.statusReason}</dd></>}
      </dl>
      <ProgressBar counts={run.payableCountsByStatus} />
      <RunActions run={run} accounts={accounts} onDone={reload} />
      <FundingGroups run={run} />
      <Payables run={run} pages={pages} setPages={setPages} />
    </section>
  );
}

function FundingGroups({ run }: { run: RunDetail }) {
  if (run.fundingGroups.length === 0) return null;
  return (
    <section aria-labelledby="groups-title">
      <h3 id="groups-title">Funding groups</h3>
      {run.fundingGroups.map((group) => (
        <article class="group" data-funding-group-id={group.id} data-status={group.status} aria-label={`Funding group ${group.reference}`}>
          <h4>{group.reference} <span class="status">{humanStatus(group.status)}</span></h4>
          <p>{formatMoney(group.totalAmount)} from {group.linkedAccount.friendlyName ?? group.linkedAccount.institution.displayName}
            {group.fundingDate && <> · funded {new Date(group.fundingDate).toLocaleString('en-GB')}</>}</p>
          <table>
            <caption class="visually-hidden">Batches of {group.reference}</caption>
            <thead><tr><th scope="col">Batch</th><th scope="col">Status</th><th scope="col">Payables</th><th scope="col">Amount</th><th scope="col">Authorisations</th></tr></thead>
            <tbody>
              {group.batches.map((batch, i) => (
                <tr data-batch-id={batch.id} data-status={batch.status}>
                  <td>{i + 1}</td>
                  <td>{humanStatus(batch.status)}</td>
                  <td>{batch.payableCount}</td>
                  <td>{formatMoney(batch.totalAmount)}</td>
                  <td>
                    <ul class="attempts">
                      {batch.authorisations.map((a) => (
                        <li data-authorisation-id={a.id} data-status={a.status}>{humanStatus(a.status)}{a.failureReason && ` — ${a.failureReason}`}</li>
                      ))}
                    </ul>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </article>
      ))}
    </section>
  );
}

const copLabel = (o: RunDetail['payables']['edges'][number]['node']['validationOutcomes'][number]) =>
  o.match === 'CLOSE_MATCH' ? `Close match${o.accountName ? `: account is “${o.accountName}”` : ''}` :
  o.match === 'NO_MATCH' ? `No match${o.reasonCode ? ` (${o.reasonCode})` : ''}` : null;

function Payables({ run, pages, setPages }: { run: RunDetail; pages: (string | null)[]; setPages: (p: (string | null)[]) => void }) {
  const { payables } = run;
  return (
    <section aria-labelledby="payables-title">
      <h3 id="payables-title">Payables <small>({payables.totalCount})</small></h3>
      <table class="payables">
        <thead><tr><th scope="col">Supplier</th><th scope="col">Reference</th><th scope="col">Amount</th><th scope="col">Status</th><th scope="col">Payee check</th></tr></thead>
        <tbody>
          {payables.edges.map(({ node }) => {
            const warnings = node.validationOutcomes.map(copLabel).filter(Boolean);
            return (
              <tr data-payable-id={node.id} data-status={node.status}>
                <td>{node.supplier.name}</td>
                <td>{node.reference}</td>
                <td class="amount">{formatMoney(node.amount)}</td>
                <td><span class={`status status-${node.status.toLowerCase()}`}>{humanStatus(node.status)}</span></td>
                <td>{warnings.length > 0 ? <span class="cop-warning" role="note">{warnings.join('; ')}</span> : node.validationOutcomes.length ? 'Match' : '—'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <nav class="pager" aria-label="Pages of payables">
        <button type="button" disabled={pages.length < 2} onClick={() => setPages(pages.slice(0, -1))}>Previous</button>
        <span>Page {pages.length}</span>
        <button type="button" disabled={!payables.pageInfo.hasNextPage}
          onClick={() => payables.pageInfo.endCursor && setPages([...pages, payables.pageInfo.endCursor])}>Next</button>
      </nav>
    </section>
  );
}

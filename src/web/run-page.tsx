import { useState } from 'preact/hooks';
import { ApiError, formatMoney, humanStatus, request } from './api.ts';
import { graphql } from './generated/index.ts';
import type { RunDetailQuery } from './generated/graphql.ts';
import type { LiveStream } from './live.ts';
import { useLiveSnapshot } from './live-snapshot.ts';
import { PAYABLES_PAGE_SIZE, TRANSFERS_PAGE_SIZE } from './page-sizes.ts';
import { Pager } from './pager.tsx';
import { ProgressBar } from './progress.tsx';
import { RunActions } from './run-actions.tsx';
import { applyChange } from './run-changes.ts';
import { Transfers } from './transfers.tsx';

const RunDetail = graphql(`
  query RunDetail($id: ID!, $first: Int, $after: String, $transfersFirst: Int, $transfersAfter: String) {
    paymentRun(id: $id) {
      id paymentRunRef tag description status statusReason currency payableCount createdAt bundleBySupplier
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
      payableGroups(first: $transfersFirst, after: $transfersAfter) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { node { id reference status payableCount totalAmount { currency amount } supplier { name } } }
      }
      payables(first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { node {
          id status statusReason reference externalRef amount { currency amount }
          supplier { name }
          payableGroup { id reference }
          validationOutcomes { category match reasonCode accountName }
        } }
      }
    }
    linkedAccounts { id friendlyName currency status institution { displayName } }
  }
`);

export type RunDetail = NonNullable<RunDetailQuery['paymentRun']>;
type LinkedAccounts = RunDetailQuery['linkedAccounts'];
type Pages = (string | null)[];

/**
 * One run: its funding groups, batches, authorisations, a page of its transfers (bundled runs) and a
 * page of payables. Each status changes
 * in place as changes arrive; what a change cannot carry (a new attempt, counts, the actions now
 * offered) is re-read, throttled, with the same one query.
 */
export function RunPage({ id, live, onBack }: { id: string; live: LiveStream; onBack: () => void }) {
  const [pages, setPages] = useState<Pages>([null]);
  const [transferPages, setTransferPages] = useState<Pages>([null]);
  const after = pages.at(-1) ?? null;
  const transfersAfter = transferPages.at(-1) ?? null;
  const { state, error: failure, reload } = useLiveSnapshot({
    live,
    deps: [id, after, transfersAfter],
    read: () => request(RunDetail, { id, first: PAYABLES_PAGE_SIZE, after, transfersFirst: TRANSFERS_PAGE_SIZE, transfersAfter }),
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
        {run.bundleBySupplier && <><dt>Transfers</dt><dd>{run.payableGroups.totalCount > 0
          ? `${run.payableGroups.totalCount} for ${run.payableCount} payables, one per beneficiary`
          : 'one per beneficiary, formed at funding'}</dd></>}
        {run.tag && <><dt>Tag</dt><dd>{run.tag}</dd></>}
        {run.statusReason && <><dt>Reason</dt><dd>{run.statusReason}</dd></>}
      </dl>
      <ProgressBar counts={run.payableCountsByStatus} />
      <RunActions run={run} accounts={accounts} onDone={reload} />
      <FundingGroups run={run} />
      <Transfers run={run} pages={transferPages} setPages={setTransferPages} />
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

function Payables({ run, pages, setPages }: { run: RunDetail; pages: Pages; setPages: (p: Pages) => void }) {
  const { payables } = run;
  // Which transfer each payable goes out in: bundled runs, once funding formed the transfers.
  const bundled = run.payableGroups.totalCount > 0;
  return (
    <section aria-labelledby="payables-title">
      <h3 id="payables-title">Payables <small>({payables.totalCount})</small></h3>
      <table class="payables">
        <thead><tr><th scope="col">Supplier</th><th scope="col">Reference</th><th scope="col">Amount</th>{bundled && <th scope="col">Transfer</th>}<th scope="col">Status</th><th scope="col">Payee check</th></tr></thead>
        <tbody>
          {payables.edges.map(({ node }) => {
            const warnings = node.validationOutcomes.map(copLabel).filter(Boolean);
            return (
              <tr data-payable-id={node.id} data-status={node.status}>
                <td>{node.supplier.name}</td>
                <td>{node.reference}</td>
                <td class="amount">{formatMoney(node.amount)}</td>
                {bundled && <td class="transfer" data-payable-group-id={node.payableGroup?.id}>{node.payableGroup?.reference ?? '—'}</td>}
                <td><span class={`status status-${node.status.toLowerCase()}`}>{humanStatus(node.status)}</span></td>
                <td>{warnings.length > 0 ? <span class="cop-warning" role="note">{warnings.join('; ')}</span> : node.validationOutcomes.length ? 'Match' : '—'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <Pager label="Pages of payables" pages={pages} setPages={setPages} pageInfo={payables.pageInfo} />
    </section>
  );
}

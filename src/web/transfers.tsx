import { formatMoney, humanStatus } from './api.ts';
import { Pager } from './pager.tsx';
import type { RunDetail } from './run-page.tsx';

/**
 * A bundled run's payable groups: the bank transfers its payables go out in, one per beneficiary,
 * a page at a time (a 10,000-payable run can have thousands). Nothing before funding forms them,
 * and nothing at all for a run that does not bundle.
 */
export function Transfers({ run, pages, setPages }: { run: RunDetail; pages: (string | null)[]; setPages: (p: (string | null)[]) => void }) {
  const transfers = run.payableGroups;
  if (!run.bundleBySupplier || transfers.totalCount === 0) return null;
  return (
    <section aria-labelledby="transfers-title">
      <h3 id="transfers-title">Transfers <small>({transfers.totalCount})</small></h3>
      <p>One bank transfer per beneficiary: the supplier sees its reference on the statement.</p>
      <table class="transfers">
        <thead><tr><th scope="col">Reference</th><th scope="col">Beneficiary</th><th scope="col">Invoices</th><th scope="col">Amount</th><th scope="col">Status</th></tr></thead>
        <tbody>
          {transfers.edges.map(({ node }) => (
            <tr key={node.id} data-payable-group-id={node.id} data-status={node.status}>
              <td>{node.reference}</td>
              <td>{node.supplier.name}</td>
              <td class="count">{node.payableCount}</td>
              <td class="amount">{formatMoney(node.totalAmount)}</td>
              <td><span class={`status status-${node.status.toLowerCase()}`}>{humanStatus(node.status)}</span></td>
            </tr>
          ))}
        </tbody>
      </table>
      {(pages.length > 1 || transfers.pageInfo.hasNextPage) && <Pager label="Pages of transfers" pages={pages} setPages={setPages} pageInfo={transfers.pageInfo} />}
    </section>
  );
}

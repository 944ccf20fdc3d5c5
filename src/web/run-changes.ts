import type { Change } from './live.ts';
import type { RunDetail } from './run-page.tsx';

/** Replace the status of whichever entity a change names, wherever it sits in the run. */
export function applyChange(run: RunDetail, change: Change): RunDetail {
  const to = change.toStatus as never;
  switch (change.entityType) {
    case 'PAYMENT_RUN':
      return change.entityId === run.id ? { ...run, status: to } : run;
    case 'PAYABLE':
      return { ...run, payables: { ...run.payables, edges: run.payables.edges.map((e) => e.node.id === change.entityId ? { ...e, node: { ...e.node, status: to } } : e) } };
    case 'PAYABLE_GROUP':
      return { ...run, payableGroups: { ...run.payableGroups, edges: run.payableGroups.edges.map((e) => e.node.id === change.entityId ? { ...e, node: { ...e.node, status: to } } : e) } };
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

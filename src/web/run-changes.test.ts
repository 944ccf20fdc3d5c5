import { describe, expect, it } from 'vitest';
import type { Change } from './live.ts';
import { applyChange } from './run-changes.ts';
import type { RunDetail } from './run-page.tsx';

const money = { currency: 'GBP' as const, amount: 1000 };
const transfer = (id: string) => ({
  node: { id, reference: `REF ${id}`, status: 'OPEN' as const, payableCount: 2, totalAmount: money, supplier: { name: `Supplier ${id}` } },
});
const payable = (id: string) => ({
  node: {
    id, status: 'PENDING_FUNDING' as const, statusReason: null, reference: `INV ${id}`, externalRef: null, amount: money,
    supplier: { name: 'S' }, payableGroup: { id: 'g1', reference: 'REF g1' }, validationOutcomes: [],
  },
});
const run = {
  id: 'run', status: 'PENDING_FUNDING', bundleBySupplier: true, fundingGroups: [],
  payableGroups: { totalCount: 2, pageInfo: { hasNextPage: false, endCursor: null }, edges: [transfer('g1'), transfer('g2')] },
  payables: { totalCount: 1, pageInfo: { hasNextPage: false, endCursor: null }, edges: [payable('p1')] },
} as unknown as RunDetail;
const change = (entityType: string, entityId: string, toStatus: string) =>
  ({ cursor: 'c', entityType, entityId, paymentRunId: 'run', fromStatus: null, toStatus, occurredAt: '' }) as Change;

describe('a run page\'s changes in place', () => {
  it('moves the transfer a PAYABLE_GROUP change names, and nothing else', () => {
    const next = applyChange(run, change('PAYABLE_GROUP', 'g2', 'USER_INITIATION_IN_PROGRESS'));
    expect(next.payableGroups.edges.map((e) => [e.node.id, e.node.status])).toEqual([['g1', 'OPEN'], ['g2', 'USER_INITIATION_IN_PROGRESS']]);
    expect(next.payables).toBe(run.payables);
    expect(next.status).toBe('PENDING_FUNDING');
  });

  it('leaves the transfers alone for a payable\'s change, and keeps a payable\'s transfer', () => {
    const next = applyChange(run, change('PAYABLE', 'p1', 'AWAITING_FUNDS'));
    expect(next.payableGroups).toBe(run.payableGroups);
    expect(next.payables.edges[0]!.node).toMatchObject({ status: 'AWAITING_FUNDS', payableGroup: { id: 'g1', reference: 'REF g1' } });
  });

  it('ignores a change for a transfer not on this page', () => {
    const next = applyChange(run, change('PAYABLE_GROUP', 'elsewhere', 'PROCESSED'));
    expect(next.payableGroups.edges.map((e) => e.node.status)).toEqual(['OPEN', 'OPEN']);
  });
});

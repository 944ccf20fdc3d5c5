/**
 * Hostile probes of payable groups (bundleBySupplier) that fail on the current code (real bugs; see
 * the comment on each test).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../generated/index.ts';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import { fundedRun, startIsolatedApp } from '../helpers/funding.ts';
import { CreateRun } from '../helpers/payment-runs.ts';
import type { TestApp } from '../helpers/test-app.ts';

const HostileTransfers = graphql(`
  query HostileTransfers($id: ID!) {
    paymentRun(id: $id) { fundingGroups { batches { payableGroups { id reference payableCount } } } }
  }
`);

let app: TestApp;
let tenant: Tenant;
beforeAll(async () => {
  app = await startIsolatedApp();
  tenant = await createTenant(app);
});
afterAll(() => app?.stop());

const to = (reference: string, i: number) => ({
  externalRef: `blank-${i}`, amount: { currency: 'GBP' as const, amount: 1000 + i }, reference,
  supplier: { name: 'Acme Ltd', type: 'BUSINESS' as const, bankCountry: 'GB', bankAccountDetails: { fasterPayments: { accountNumber: '70000011', sortCode: '400000' } } },
});

describe('hostile: payable group references', () => {
  // CONTRACT §4: a reference is 1–18 characters for Faster Payments; §13: a bundle's reference is
  // "a short reference that the remittance can be matched to". createPaymentRun accepts references
  // made only of spaces ("   ", " " — the charset allows the space), and bundling trims each member's
  // reference before joining, so the bundle's transfer goes to the bank with reference "" — an empty
  // payment reference the supplier cannot match to anything (and which Faster Payments refuses).
  // Expected, either: blank references are refused at creation (BAD_USER_INPUT, nothing stored), or
  // the transfer carries a non-blank reference of 1–18 characters. Actual: the group's reference is "".
  it('never sends a bundle out with an empty reference', async () => {
    const payables = [to('   ', 0), to(' ', 1)];
    const created = await tenant.creator.client.request(CreateRun, { input: { bundleBySupplier: true, payables } });
    if (created.errors) {
      expect(created.errors[0]!.extensions?.code).toBe('BAD_USER_INPUT');
      return;
    }
    const { runId } = await fundedRun(app, tenant, 'SANDBOX_BANK_GB', payables, { bundleBySupplier: true });
    const { paymentRun } = await tenant.controller.client.data(HostileTransfers, { id: runId });
    const groups = paymentRun!.fundingGroups.flatMap((g) => g.batches.flatMap((b) => b.payableGroups));
    expect(groups.map((g) => g.payableCount)).toEqual([2]);
    expect(groups[0]!.reference.trim()).not.toBe('');
    expect(groups[0]!.reference.length).toBeLessThanOrEqual(18);
  });
});

/**
 * Hostile probes of payable groups (bundleBySupplier), each once a real bug found from outside (see
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
  // "a short reference that the remittance can be matched to". createPaymentRun accepted references
  // made only of spaces (the charset allows the space), and bundling trims each member's reference
  // before joining, so the bundle went to the bank with reference "": nothing the supplier could
  // match. Blank references are now refused at creation, as blank supplier names already were.
  it('refuses references made only of spaces at creation, naming each', async () => {
    const created = await tenant.creator.client.request(CreateRun, { input: { bundleBySupplier: true, payables: [to('   ', 0), to(' ', 1)] } });
    expect(created.data?.createPaymentRun ?? null).toBeNull();
    expect(created.errors?.map((e) => [e.extensions?.code, e.extensions?.invalidFields])).toEqual([['BAD_USER_INPUT', [
      { fieldName: 'payables[0].reference', error: 'REQUIRED' },
      { fieldName: 'payables[1].reference', error: 'REQUIRED' },
    ]]]);
  });

  it('joins members\' references without their padding, within the scheme\'s 18 characters', async () => {
    const payables = [to(' INV 1', 0), to('INV 2  ', 1)];
    const { runId } = await fundedRun(app, tenant, 'SANDBOX_BANK_GB', payables, { bundleBySupplier: true });
    const { paymentRun } = await tenant.controller.client.data(HostileTransfers, { id: runId });
    const groups = paymentRun!.fundingGroups.flatMap((g) => g.batches.flatMap((b) => b.payableGroups));
    expect(groups.map((g) => [g.payableCount, g.reference])).toEqual([[2, 'INV 1 INV 2']]);
  });
});

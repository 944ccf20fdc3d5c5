import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import { createRun, gbpPayable } from '../helpers/payment-runs.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

/**
 * Payable pages read only the columns their selection needs (src/graphql/types/payable.ts): every
 * field must still answer what a whole-row read answers, whichever fields a page selects and
 * however they are spelt (aliases, fragments, two selections of one run in one request).
 */
const FIELDS = `id status statusReason externalRef paymentRef reference supplierChangedAt
  amount { amount currency }
  validationOutcomes { category match reasonCode accountName }
  supplier { name address bankName bankAddress bankCountry type }`;
// Compared with what was sent: node(id:) answers bankAccountDetails with an internal error (on main
// before this change too), so it cannot be the reference for that field.
const BANK = `supplier { bankAccountDetails { __typename ... on FasterPaymentsBankDetails { accountNumber sortCode secondaryReference } ... on SepaBankDetails { iban bankIdentifierCode } } }`;

let app: TestApp;
let tenant: Tenant;
beforeAll(async () => {
  app = await startTestApp();
  tenant = await createTenant(app);
});
afterAll(() => app?.stop());

describe('payable pages read per selection', () => {
  it('answers every field as a whole-row read does, for narrow, wide and fragment selections in one request', async () => {
    const run = await createRun(tenant.creator, [gbpPayable(0), gbpPayable(1), gbpPayable(2)]);
    await app.app.services.jobs.drain();
    const page = await tenant.creator.client.data<any, any>(`
      query ($id: ID!) {
        paymentRun(id: $id) {
          narrow: payables(first: 3) { edges { node { reference } } }
          wide: payables(first: 3) { edges { cursor node { ${FIELDS} paymentRun { id } } } }
          bank: payables(first: 3) { edges { node { ${BANK} } } }
          spread: payables(first: 2) { edges { node { ...PayableBits } } }
        }
      }
      fragment PayableBits on Payable { id supplier { name } amount { amount } }`, { id: run.id });
    const nodes = page.paymentRun.wide.edges.map((edge: any) => edge.node);
    expect(nodes).toHaveLength(3);
    for (const node of nodes) {
      // node(id:) loads the whole row through Prisma: the reference answer.
      const whole = await tenant.creator.client.data<any, any>(`query ($id: ID!) { node(id: $id) { ... on Payable { ${FIELDS} paymentRun { id } } } }`, { id: node.id });
      expect(node).toEqual(whole.node);
    }
    expect(nodes[0].validationOutcomes.length).toBeGreaterThan(0);
    expect(page.paymentRun.narrow.edges.map((edge: any) => edge.node.reference)).toEqual(nodes.map((node: any) => node.reference));
    expect(page.paymentRun.spread.edges.map((edge: any) => edge.node)).toEqual(
      nodes.slice(0, 2).map((node: any) => ({ id: node.id, supplier: { name: node.supplier.name }, amount: { amount: node.amount.amount } })));
    expect(new Set(page.paymentRun.wide.edges.map((edge: any) => edge.cursor)).size).toBe(3);
    expect(page.paymentRun.bank.edges.map((edge: any) => edge.node.supplier.bankAccountDetails)).toEqual([0, 1, 2].map(() => ({
      __typename: 'FasterPaymentsBankDetails', accountNumber: '12345678', sortCode: '400000', secondaryReference: null,
    })));
  });
});

// Payable-groups benchmark (not a test): `npx tsx bench/payable-groups.ts`, or through `npm run bench`.
// fundPaymentRun on a 10,000-payable run created with bundleBySupplier, 5 invoices to each of
// 2,000 suppliers: bundling, packing 2,000 transfers, inserting groups, batches and payable groups.
// Through GraphQL, and the domain command alone. Its own database, dropped at the end.
import type { App } from '../src/app.ts';
import { fundPaymentRun } from '../src/domain/funding/funding.commands.ts';
import { loadActor } from '../src/domain/user/user.queries.ts';
import { benchApp, benchBuyer, gql, ms, runWhenMain } from './support.ts';

export const title = 'payable groups';

const CREATE = `mutation($input: CreatePaymentRunInput!) { createPaymentRun(input: $input) { id } }`;
const CONFIRM = `mutation($id: ID!) { confirmPaymentRun(id: $id) { status } }`;
const VERIFY = `mutation($id: ID!) { verifyPaymentRunChallenge(id: $id, code: "123456") { status } }`;
const LINK = `mutation($code: String!) { linkAccount(input: { institutionCode: $code, accountIdentification: { fasterPayments: { accountNumber: "12345678", sortCode: "400000" } } }) { id } }`;
const FUND = `mutation($id: ID!, $accounts: [ID!]!) { fundPaymentRun(id: $id, linkedAccountIds: $accounts) { id batches { id } } }`;
const TRANSFERS = `query($id: ID!) { paymentRun(id: $id) { fundingGroups { batches { payableGroups { id } } } } }`;

const SUPPLIERS = 2_000;
const PAYABLES = 10_000;

/** Invoice i goes to supplier i mod 2,000 (its own account number), the name's case varying. */
const bundledPayables = () =>
  Array.from({ length: PAYABLES }, (_, i) => {
    const s = i % SUPPLIERS;
    return {
      amount: { currency: 'GBP', amount: 1000 + (i % 5000) },
      reference: `INV ${i}`,
      supplier: {
        name: i % 2 ? `Supplier ${s} Ltd` : `SUPPLIER ${s} LTD`,
        type: 'BUSINESS',
        bankAccountDetails: { fasterPayments: { accountNumber: String(60_000_000 + s), sortCode: '400000' } },
      },
    };
  });

async function pendingFunding(app: App, url: string, token: string, bundleBySupplier = true): Promise<string> {
  const { createPaymentRun } = await gql(url, CREATE, { input: { bundleBySupplier, payables: bundledPayables() } }, token);
  await app.services.jobs.drain();
  await gql(url, CONFIRM, { id: createPaymentRun.id }, token);
  await gql(url, VERIFY, { id: createPaymentRun.id }, token);
  return createPaymentRun.id;
}

const rawId = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1]!;

export async function run(): Promise<Record<string, string>> {
  const figures: Record<string, string> = {};
  const bench = await benchApp('payable_groups');
  const { app, url } = bench;
  try {
    const token = await benchBuyer(url);
    const account = (await gql(url, LINK, { code: 'SANDBOX_BANK_GB' }, token)).linkAccount.id;

    const runId = await pendingFunding(app, url, token);
    const started = process.hrtime.bigint();
    const { fundPaymentRun: groups } = await gql(url, FUND, { id: runId, accounts: [account] }, token);
    const took = ms(started);
    const { paymentRun } = await gql(url, TRANSFERS, { id: runId }, token);
    const transfers = paymentRun.fundingGroups.flatMap((g: any) => g.batches.flatMap((b: any) => b.payableGroups)).length;
    const batches = groups.reduce((n: number, g: { batches: unknown[] }) => n + g.batches.length, 0);
    figures['fundPaymentRun, 10,000 payables bundled into 2,000 suppliers at SANDBOX_BANK_GB (GraphQL round trip)'] =
      `${took.toFixed(0)} ms → ${groups.length} group, ${batches} batches, ${transfers} transfers`;

    const second = await pendingFunding(app, url, token);
    const { viewer } = await gql(url, `{ viewer { id buyer { id } } }`, {}, token);
    const actor = (await loadActor(app.services.database.prisma, rawId(viewer.id), rawId(viewer.buyer.id)))!;
    const domainStarted = process.hrtime.bigint();
    await fundPaymentRun(app.services.domain, actor, rawId(second), [rawId(account)]);
    figures['the same, domain command alone (bundling + packing + SQL, one transaction)'] = `${ms(domainStarted).toFixed(0)} ms`;

    // The same payables without bundleBySupplier, measured alike: what bundling adds.
    const plain = await pendingFunding(app, url, token, false);
    const plainStarted = process.hrtime.bigint();
    await fundPaymentRun(app.services.domain, actor, rawId(plain), [rawId(account)]);
    figures['the same payables without bundleBySupplier, domain command alone (10,000 transfers, 100 batches)'] = `${ms(plainStarted).toFixed(0)} ms`;
  } finally {
    await bench.close();
  }
  return figures;
}

await runWhenMain(import.meta.url, title, run);

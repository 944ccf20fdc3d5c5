// Funding benchmark (not a test): `npx tsx bench/funding.ts`, or through `npm run bench`.
// 1. fundPaymentRun on runs of 10,000 payables: through GraphQL, and the domain command alone.
// 2. A 1,000-payable run's whole lifecycle through GraphQL, phase by phase.
// Its own database (bench_funding_<pid>), dropped at the end.
import type { App } from '../src/app.ts';
import { fundPaymentRun } from '../src/domain/funding/funding.commands.ts';
import { loadActor } from '../src/domain/user/user.queries.ts';
import { benchApp, benchBuyer, gbpPayables, gql, ms, runWhenMain } from './support.ts';

export const title = 'funding';

const CREATE = `mutation($input: CreatePaymentRunInput!) { createPaymentRun(input: $input) { id } }`;
const CONFIRM = `mutation($id: ID!) { confirmPaymentRun(id: $id) { status } }`;
const VERIFY = `mutation($id: ID!) { verifyPaymentRunChallenge(id: $id, code: "123456") { status } }`;
const LINK = `mutation($code: String!) { linkAccount(input: { institutionCode: $code, accountIdentification: { fasterPayments: { accountNumber: "12345678", sortCode: "400000" } } }) { id } }`;
const FUND = `mutation($id: ID!, $accounts: [ID!]!) { fundPaymentRun(id: $id, linkedAccountIds: $accounts) { id reference batches { id } } }`;
const AUTHORISE = `mutation($id: ID!) { authoriseBatch(batchId: $id) { id } }`;
const APPROVE = `mutation($id: ID!) { simulateAuthorisationOutcome(id: $id, outcome: APPROVE) { status } }`;
const FUNDS = `mutation($id: ID!) { simulateFundsReceived(fundingGroupId: $id) { status } }`;
const COMPLETE = `mutation($id: ID!) { simulatePayableOutcome(id: $id, outcome: COMPLETE) { status } }`;
const PAYABLE_PAGE = `query($id: ID!, $after: String) { paymentRun(id: $id) { status payables(first: 500, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id } } } } }`;

const seconds = (millis: number) => `${(millis / 1000).toFixed(2)} s`;

/** Created through the API, validated by draining the jobs, confirmed and verified: PENDING_FUNDING. */
async function pendingFunding(app: App, url: string, token: string, n: number): Promise<string> {
  const { createPaymentRun } = await gql(url, CREATE, { input: { payables: gbpPayables(n) } }, token);
  await app.services.jobs.drain();
  await gql(url, CONFIRM, { id: createPaymentRun.id }, token);
  await gql(url, VERIFY, { id: createPaymentRun.id }, token);
  return createPaymentRun.id;
}

async function allPayableIds(url: string, token: string, runId: string): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  for (;;) {
    const { paymentRun }: any = await gql(url, PAYABLE_PAGE, { id: runId, after }, token);
    ids.push(...paymentRun.payables.edges.map((e: { node: { id: string } }) => e.node.id));
    if (!paymentRun.payables.pageInfo.hasNextPage) return ids;
    after = paymentRun.payables.pageInfo.endCursor;
  }
}

const rawId = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1]!;

export async function run(): Promise<Record<string, string>> {
  const figures: Record<string, string> = {};
  const bench = await benchApp('funding');
  const { app, url } = bench;
  try {
    const token = await benchBuyer(url);
    const sandboxAccount = (await gql(url, LINK, { code: 'SANDBOX_BANK_GB' }, token)).linkAccount.id;
    const limitedAccount = (await gql(url, LINK, { code: 'LIMITED_BANK_GB' }, token)).linkAccount.id;

    // 1. Funding 10,000 payables.
    for (const [label, account] of [['SANDBOX_BANK_GB', sandboxAccount], ['LIMITED_BANK_GB', limitedAccount]] as const) {
      const runId = await pendingFunding(app, url, token, 10_000);
      const started = process.hrtime.bigint();
      const { fundPaymentRun: groups } = await gql(url, FUND, { id: runId, accounts: [account] }, token);
      const batches = groups.reduce((n: number, g: { batches: unknown[] }) => n + g.batches.length, 0);
      figures[`fundPaymentRun, 10,000 payables at ${label} (GraphQL round trip)`] = `${ms(started).toFixed(0)} ms → ${groups.length} groups, ${batches} batches`;
    }
    const runId = await pendingFunding(app, url, token, 10_000);
    const { viewer } = await gql(url, `{ viewer { id buyer { id } } }`, {}, token);
    const actor = (await loadActor(app.services.database.prisma, rawId(viewer.id), rawId(viewer.buyer.id)))!;
    const started = process.hrtime.bigint();
    const ids = await fundPaymentRun(app.services.domain, actor, rawId(runId), [rawId(limitedAccount)]);
    figures['fundPaymentRun, 10,000 payables at LIMITED_BANK_GB (domain command: packing + SQL, one transaction)'] = `${ms(started).toFixed(0)} ms → ${ids.length} groups`;

    // 2. A 1,000-payable run from creation to every payable COMPLETED, through GraphQL.
    const phases: [string, number][] = [];
    const phase = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
      const t = process.hrtime.bigint();
      const result = await work();
      phases.push([name, ms(t)]);
      return result;
    };
    const total = process.hrtime.bigint();
    const { createPaymentRun } = await phase('create (1,000 payables)', () => gql(url, CREATE, { input: { payables: gbpPayables(1000) } }, token));
    const id = createPaymentRun.id;
    await phase('validate (jobs drained)', () => app.services.jobs.drain());
    await phase('confirm + verify challenge', async () => {
      await gql(url, CONFIRM, { id }, token);
      await gql(url, VERIFY, { id }, token);
    });
    const { fundPaymentRun: groups } = await phase('fund', () => gql(url, FUND, { id, accounts: [sandboxAccount] }, token));
    const batchIds: string[] = groups.flatMap((g: { batches: { id: string }[] }) => g.batches.map((b) => b.id));
    await phase(`authorise + approve ${batchIds.length} batches`, async () => {
      for (const batchId of batchIds) {
        const { authoriseBatch } = await gql(url, AUTHORISE, { id: batchId }, token);
        await gql(url, APPROVE, { id: authoriseBatch.id }, token);
      }
    });
    await phase(`funds received (${groups.length} group)`, async () => {
      for (const group of groups) await gql(url, FUNDS, { id: group.id }, token);
    });
    const payableIds = await allPayableIds(url, token, id);
    await phase(`complete ${payableIds.length} payables (one request each, sequential)`, async () => {
      for (const payableId of payableIds) await gql(url, COMPLETE, { id: payableId }, token);
    });
    const lifecycle = ms(total);
    const { paymentRun } = await gql(url, `query($id: ID!) { paymentRun(id: $id) { status } }`, { id }, token);
    if (paymentRun.status !== 'COMPLETED') throw new Error(`lifecycle ended ${paymentRun.status}`);
    figures['lifecycle of a 1,000-payable run through GraphQL (total)'] = seconds(lifecycle);
    for (const [name, millis] of phases) figures[`  ${name}`] = millis >= 1000 ? seconds(millis) : `${millis.toFixed(0)} ms`;
    const completing = phases.at(-1)![1];
    figures['  per simulatePayableOutcome (avg)'] = `${(completing / payableIds.length).toFixed(1)} ms`;
  } finally {
    await bench.close();
  }
  return figures;
}

await runWhenMain(import.meta.url, title, run);

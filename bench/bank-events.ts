// Bank-events benchmark (not a test): `npx tsx bench/bank-events.ts`, or through `npm run bench`.
// 1. 10,000 payable outcomes in ONE signed POST /bank/events, end to end (sign, send, verify, parse,
//    one transaction: one payables update, one status_changes insert, derived parents once → 200),
//    beside the one-payable-at-a-time path (simulatePayableOutcome) for scale.
// 2. A 10,000-payable run from creation to COMPLETED through the API and the events endpoint:
//    create → validated → confirm + SCA → fund → authoriseBatches (every batch in one call) → the
//    bank's events (approvals, funds, one event with every payable's outcome).
// Its own database (bench_bank_events_<pid>), dropped at the end.
import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { App } from '../src/app.ts';
import { benchApp, benchBuyer, gbpPayables, gql, ms, runWhenMain, waitForStatus } from './support.ts';

export const title = 'bank events';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const PAYABLES = Number(process.env.BANK_BENCH_PAYABLES ?? 10_000);
const ONE_BY_ONE = 300;

const CREATE = `mutation($input: CreatePaymentRunInput!) { createPaymentRun(input: $input) { id } }`;
const CONFIRM = `mutation($id: ID!) { confirmPaymentRun(id: $id) { status } }`;
const VERIFY = `mutation($id: ID!) { verifyPaymentRunChallenge(id: $id, code: "123456") { status } }`;
const LINK = `mutation { linkAccount(input: { institutionCode: "SANDBOX_BANK_GB", accountIdentification: { fasterPayments: { accountNumber: "12345678", sortCode: "400000" } } }) { id } }`;
const FUND = `mutation($id: ID!, $accounts: [ID!]!) { fundPaymentRun(id: $id, linkedAccountIds: $accounts) { id batches { id } } }`;
const AUTHORISE_ALL = `mutation($ids: [ID!]!) { authoriseBatches(batchIds: $ids) { id } }`;
const COMPLETE = `mutation($id: ID!) { simulatePayableOutcome(id: $id, outcome: COMPLETE) { status } }`;
const PAYABLE_PAGE = `query($id: ID!, $after: String) { paymentRun(id: $id) { payables(first: 500, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id } } } } }`;

const seconds = (millis: number) => `${(millis / 1000).toFixed(2)} s`;

async function post(base: string, event: unknown): Promise<{ status: number; body: unknown }> {
  const id = `msg_${randomUUID()}`;
  const body = JSON.stringify(event);
  const now = new Date();
  const response = await fetch(new URL('/bank/events', base), {
    method: 'POST',
    headers: {
      'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': new Webhook(SECRET).sign(id, now, body),
    },
    body,
  });
  const answer = { status: response.status, body: await response.json() };
  if (response.status !== 200) throw new Error(`bank event refused: ${JSON.stringify(answer)}`);
  return answer;
}

async function allPayableIds(url: string, token: string, runId: string): Promise<string[]> {
  const ids: string[] = [];
  for (let after: string | null = null; ;) {
    const { paymentRun }: any = await gql(url, PAYABLE_PAGE, { id: runId, after }, token);
    ids.push(...paymentRun.payables.edges.map((e: { node: { id: string } }) => e.node.id));
    if (!paymentRun.payables.pageInfo.hasNextPage) return ids;
    after = paymentRun.payables.pageInfo.endCursor;
  }
}

/** Phases of one run's life, timed; returns the run and its payables once they are EXECUTING. */
async function lifecycle(app: App, url: string, token: string, account: string, n: number, phases: [string, number][] | null) {
  const phase = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const t = process.hrtime.bigint();
    const result = await work();
    phases?.push([name, ms(t)]);
    return result;
  };
  const base = new URL(url).origin;
  const { createPaymentRun } = await phase(`createPaymentRun (${n.toLocaleString('en')} payables)`, () =>
    gql(url, CREATE, { input: { payables: gbpPayables(n) } }, token));
  const runId: string = createPaymentRun.id;
  await phase('validation (CoP, batched, no lock held) → PENDING_CONFIRMATION', () => waitForStatus(url, token, runId, 'PENDING_CONFIRMATION'));
  await phase('confirm + SCA challenge', async () => {
    await gql(url, CONFIRM, { id: runId }, token);
    await gql(url, VERIFY, { id: runId }, token);
  });
  const { fundPaymentRun: groups } = await phase('fundPaymentRun', () => gql(url, FUND, { id: runId, accounts: [account] }, token));
  const batchIds = groups.flatMap((g: { batches: { id: string }[] }) => g.batches.map((b) => b.id));
  const { authoriseBatches } = await phase(`authoriseBatches (${batchIds.length} batches, one call)`, () => gql(url, AUTHORISE_ALL, { ids: batchIds }, token));
  await phase(`${authoriseBatches.length} authorisation.outcome events`, async () => {
    for (const a of authoriseBatches as { id: string }[]) await post(base, { type: 'authorisation.outcome', data: { authorisationId: a.id, outcome: 'APPROVE' } });
  });
  await phase(`${groups.length} funding_group.funds_received event(s)`, async () => {
    for (const g of groups as { id: string }[]) await post(base, { type: 'funding_group.funds_received', data: { fundingGroupId: g.id } });
  });
  const payableIds = await allPayableIds(url, token, runId);
  return { runId, payableIds };
}

export async function run(): Promise<Record<string, string>> {
  const figures: Record<string, string> = {};
  const bench = await benchApp('bank_events', { BANK_WEBHOOK_SECRET: SECRET });
  const { app, url } = bench;
  const base = new URL(url).origin;
  try {
    const token = await benchBuyer(url);
    const account = (await gql(url, LINK, {}, token)).linkAccount.id;

    // 1. One event, 10,000 outcomes (setup untimed).
    {
      const { runId, payableIds } = await lifecycle(app, url, token, account, PAYABLES, null);
      const event = { type: 'payables.outcomes', data: { outcomes: payableIds.map((payableId) => ({ payableId, outcome: 'COMPLETE' })) } };
      const started = process.hrtime.bigint();
      await post(base, event);
      const took = ms(started);
      await waitForStatus(url, token, runId, 'COMPLETED');
      figures[`${PAYABLES.toLocaleString('en')} payable outcomes in one POST /bank/events (sign, send, verify, one transaction, 200)`] =
        `${took.toFixed(0)} ms = ${(took / PAYABLES * 1000).toFixed(0)} µs per payable (body ${(JSON.stringify(event).length / 1e6).toFixed(2)} MB)`;
    }
    // The per-payable path for scale: simulatePayableOutcome, one call per payable.
    {
      const { payableIds } = await lifecycle(app, url, token, account, ONE_BY_ONE, null);
      const started = process.hrtime.bigint();
      for (const id of payableIds) await gql(url, COMPLETE, { id }, token);
      const took = ms(started);
      figures[`for scale: simulatePayableOutcome one payable per call (${ONE_BY_ONE} payables)`] = `${(took / ONE_BY_ONE).toFixed(1)} ms per payable`;
    }

    // 2. A whole 10,000-payable run through the API and the events endpoint.
    const phases: [string, number][] = [];
    const total = process.hrtime.bigint();
    const { runId, payableIds } = await lifecycle(app, url, token, account, PAYABLES, phases);
    const t = process.hrtime.bigint();
    await post(base, { type: 'payables.outcomes', data: { outcomes: payableIds.map((payableId) => ({ payableId, outcome: 'COMPLETE' })) } });
    await waitForStatus(url, token, runId, 'COMPLETED');
    phases.push([`one payables.outcomes event (${PAYABLES.toLocaleString('en')} outcomes) → COMPLETED`, ms(t)]);
    const whole = ms(total);
    figures[`${PAYABLES.toLocaleString('en')}-payable run, creation → COMPLETED through the API and /bank/events`] =
      `${seconds(whole)} (${phases.map(([name, took]) => `${name} ${took.toFixed(0)} ms`).join('; ')}; the rest: reading payable ids)`;
  } finally {
    await bench.close();
  }
  return figures;
}

await runWhenMain(import.meta.url, title, run);

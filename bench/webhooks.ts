// Webhook delivery benchmark (not a test): `npx tsx bench/webhooks.ts`, or through `npm run bench`.
// 1. A 10,000-payable completion (one transaction logs ≈10,000 status changes) delivered to a local
//    receiver: deliveries per second, and commit → receipt p50/p99 for that burst.
// 2. A trickle: single status changes one after another, commit → receipt p50/p99 when idle.
// The receiver is node:http in this process (answering 200 at once), so the figures are the
// gateway's cost: log reads, signing, one keep-alive connection, progress writes.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { applyPayableOutcomes } from '../src/domain/bank/bank.commands.ts';
import { benchApp, benchBuyer, gbpPayables, gql, runWhenMain } from './support.ts';

export const title = 'webhooks';

const PAYABLES = Number(process.env.WEBHOOK_BENCH_PAYABLES ?? 10_000);
const TRICKLE = 100;
const CREATE = `mutation($input: CreatePaymentRunInput!) { createPaymentRun(input: $input) { id } }`;
const ENDPOINT = `mutation($url: String!) { createWebhookEndpoint(input: { url: $url }) { endpoint { id } } }`;
const LINK = `mutation { linkAccount(input: { institutionCode: "SANDBOX_BANK_GB", accountIdentification: { fasterPayments: { accountNumber: "12345678", sortCode: "400000" } } }) { id } }`;
const FUND = `mutation($id: ID!, $accounts: [ID!]!) { fundPaymentRun(id: $id, linkedAccountIds: $accounts) { id batches { id } } }`;
const PAYABLE_IDS = `query($id: ID!, $after: String) { paymentRun(id: $id) { payables(first: 500, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id } } } } }`;

const rawId = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1]!;
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

interface Receipt { id: string; at: number; occurredAt: number }

function startReceiver() {
  const receipts: Receipt[] = [];
  let waiter: { count: number; resolve: () => void } | null = null;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      const body = JSON.parse(Buffer.concat(chunks).toString());
      receipts.push({ id: String(req.headers['webhook-id']), at, occurredAt: Date.parse(body.data.occurredAt) });
      res.writeHead(200).end();
      if (waiter && receipts.length >= waiter.count) waiter.resolve();
    });
  });
  return {
    receipts,
    listen: () => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`))),
    waitFor: (count: number) => new Promise<void>((resolve) => (receipts.length >= count ? resolve() : (waiter = { count, resolve }))),
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

export async function run(): Promise<Record<string, string>> {
  const figures: Record<string, string> = {};
  const bench = await benchApp('webhooks', { WEBHOOK_ALLOW_PRIVATE_URLS: 'true', POLL_INTERVAL_MS: '1000' });
  const { app, url } = bench;
  const receiver = startReceiver();
  try {
    const token = await benchBuyer(url);
    const { viewer } = await gql(url, `{ viewer { id buyer { id } } }`, {}, token);
    const buyerId = rawId(viewer.buyer.id);

    // A run of PAYABLES payables, validated, confirmed, funded, authorised and funded: every payable EXECUTING.
    const { createPaymentRun } = await gql(url, CREATE, { input: { payables: gbpPayables(PAYABLES) } }, token);
    const runId = createPaymentRun.id;
    await app.services.jobs.drain();
    await gql(url, `mutation($id: ID!) { confirmPaymentRun(id: $id) { status } }`, { id: runId }, token);
    await gql(url, `mutation($id: ID!) { verifyPaymentRunChallenge(id: $id, code: "123456") { status } }`, { id: runId }, token);
    const account = (await gql(url, LINK, {}, token)).linkAccount.id;
    const { fundPaymentRun: groups } = await gql(url, FUND, { id: runId, accounts: [account] }, token);
    for (const batch of groups.flatMap((g: { batches: { id: string }[] }) => g.batches)) {
      const { authoriseBatch } = await gql(url, `mutation($id: ID!) { authoriseBatch(batchId: $id) { id } }`, { id: batch.id }, token);
      await gql(url, `mutation($id: ID!) { simulateAuthorisationOutcome(id: $id, outcome: APPROVE) { status } }`, { id: authoriseBatch.id }, token);
    }
    for (const group of groups) await gql(url, `mutation($id: ID!) { simulateFundsReceived(fundingGroupId: $id) { status } }`, { id: group.id }, token);
    const payableIds: string[] = [];
    for (let after: string | null = null; ;) {
      const { paymentRun }: any = await gql(url, PAYABLE_IDS, { id: runId, after }, token);
      payableIds.push(...paymentRun.payables.edges.map((e: { node: { id: string } }) => rawId(e.node.id)));
      if (!paymentRun.payables.pageInfo.hasNextPage) break;
      after = paymentRun.payables.pageInfo.endCursor;
    }

    // The endpoint starts at the log's head: it gets the completion and nothing before it.
    await gql(url, ENDPOINT, { url: await receiver.listen() }, token);
    const headBefore = await app.services.domain.prisma.buyer.findUniqueOrThrow({ where: { id: buyerId } });

    // 1. Every payable COMPLETED in one transaction (what the sandbox autopilot does), then the burst.
    // The bulk bank command: one transaction, the unit of work re-derives batches, groups and run.
    await applyPayableOutcomes(app.services.domain, { kind: 'bank' }, payableIds.map((payableId) => ({ payableId, outcome: 'COMPLETE' as const })));
    const committed = Date.now();
    const headAfter = await app.services.domain.prisma.buyer.findUniqueOrThrow({ where: { id: buyerId } });
    const events = Number(headAfter.eventSeq - headBefore.eventSeq);
    await receiver.waitFor(events);
    const burst = receiver.receipts.slice(0, events);
    const seconds = (burst.at(-1)!.at - committed) / 1000;
    const latencies = burst.map((r) => r.at - committed);
    figures[`burst: ${events.toLocaleString('en')} status changes of a ${PAYABLES.toLocaleString('en')}-payable completion, commit → last receipt`] =
      `${seconds.toFixed(2)} s = ${Math.round(events / seconds).toLocaleString('en')} deliveries/s (one endpoint, in order, one keep-alive connection)`;
    figures['burst: commit → receipt'] = `p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, first ${latencies[0]} ms`;
    if (new Set(burst.map((r) => r.id)).size !== events) throw new Error('an event arrived twice in the burst');

    // 2. A trickle: one run created at a time (2 status changes each, then 2 more from validation).
    const before = receiver.receipts.length;
    for (let i = 0; i < TRICKLE; i++) {
      await gql(url, CREATE, { input: { payables: gbpPayables(1) } }, token);
    }
    await app.services.jobs.drain();
    await receiver.waitFor(before + TRICKLE * 4);
    const trickle = receiver.receipts.slice(before).map((r) => r.at - r.occurredAt);
    figures[`trickle: ${trickle.length} single changes, commit → receipt`] = `p50 ${percentile(trickle, 50)} ms, p99 ${percentile(trickle, 99)} ms`;
  } finally {
    await receiver.close();
    await bench.close();
  }
  return figures;
}

await runWhenMain(import.meta.url, title, run);

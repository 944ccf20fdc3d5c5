import autocannon from 'autocannon';
import pg from 'pg';
import { idOf } from '../src/graphql/ids.ts';
import { creationFloor } from './creation-floor.ts';
import { benchApp, benchBuyer, gbpPayables, gql, ms, waitForStatus } from './support.ts';

const CREATE_ROUNDS = Number(process.env.CREATE_ROUNDS ?? 3);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The dashboard's main read; bench/peers runs the same one against PostGraphile and the SQL floor. */
export const DASHBOARD_QUERY = `{ paymentRuns(first: 50) { totalCount edges { node { id status payableCount totalAmount { currency amount }
  payables(first: 20) { totalCount edges { node { id status reference amount { amount currency } supplier { name } } } } } } } }`;

/**
 * Issue 3's figures: accepting a 10,000-payable run, the time until it is PENDING_CONFIRMATION,
 * and the dashboard's main read (50 runs with their first 20 payables) under 20 connections.
 */
export async function benchPaymentRuns(): Promise<Record<string, string>> {
  const { url, databaseUrl, close } = await benchApp('runs');
  try {
    const token = await benchBuyer(url);
    const payables = gbpPayables(10_000);
    const create = `mutation($input: CreatePaymentRunInput!) { createPaymentRun(input: $input) { id status } }`;
    // Warm-up: first requests pay for module and query-plan compilation.
    await gql(url, create, { input: { payables: payables.slice(0, 100) } }, token);
    // The floor writes for a buyer of its own (see creation-floor.ts).
    const floorToken = await benchBuyer(url);
    const { viewer } = await gql(url, '{ viewer { id } }', {}, floorToken);
    const owner = new pg.Client({ connectionString: databaseUrl });
    await owner.connect();
    const { rows: [ids] } = await owner.query('SELECT buyer_id, id AS user_id FROM users WHERE id = $1', [idOf('User', viewer.id)]);
    await owner.end();
    const floorPayables = payables.map((p) => ({ amount: p.amount.amount, reference: p.reference, name: p.supplier.name,
      accountNumber: p.supplier.bankAccountDetails.fasterPayments.accountNumber, sortCode: p.supplier.bankAccountDetails.fasterPayments.sortCode }));

    // Rounds alternate the gateway and the floor so that load from elsewhere falls on both; each run
    // is left to finish validating before the next round, so background CoP work skews neither.
    const accepted: number[] = [];
    const transaction: number[] = [];
    const copy: number[] = [];
    let validated = 0;
    for (let round = 0; round < CREATE_ROUNDS; round++) {
      const started = process.hrtime.bigint();
      const { createPaymentRun } = await gql(url, create, { input: { payables } }, token);
      accepted.push(ms(started));
      await waitForStatus(url, token, createPaymentRun.id, 'PENDING_CONFIRMATION');
      if (round === 0) validated = ms(started);
      const floor = await creationFloor(databaseUrl, ids.buyer_id, ids.user_id, floorPayables);
      transaction.push(floor.transaction);
      copy.push(floor.copy);
    }
    const accept = median(accepted);

    for (let i = 0; i < 49; i++) {
      await gql(url, `mutation($input: CreatePaymentRunInput!) { createPaymentRun(input: $input) { id } }`, { input: { payables: payables.slice(0, 25) } }, token);
    }
    const query = DASHBOARD_QUERY;
    const result = await autocannon({
      url,
      method: 'POST',
      connections: 20,
      duration: 10,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query }),
    });
    return {
      'accept 10,000-payable run (median of rounds)': `${accept.toFixed(0)} ms (rounds ${accepted.map((t) => t.toFixed(0)).join(', ')})`,
      'floor: the same rows in one PostgreSQL transaction (unnest)': `${median(transaction).toFixed(0)} ms (rounds ${transaction.map((t) => t.toFixed(0)).join(', ')}); accept / floor ${(accept / median(transaction)).toFixed(2)}x`,
      'floor: the same rows by COPY in one transaction': `${median(copy).toFixed(0)} ms (rounds ${copy.map((t) => t.toFixed(0)).join(', ')}); accept / COPY ${(accept / median(copy)).toFixed(2)}x`,
      'until PENDING_CONFIRMATION (from request)': `${validated.toFixed(0)} ms`,
      'dashboard read (50 runs x 20 payables), 20 connections': `${result.requests.average.toFixed(0)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, errors ${result.errors + result.non2xx}`,
    };
  } finally {
    await close();
  }
}

import autocannon from 'autocannon';
import { benchApp, benchBuyer, gbpPayables, gql, ms, waitForStatus } from './support.ts';

/** The dashboard's main read; bench/peers runs the same one against PostGraphile and the SQL floor. */
export const DASHBOARD_QUERY = `{ paymentRuns(first: 50) { totalCount edges { node { id status payableCount totalAmount { currency amount }
  payables(first: 20) { totalCount edges { node { id status reference amount { amount currency } supplier { name } } } } } } } }`;

/**
 * Issue 3's figures: accepting a 10,000-payable run, the time until it is PENDING_CONFIRMATION,
 * and the dashboard's main read (50 runs with their first 20 payables) under 20 connections.
 */
export async function benchPaymentRuns(): Promise<Record<string, string>> {
  const { url, close } = await benchApp('runs');
  try {
    const token = await benchBuyer(url);
    const payables = gbpPayables(10_000);
    // Warm-up: first requests pay for module and query-plan compilation.
    await gql(url, `mutation($input: CreatePaymentRunInput!) { createPaymentRun(input: $input) { id } }`, { input: { payables: payables.slice(0, 100) } }, token);

    const started = process.hrtime.bigint();
    const { createPaymentRun } = await gql(url, `mutation($input: CreatePaymentRunInput!) { createPaymentRun(input: $input) { id status } }`, { input: { payables } }, token);
    const accepted = ms(started);
    await waitForStatus(url, token, createPaymentRun.id, 'PENDING_CONFIRMATION');
    const validated = ms(started);

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
      'accept 10,000-payable run': `${accepted.toFixed(0)} ms`,
      'until PENDING_CONFIRMATION (from request)': `${validated.toFixed(0)} ms`,
      'dashboard read (50 runs x 20 payables), 20 connections': `${result.requests.average.toFixed(0)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, errors ${result.errors + result.non2xx}`,
    };
  } finally {
    await close();
  }
}

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../generated/index.ts';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import { CreateRun, GetRun, createRun, eurPayable, gbpPayable } from '../helpers/payment-runs.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

const RunCount = graphql(`query RunCount { paymentRuns { totalCount } }`);

let app: TestApp;
let tenant: Tenant;

beforeAll(async () => {
  app = await startTestApp();
  tenant = await createTenant(app);
});
afterAll(() => app?.stop());

const runCount = async (t: Tenant = tenant) => (await t.creator.client.data(RunCount)).paymentRuns.totalCount;
const validate = () => app.app.services.jobs.drain();

describe('createPaymentRun: contract codes, nothing stored on bad input', () => {
  it('reports every field violation at once with paths', async () => {
    const before = await runCount();
    const bad = gbpPayable(0);
    bad.amount.amount = 0;
    bad.reference = 'x'.repeat(19);
    bad.supplier.bankAccountDetails.fasterPayments.sortCode = '12-34';
    const error = await tenant.creator.client.error(CreateRun, { input: { payables: [gbpPayable(1), bad] } });
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect((error.extensions?.invalidFields as { fieldName: string; error: string }[]).map((f) => `${f.fieldName}:${f.error}`).sort()).toEqual([
      'payables[1].amount.amount:RANGE',
      'payables[1].reference:SIZE',
      'payables[1].supplier.bankAccountDetails.fasterPayments.sortCode:SIZE',
    ]);
    expect(await runCount()).toBe(before);
  });

  it('refuses an IBAN with a bad checksum', async () => {
    const payable = eurPayable(0);
    payable.supplier.bankAccountDetails.sepa.iban = 'DE89370400440532013001';
    const error = await tenant.creator.client.error(CreateRun, { input: { payables: [payable] } });
    expect(error.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      invalidFields: [{ fieldName: 'payables[0].supplier.bankAccountDetails.sepa.iban', error: 'CHECKSUM' }],
    });
  });

  it.each([
    ['UNSUPPORTED_CURRENCY', () => [gbpPayable(0), eurPayable(1)]],
    ['INVALID_SUPPLIER_BANK_ACCOUNT_DETAILS', () => [{ ...gbpPayable(0), supplier: { ...gbpPayable(0).supplier, bankAccountDetails: { sepa: { iban: 'DE89370400440532013000' } } } }]],
    ['MISSING_SUPPLIER_TYPE', () => [{ ...gbpPayable(0), supplier: { ...gbpPayable(0).supplier, type: undefined } }]],
  ] as const)('answers %s and stores nothing', async (code, payables) => {
    const before = await runCount();
    const error = await tenant.creator.client.error(CreateRun, { input: { payables: payables() as never } });
    expect(error.extensions?.code).toBe(code);
    expect(await runCount()).toBe(before);
  });

  it('answers UNSUPPORTED_CURRENCY for a currency the buyer does not support', async () => {
    const gbpOnly = await createTenant(app, { currencies: ['GBP'] });
    const error = await gbpOnly.creator.client.error(CreateRun, { input: { payables: [eurPayable(0)] } });
    expect(error.extensions?.code).toBe('UNSUPPORTED_CURRENCY');
  });

  it('keeps paymentRunRef unique within the buyer, not across buyers', async () => {
    const ref = `REF-${randomUUID().slice(0, 8)}`;
    await createRun(tenant.creator, [gbpPayable(0)], { paymentRunRef: ref });
    const error = await tenant.creator.client.error(CreateRun, { input: { paymentRunRef: ref, payables: [gbpPayable(0)] } });
    expect(error.extensions?.code).toBe('DUPLICATE_PAYMENT_RUN_REF');
    const other = await createTenant(app);
    expect((await createRun(other.creator, [gbpPayable(0)], { paymentRunRef: ref })).paymentRunRef).toBe(ref);
  });

  it('accepts 10,000 payables and refuses 10,001 with PAYLOAD_TOO_LARGE', async () => {
    const payables = Array.from({ length: 10_000 }, (_, i) => gbpPayable(i));
    const run = await createRun(tenant.creator, payables);
    expect(run).toMatchObject({ status: 'QUEUED', payableCount: 10_000 });
    const error = await tenant.creator.client.error(CreateRun, { input: { payables: [...payables, gbpPayable(10_000)] } });
    expect(error.extensions?.code).toBe('PAYLOAD_TOO_LARGE');
    await validate();
    const { paymentRun } = await tenant.creator.client.data(GetRun, { id: run.id, first: 2, status: ['PENDING_CONFIRMATION'] });
    expect(paymentRun).toMatchObject({ status: 'PENDING_CONFIRMATION', payables: { totalCount: 10_000 } });
  }, 60_000);
});

describe('asynchronous validation with Confirmation of Payee', () => {
  it('records the sandbox responder\'s answer per account and moves to PENDING_CONFIRMATION', async () => {
    const run = await createRun(tenant.creator, [
      gbpPayable(0, { accountNumber: '11111111' }),
      gbpPayable(1, { accountNumber: '22222222' }),
      gbpPayable(2, { accountNumber: '44444444', type: 'PERSONAL' }),
      gbpPayable(3, { accountNumber: '44444444', type: 'BUSINESS' }),
      gbpPayable(4, { accountNumber: '55555555' }),
      gbpPayable(5, { accountNumber: '12345678' }),
    ]);
    expect(run.status).toBe('QUEUED');
    await validate();
    const { paymentRun } = await tenant.creator.client.data(GetRun, { id: run.id, first: 10 });
    expect(paymentRun?.status).toBe('PENDING_CONFIRMATION');
    const outcomes = paymentRun!.payables.edges.map((e) => e.node.validationOutcomes[0]);
    expect(outcomes.map((o) => [o?.match, o?.reasonCode])).toEqual([
      ['CLOSE_MATCH', 'MBAM'], ['NO_MATCH', 'ANNM'], ['NO_MATCH', 'BANM'], ['NO_MATCH', 'PANM'], ['NO_MATCH', 'OPTO'], ['EXACT_MATCH', null],
    ]);
    expect(outcomes[0]?.accountName).toBeTruthy();
    expect(paymentRun!.payables.edges.every((e) => e.node.status === 'PENDING_CONFIRMATION')).toBe(true);
  });

  it('gives EUR payables no outcome', async () => {
    const run = await createRun(tenant.creator, [eurPayable(0)]);
    await validate();
    const { paymentRun } = await tenant.creator.client.data(GetRun, { id: run.id, first: 1 });
    expect(paymentRun?.status).toBe('PENDING_CONFIRMATION');
    expect(paymentRun?.payables.edges[0]?.node.validationOutcomes).toEqual([]);
  });

  it('makes a run with a non-existent account INVALID (terminal), naming the payables, payables CANCELLED', async () => {
    const run = await createRun(tenant.creator, [gbpPayable(0), gbpPayable(1, { accountNumber: '33333333' })]);
    await validate();
    const { paymentRun } = await tenant.creator.client.data(GetRun, { id: run.id, first: 10 });
    expect(paymentRun?.status).toBe('INVALID');
    expect(paymentRun?.statusReason).toMatch(/1/);
    expect(paymentRun!.payables.edges.map((e) => e.node.status)).toEqual(['CANCELLED', 'CANCELLED']);
  });
});

describe('idempotency-ref', () => {
  it('replays the first response for the same request and causes no second run', async () => {
    const ref = randomUUID();
    const input = { input: { payables: [gbpPayable(0)] } };
    const before = await runCount();
    const first = await tenant.creator.client.data(CreateRun, input, { 'idempotency-ref': ref });
    const second = await tenant.creator.client.data(CreateRun, input, { 'idempotency-ref': ref });
    expect(second.createPaymentRun.id).toBe(first.createPaymentRun.id);
    expect(await runCount()).toBe(before + 1);
  });

  it('answers IDEMPOTENCY_REF_REUSED for the same ref with other variables', async () => {
    const ref = randomUUID();
    await tenant.creator.client.data(CreateRun, { input: { payables: [gbpPayable(0)] } }, { 'idempotency-ref': ref });
    const error = await tenant.creator.client.error(CreateRun, { input: { payables: [gbpPayable(1)] } }, { 'idempotency-ref': ref });
    expect(error.extensions?.code).toBe('IDEMPOTENCY_REF_REUSED');
  });

  it('runs parallel duplicates once: the others replay or are told the first is in progress', async () => {
    const ref = randomUUID();
    const before = await runCount();
    const input = { input: { payables: Array.from({ length: 200 }, (_, i) => gbpPayable(i)) } };
    const results = await Promise.all(Array.from({ length: 8 }, () => tenant.creator.client.request(CreateRun, input, { 'idempotency-ref': ref })));
    const ids = new Set(results.flatMap((r) => (r.data ? [r.data.createPaymentRun.id] : [])));
    expect(ids.size).toBe(1);
    for (const r of results.filter((r) => r.errors)) expect(r.errors![0]!.extensions?.code).toBe('IDEMPOTENT_REQUEST_IN_PROGRESS');
    expect(await runCount()).toBe(before + 1);
  });

  it('keeps refs per user: another user may use the same ref', async () => {
    const ref = randomUUID();
    const a = await tenant.creator.client.data(CreateRun, { input: { payables: [gbpPayable(0)] } }, { 'idempotency-ref': ref });
    const b = await tenant.admin.client.data(CreateRun, { input: { payables: [gbpPayable(0)] } }, { 'idempotency-ref': ref });
    expect(a.createPaymentRun.id).not.toBe(b.createPaymentRun.id);
  });
});

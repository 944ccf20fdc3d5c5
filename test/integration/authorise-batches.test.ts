/**
 * authoriseBatches: one call starts an attempt on every named batch, all or nothing, with
 * authoriseBatch's rules; and the provider ports: Confirmation of Payee "none", and no provider
 * call ever made inside a transaction.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/domain/shared/unit-of-work.ts';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import { AuthoriseBatch, fundedRun, movesOf, readFunding, readRunLog, startIsolatedApp } from '../helpers/funding.ts';
import { AuthoriseBatches } from '../helpers/bank-events.ts';
import { GetRun, createRun, eurPayable, gbpPayable } from '../helpers/payment-runs.ts';
import type { TestApp } from '../helpers/test-app.ts';

let app: TestApp;
let tenant: Tenant;

beforeAll(async () => {
  app = await startIsolatedApp();
  tenant = await createTenant(app);
});
afterAll(() => app?.stop());

const attemptsOf = async (runId: string) =>
  (await readFunding(tenant.controller, runId)).fundingGroups.flatMap((g) => g.batches.map((b) => ({ status: b.status, attempts: b.authorisations.length })));

describe('authoriseBatches', () => {
  it('starts an attempt on every named batch in one call, in the order named', async () => {
    const { runId, groups } = await fundedRun(app, tenant, 'LIMITED_BANK_GB', Array.from({ length: 25 }, (_, i) => gbpPayable(i, { amount: 1000 })));
    const batchIds = groups.flatMap((g) => g.batches.map((b) => b.id));
    expect(batchIds.length).toBe(3);
    const { authoriseBatches } = await tenant.controller.client.data(AuthoriseBatches, { batchIds: [...batchIds].reverse() });
    expect(authoriseBatches.map((a) => a.batch.id)).toEqual([...batchIds].reverse());
    for (const attempt of authoriseBatches) {
      expect(attempt.status).toBe('USER_AUTHORISING');
      expect(attempt.redirectUrl).toBe(`https://sandbox-bank.example/authorise/${Buffer.from(attempt.id, 'base64url').toString().split(':')[1]}`);
      expect(attempt.initiatedBy.id).toBe(tenant.controller.id);
    }
    expect((await attemptsOf(runId)).map((b) => b.status)).toEqual(['USER_INITIATION_IN_PROGRESS', 'USER_INITIATION_IN_PROGRESS', 'USER_INITIATION_IN_PROGRESS']);
    const log = await readRunLog(tenant.controller, runId);
    for (const attempt of authoriseBatches) expect(movesOf(log, attempt.id)).toEqual(['null->USER_AUTHORISING']);
  });

  it('is all or nothing: one batch under way, unknown, repeated or of another buyer starts none', async () => {
    const { runId, groups } = await fundedRun(app, tenant, 'LIMITED_BANK_GB', Array.from({ length: 25 }, (_, i) => gbpPayable(i, { amount: 1000 })));
    const [b0, b1, b2] = groups.flatMap((g) => g.batches.map((b) => b.id));
    await tenant.controller.client.data(AuthoriseBatch, { batchId: b1! });
    const before = await attemptsOf(runId);
    const logBefore = (await readRunLog(tenant.controller, runId)).length;

    const busy = await tenant.controller.client.request(AuthoriseBatches, { batchIds: [b0!, b1!, b2!] });
    expect(busy.errors?.[0]?.extensions?.code).toBe('INVALID_STATE');
    const unknown = Buffer.from(`Batch:${randomUUID()}`).toString('base64url');
    expect((await tenant.controller.client.request(AuthoriseBatches, { batchIds: [b0!, unknown] })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await tenant.controller.client.request(AuthoriseBatches, { batchIds: [b0!, b0!] })).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await tenant.controller.client.request(AuthoriseBatches, { batchIds: [] })).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const other = await createTenant(app);
    const foreign = (await fundedRun(app, other)).groups[0]!.batches[0]!.id;
    expect((await tenant.controller.client.request(AuthoriseBatches, { batchIds: [b0!, foreign] })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    // A creator may not, whatever the batches.
    expect((await tenant.creator.client.request(AuthoriseBatches, { batchIds: [b0!] })).errors?.[0]?.extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');

    expect(await attemptsOf(runId)).toEqual(before);
    expect((await readRunLog(tenant.controller, runId)).length).toBe(logBefore);
    const { authoriseBatches } = await tenant.controller.client.data(AuthoriseBatches, { batchIds: [b0!, b2!] });
    expect(authoriseBatches.map((a) => a.status)).toEqual(['USER_AUTHORISING', 'USER_AUTHORISING']);
  });
});

describe('provider ports', () => {
  it('are never called inside a transaction (no row lock is held while a provider answers)', async () => {
    const deps = app.app.services.domain;
    const payee = { currency: 'GBP' as const, accountNumber: '12345678', supplierType: 'BUSINESS' as const, supplierName: 'Acme Ltd' };
    await expect(deps.payeeCheck.check([payee])).resolves.toHaveLength(1);
    const buyerId = Buffer.from(tenant.buyerId, 'base64url').toString().split(':')[1]!;
    await expect(inTransaction(deps, buyerId, null, () => deps.payeeCheck.check([payee]))).rejects.toThrow(/inside a transaction/);
    await expect(inTransaction(deps, buyerId, null, () => deps.bank.startAuthorisations([]))).rejects.toThrow(/inside a transaction/);
  });
});

describe('COP_PROVIDER=none', () => {
  let none: TestApp;
  let buyer: Tenant;
  beforeAll(async () => {
    none = await startIsolatedApp({ COP_PROVIDER: 'none' });
    buyer = await createTenant(none);
  });
  afterAll(() => none?.stop());

  it('stores that CoP was not performed, inventing no verdict, and blocks nothing', async () => {
    // 33333333 is "account does not exist" at the sandbox responder: with no CoP nobody knows.
    const run = await createRun(buyer.creator, [gbpPayable(0, { accountNumber: '33333333' }), gbpPayable(1, { accountNumber: '11111111' })]);
    await none.app.services.jobs.drain();
    const { paymentRun } = await buyer.creator.client.data(GetRun, { id: run.id, first: 10 });
    expect(paymentRun!.status).toBe('PENDING_CONFIRMATION');
    const expected = [{ category: 'COP_NOT_PERFORMED', match: null, reasonCode: null, accountName: null }];
    expect(paymentRun!.payables.edges.map((e) => e.node.validationOutcomes)).toEqual([expected, expected]);
    expect(paymentRun!.payables.edges.map((e) => e.node.status)).toEqual(['PENDING_CONFIRMATION', 'PENDING_CONFIRMATION']);

    const eur = await createRun(buyer.creator, [eurPayable(0)]);
    await none.app.services.jobs.drain();
    expect((await buyer.creator.client.data(GetRun, { id: eur.id, first: 0 })).paymentRun!.status).toBe('PENDING_CONFIRMATION');
  });
});

/**
 * The bank talks back (POST /bank/events): signed provider events drive a run from authorisation to
 * COMPLETED and a later RETURN; every refusal — bad signature, stale timestamp, malformed body, an
 * unknown id inside a bulk list, a rule — and every repeat of a webhook-id changes nothing, checked
 * on the statuses and on the event log (no new status_changes rows).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import {
  AuthoriseBatch, expectLogReplaysToState, fundedRun, movesOf, readFunding, startIsolatedApp,
} from '../helpers/funding.ts';
import {
  AuthoriseBatches, BANK_SECRET, authorisationOutcome, executingRun as executingRunOf, fundsReceived, loggedChanges as loggedChangesOf,
  payableGlobalId, payableOutcomes, postBankEvent, rowIdOf,
} from '../helpers/bank-events.ts';
import { gbpPayable } from '../helpers/payment-runs.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

let app: TestApp;
let tenant: Tenant;

beforeAll(async () => {
  app = await startIsolatedApp({ BANK_WEBHOOK_SECRET: BANK_SECRET });
  tenant = await createTenant(app);
});
afterAll(() => app?.stop());

const loggedChanges = () => loggedChangesOf(app, tenant);
const executingRun = (count?: number) => executingRunOf(app, tenant, count);

async function statuses(runId: string) {
  const v = await readFunding(tenant.controller, runId);
  return {
    run: v.status,
    groups: v.fundingGroups.map((g) => g.status),
    batches: v.fundingGroups.flatMap((g) => g.batches.map((b) => b.status)),
    payables: v.payables.edges.map((e) => e.node.status),
  };
}

describe('POST /bank/events', () => {
  it('drives a run from authorisation to COMPLETED, and a later RETURN to COMPLETED_WITH_ERRORS', async () => {
    const { runId, groups } = await fundedRun(app, tenant, 'SANDBOX_BANK_GB', [gbpPayable(0), gbpPayable(1)]);
    const batchId = groups[0]!.batches[0]!.id;
    const { authoriseBatches: [attempt] } = await tenant.controller.client.data(AuthoriseBatches, { batchIds: [batchId] });
    expect(attempt!.status).toBe('USER_AUTHORISING');
    expect(attempt!.redirectUrl).toMatch(/^https:\/\//);
    const [stored] = await app.app.services.domain.prisma.$queryRawUnsafe<{ provider_reference: string | null }[]>(
      'SELECT provider_reference FROM authorisations WHERE id = $1::uuid', rowIdOf(attempt!.id),
    );
    expect(stored!.provider_reference).toBeTruthy();

    expect(await postBankEvent(app, authorisationOutcome(attempt!.id, 'APPROVE'))).toMatchObject({ status: 200, body: { status: 'applied' } });
    expect(await statuses(runId)).toMatchObject({ run: 'PENDING_FUNDING', groups: ['AWAITING_FUNDS'], batches: ['PROCESSING'], payables: ['AWAITING_FUNDS', 'AWAITING_FUNDS'] });

    expect((await postBankEvent(app, fundsReceived(groups[0]!.id))).body).toEqual({ status: 'applied' });
    const funded = await readFunding(tenant.controller, runId);
    expect(funded.fundingGroups[0]!.fundingDate).not.toBeNull();
    const payableIds = funded.payables.edges.map((e) => e.node.id);

    const done = await postBankEvent(app, payableOutcomes(payableIds.map((payableId) => ({ payableId, outcome: 'COMPLETE' }))));
    expect(done).toMatchObject({ status: 200, body: { status: 'applied' } });
    expect(await statuses(runId)).toEqual({ run: 'COMPLETED', groups: ['COMPLETED'], batches: ['PROCESSED'], payables: ['COMPLETED', 'COMPLETED'] });

    const returned = await postBankEvent(app, payableOutcomes([{ payableId: payableIds[1]!, outcome: 'RETURN', reason: 'Account closed' }]));
    expect(returned.body).toEqual({ status: 'applied' });
    const after = await readFunding(tenant.controller, runId);
    expect(after.status).toBe('COMPLETED_WITH_ERRORS');
    expect(after.fundingGroups[0]!.status).toBe('COMPLETED_WITH_ERRORS');
    expect(after.payables.edges.map((e) => [e.node.status, e.node.statusReason])).toEqual([['COMPLETED', null], ['RETURNED', 'Account closed']]);

    const log = await expectLogReplaysToState(tenant.controller, runId);
    expect(movesOf(log, attempt!.id)).toEqual(['null->USER_AUTHORISING', 'USER_AUTHORISING->BANK_AUTHORISING', 'BANK_AUTHORISING->PROCESSED']);
    expect(movesOf(log, runId).slice(-2)).toEqual(['EXECUTING->COMPLETED', 'COMPLETED->COMPLETED_WITH_ERRORS']);
    // The bank is nobody's user: its changes carry no actor.
    expect(log.filter((c) => c.entityId === payableIds[1]).at(-1)!.actor).toBeNull();
  });

  it('changes nothing on a bad signature, a stale timestamp or a malformed body', async () => {
    const { runId, payableIds } = await executingRun();
    const before = { log: await loggedChanges(), statuses: await statuses(runId) };
    const complete = payableOutcomes(payableIds.map((payableId) => ({ payableId, outcome: 'COMPLETE' })));

    expect((await postBankEvent(app, complete, { secret: `whsec_${Buffer.alloc(32, 7).toString('base64')}` })).status).toBe(401);
    expect((await postBankEvent(app, complete, { signature: 'v1,bm90LWEtc2lnbmF0dXJl' })).status).toBe(401);
    expect((await postBankEvent(app, complete, { timestamp: new Date(Date.now() - 6 * 60_000) })).status).toBe(401);
    expect((await postBankEvent(app, complete, { timestamp: new Date(Date.now() + 6 * 60_000) })).status).toBe(401);

    const malformed: unknown[] = [
      { type: 'payables.outcomes', data: { outcomes: [] } },
      { type: 'payables.outcomes', data: { outcomes: [{ payableId: payableIds[0], outcome: 'PAID' }] } },
      { type: 'payables.outcomes', data: { outcomes: [{ payableId: payableIds[0], outcome: 'COMPLETE', extra: 1 }] } },
      { type: 'payables.outcomes', data: { outcomes: [{ payableId: 42, outcome: 'COMPLETE' }] } },
      { type: 'payables.outcomes', data: { outcomes: payableIds.map((payableId) => ({ payableId, outcome: 'COMPLETE' })) }, more: true },
      { type: 'payable.completed', data: {} },
      { type: 'funding_group.funds_received' },
      [complete],
    ];
    for (const body of malformed) expect((await postBankEvent(app, body)).status, JSON.stringify(body)).toBe(400);
    expect((await postBankEvent(app, null, { raw: '{"type":"payables.outcomes","data":' })).status).toBe(400);

    expect(await loggedChanges()).toBe(before.log);
    expect(await statuses(runId)).toEqual(before.statuses);
    // The same outcomes, properly sent, still apply: nothing above was half-applied or remembered.
    expect((await postBankEvent(app, complete)).body).toEqual({ status: 'applied' });
    expect((await statuses(runId)).run).toBe('COMPLETED');
  });

  it('applies a bulk list all or nothing: an unknown or foreign id, or a wrong state, refuses the whole event (422)', async () => {
    const { runId, payableIds } = await executingRun();
    const other = await createTenant(app);
    const before = { log: await loggedChanges(), statuses: await statuses(runId) };
    const valid = payableIds.map((payableId) => ({ payableId, outcome: 'COMPLETE' }));

    const unknown = await postBankEvent(app, payableOutcomes([...valid, { payableId: payableGlobalId(randomUUID()), outcome: 'COMPLETE' }]));
    expect(unknown).toMatchObject({ status: 422, body: { code: 'NOT_FOUND' } });
    expect(typeof unknown.body.message).toBe('string');
    const malformedId = await postBankEvent(app, payableOutcomes([...valid, { payableId: 'not-a-global-id', outcome: 'COMPLETE' }]));
    expect(malformedId).toMatchObject({ status: 422, body: { code: 'NOT_FOUND' } });
    const { runId: foreignRun } = await fundedRun(app, other, 'SANDBOX_BANK_GB', [gbpPayable(0)]);
    const foreignPayable = (await readFunding(other.controller, foreignRun)).payables.edges[0]!.node.id;
    expect(await postBankEvent(app, payableOutcomes([...valid, { payableId: foreignPayable, outcome: 'COMPLETE' }]))).toMatchObject({ status: 422, body: { code: 'NOT_FOUND' } });

    const wrongState = await postBankEvent(app, payableOutcomes([...valid.slice(1), { payableId: payableIds[0]!, outcome: 'RETURN' }]));
    expect(wrongState).toMatchObject({ status: 422, body: { code: 'INVALID_STATE' } });
    expect(await postBankEvent(app, payableOutcomes([valid[0]!, valid[0]!]))).toMatchObject({ status: 422, body: { code: 'BAD_USER_INPUT' } });
    expect(await postBankEvent(app, authorisationOutcome(Buffer.from(`Authorisation:${randomUUID()}`).toString('base64url'), 'APPROVE'))).toMatchObject({ status: 422, body: { code: 'NOT_FOUND' } });

    expect(await loggedChanges()).toBe(before.log);
    expect(await statuses(runId)).toEqual(before.statuses);
  });

  it('applies a webhook-id once: a repeat answers duplicate and changes nothing, also when sent concurrently', async () => {
    const { runId, payableIds } = await executingRun(4);
    const first = await postBankEvent(app, payableOutcomes([{ payableId: payableIds[0]!, outcome: 'COMPLETE' }]));
    expect(first.body).toEqual({ status: 'applied' });
    const logged = await loggedChanges();
    // The same id, even with another body (a provider bug), is the same event.
    const again = await postBankEvent(app, payableOutcomes([{ payableId: payableIds[0]!, outcome: 'COMPLETE' }]), { id: first.id });
    expect(again).toMatchObject({ status: 200, body: { status: 'duplicate' } });
    expect(await loggedChanges()).toBe(logged);

    const event = payableOutcomes(payableIds.slice(1).map((payableId) => ({ payableId, outcome: 'FAIL' })));
    const id = `msg_${randomUUID()}`;
    const answers = await Promise.all(Array.from({ length: 5 }, () => postBankEvent(app, event, { id })));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.map((a) => a.body.status).sort()).toEqual(['applied', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
    expect(await statuses(runId)).toMatchObject({ run: 'COMPLETED_WITH_ERRORS', payables: ['COMPLETED', 'FAILED', 'FAILED', 'FAILED'] });
    await expectLogReplaysToState(tenant.controller, runId);
  });

  it('refuses a rule with 422 and remembers nothing: the same webhook-id applies once the rule allows it', async () => {
    const { runId, groups } = await fundedRun(app, tenant);
    const { authoriseBatch } = await tenant.controller.client.data(AuthoriseBatch, { batchId: groups[0]!.batches[0]!.id });
    const before = await loggedChanges();
    const early = await postBankEvent(app, fundsReceived(groups[0]!.id));
    expect(early).toMatchObject({ status: 422, body: { code: 'INVALID_STATE' } });
    expect(await loggedChanges()).toBe(before);
    expect((await postBankEvent(app, authorisationOutcome(authoriseBatch.id, 'APPROVE'))).body).toEqual({ status: 'applied' });
    expect((await postBankEvent(app, fundsReceived(groups[0]!.id), { id: early.id })).body).toEqual({ status: 'applied' });
    expect((await readFunding(tenant.controller, runId)).status).toBe('EXECUTING');
  });

  it('answers 404 when BANK_WEBHOOK_SECRET is not set, and 405 to anything but POST', async () => {
    const plain = await startTestApp({ RUN_JOBS: 'false' });
    try {
      expect((await postBankEvent(plain, fundsReceived('x'))).status).toBe(404);
    } finally {
      await plain.stop();
    }
    expect((await fetch(new URL('/bank/events', app.url))).status).toBe(405);
  });

  it('applies 10,000 payable outcomes in one event', async () => {
    const count = 10_000;
    const { runId, payableIds } = await executingRun(count);
    const before = await loggedChanges();
    const result = await postBankEvent(app, payableOutcomes(payableIds.map((payableId, i) => ({ payableId, outcome: i % 100 === 0 ? 'FAIL' : 'COMPLETE' }))));
    expect(result).toMatchObject({ status: 200, body: { status: 'applied' } });
    const [counts] = await app.app.services.domain.prisma.$queryRawUnsafe<{ completed: bigint; failed: bigint }[]>(
      `SELECT count(*) FILTER (WHERE status::text = 'COMPLETED') AS completed, count(*) FILTER (WHERE status::text = 'FAILED') AS failed
         FROM payables WHERE payment_run_id = $1::uuid`, rowIdOf(runId),
    );
    expect([Number(counts!.completed), Number(counts!.failed)]).toEqual([count - count / 100, count / 100]);
    const v = await readFunding(tenant.controller, runId);
    expect(v.status).toBe('COMPLETED_WITH_ERRORS');
    expect(v.fundingGroups.flatMap((g) => g.batches.map((b) => b.status)).every((s) => s === 'PROCESSED')).toBe(true);
    // One logged change per payable, plus the batches, groups and the run that concluded.
    const batches = v.fundingGroups.reduce((n, g) => n + g.batches.length, 0);
    expect(await loggedChanges()).toBe(before + count + batches + v.fundingGroups.length + 1);
  }, 240_000);
});

describe('payable outcomes in bulk', () => {
  let counted: TestApp;
  let buyer: Tenant;
  const statements: string[] = [];
  beforeAll(async () => {
    counted = await startIsolatedApp({ BANK_WEBHOOK_SECRET: BANK_SECRET }, {}, { onQuery: (sql) => void statements.push(sql) });
    buyer = await createTenant(counted);
  });
  afterAll(() => counted?.stop());

  /** Statements of one event completing every payable of a run of `n`, by the table they write. */
  async function writesFor(n: number) {
    const { runId, groups } = await fundedRun(counted, buyer, 'SANDBOX_BANK_GB', Array.from({ length: n }, (_, i) => gbpPayable(i)));
    const { authoriseBatches } = await buyer.controller.client.data(AuthoriseBatches, { batchIds: groups.flatMap((g) => g.batches.map((b) => b.id)) });
    for (const a of authoriseBatches) await postBankEvent(counted, authorisationOutcome(a.id, 'APPROVE'));
    for (const g of groups) await postBankEvent(counted, fundsReceived(g.id));
    const payableIds = (await readFunding(buyer.controller, runId)).payables.edges.map((e) => e.node.id);
    statements.length = 0;
    // Statements are counted up to the answer (the outbox relay reads after commit, outside the event).
    expect((await postBankEvent(counted, payableOutcomes(payableIds.map((payableId) => ({ payableId, outcome: 'COMPLETE' }))))).body).toEqual({ status: 'applied' });
    const during = [...statements];
    const writes = (pattern: RegExp) => during.filter((sql) => pattern.test(sql)).length;
    expect((await readFunding(buyer.controller, runId)).status).toBe('COMPLETED');
    return {
      payables: writes(/^\s*(WITH[\s\S]*)?UPDATE payables/i),
      statusChanges: writes(/INSERT INTO status_changes/i),
      batches: writes(/UPDATE batches/i),
      groups: writes(/UPDATE funding_groups/i),
      runs: writes(/UPDATE "?public"?\.?"?payment_runs"?/i),
    };
  }

  it('write one statement per table, whatever the number of payables', async () => {
    const small = await writesFor(2);
    const large = await writesFor(60);
    expect(small).toMatchObject({ payables: 1, statusChanges: 1, batches: 1, groups: 1, runs: 1 });
    expect(large).toEqual(small);
  });
});

describe('payable outcomes for payable groups', () => {
  /** A bundled run (A, A, B, A, B: two transfers) funded and EXECUTING through events; payables in run order. */
  async function executingBundledRun() {
    const [a, b] = [gbpPayable(0), gbpPayable(1)];
    const lines = [a, a, b, a, b].map((p, i) => ({ ...p, reference: `INV ${i}`, externalRef: `bundle-${i}` }));
    const { runId, groups } = await fundedRun(app, tenant, 'SANDBOX_BANK_GB', lines, { bundleBySupplier: true });
    const { authoriseBatches } = await tenant.controller.client.data(AuthoriseBatches, { batchIds: groups.flatMap((g) => g.batches.map((x) => x.id)) });
    for (const attempt of authoriseBatches) expect((await postBankEvent(app, authorisationOutcome(attempt.id, 'APPROVE'))).status).toBe(200);
    for (const group of groups) expect((await postBankEvent(app, fundsReceived(group.id))).status).toBe(200);
    const v = await readFunding(tenant.controller, runId);
    return { runId, payableIds: v.payables.edges.map((e) => e.node.id) };
  }

  it('apply an outcome named for one member to every member of its transfer', async () => {
    const { runId, payableIds } = await executingBundledRun();
    // One member of A's transfer completes, one of B's fails: the whole transfers follow.
    const sent = await postBankEvent(app, payableOutcomes([{ payableId: payableIds[3]!, outcome: 'COMPLETE' }, { payableId: payableIds[2]!, outcome: 'FAIL', reason: 'Account closed' }]));
    expect(sent).toMatchObject({ status: 200, body: { status: 'applied' } });
    expect((await statuses(runId)).payables).toEqual(['COMPLETED', 'COMPLETED', 'FAILED', 'COMPLETED', 'FAILED']);
    // A later RETURN of one member returns the transfer.
    expect((await postBankEvent(app, payableOutcomes([{ payableId: payableIds[0]!, outcome: 'RETURN' }]))).body).toEqual({ status: 'applied' });
    expect(await statuses(runId)).toMatchObject({ run: 'COMPLETED_WITH_ERRORS', payables: ['RETURNED', 'RETURNED', 'FAILED', 'RETURNED', 'FAILED'] });
    await expectLogReplaysToState(tenant.controller, runId);
  });

  it('take the same outcome named for two members once, and refuse two outcomes for one transfer, changing nothing', async () => {
    const { runId, payableIds } = await executingBundledRun();
    const before = await loggedChanges();
    const conflicting = await postBankEvent(app, payableOutcomes([{ payableId: payableIds[0]!, outcome: 'COMPLETE' }, { payableId: payableIds[1]!, outcome: 'FAIL' }]));
    expect(conflicting).toMatchObject({ status: 422, body: { code: 'BAD_USER_INPUT' } });
    expect(await loggedChanges()).toBe(before);
    expect((await statuses(runId)).payables.every((s) => s === 'EXECUTING')).toBe(true);

    const repeated = await postBankEvent(app, payableOutcomes([{ payableId: payableIds[0]!, outcome: 'COMPLETE' }, { payableId: payableIds[3]!, outcome: 'COMPLETE' }]));
    expect(repeated.body).toEqual({ status: 'applied' });
    expect((await statuses(runId)).payables).toEqual(['COMPLETED', 'COMPLETED', 'EXECUTING', 'COMPLETED', 'EXECUTING']);
    // Three payables moved, each logged once, and A's payable group concluded once.
    const log = await expectLogReplaysToState(tenant.controller, runId);
    expect(log.filter((c) => c.entityType === 'PAYABLE' && c.toStatus === 'COMPLETED')).toHaveLength(3);
  });
});

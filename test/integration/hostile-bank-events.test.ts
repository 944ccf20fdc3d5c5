/**
 * Hostile probes of POST /bank/events that fail on the current code (each a real bug; see the
 * comment on each test for what CONTRACT.md / docs/bank-events.md promise and what happens instead).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import { fundedRun, readFunding, startIsolatedApp } from '../helpers/funding.ts';
import { AuthoriseBatches, BANK_SECRET, authorisationOutcome, fundsReceived, payableOutcomes, postBankEvent } from '../helpers/bank-events.ts';
import { gbpPayable } from '../helpers/payment-runs.ts';
import type { TestApp } from '../helpers/test-app.ts';

let app: TestApp;
let tenant: Tenant;
beforeAll(async () => {
  app = await startIsolatedApp({ BANK_WEBHOOK_SECRET: BANK_SECRET });
  tenant = await createTenant(app);
});
afterAll(() => app?.stop());

const rawId = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1]!;

async function loggedChanges(): Promise<number> {
  const [row] = await app.app.services.domain.prisma.$queryRawUnsafe<{ n: bigint }[]>(
    'SELECT count(*) AS n FROM status_changes WHERE buyer_id = $1::uuid', rawId(tenant.buyerId),
  );
  return Number(row!.n);
}

/** A funded run approved and funded through bank events: its payables EXECUTING. */
async function executingRun() {
  const { runId, groups } = await fundedRun(app, tenant, 'SANDBOX_BANK_GB', [gbpPayable(0), gbpPayable(1)]);
  const { authoriseBatches } = await tenant.controller.client.data(AuthoriseBatches, { batchIds: groups.flatMap((g) => g.batches.map((b) => b.id)) });
  for (const attempt of authoriseBatches) expect((await postBankEvent(app, authorisationOutcome(attempt.id, 'APPROVE'))).status).toBe(200);
  for (const group of groups) expect((await postBankEvent(app, fundsReceived(group.id))).status).toBe(200);
  const v = await readFunding(tenant.controller, runId);
  return { runId, payableIds: v.payables.edges.map((e) => e.node.id) };
}

describe('hostile: POST /bank/events', () => {
  // CONTRACT §8: a malformed body answers 400 and changes nothing; §12: NUL characters are malformed
  // input (never INTERNAL_SERVER_ERROR). A `reason` holding U+0000 (valid JSON: "\u0000") passes
  // the shape check, reaches PostgreSQL (which cannot store NUL in text) and the provider gets
  // 500 {"code":"INTERNAL_SERVER_ERROR"} — a server fault the provider will retry forever, while the
  // same outcomes for that payable stay unapplied.
  it('answers 400 to a payable outcome whose reason holds a NUL character, changing nothing', async () => {
    const { runId, payableIds } = await executingRun();
    const before = await loggedChanges();
    const sent = await postBankEvent(app, payableOutcomes([{ payableId: payableIds[0]!, outcome: 'FAIL', reason: 'Account\u0000closed' }]));
    expect(sent.status).toBe(400);
    expect(sent.body).toMatchObject({ code: expect.any(String) });
    expect(sent.body.code).not.toBe('INTERNAL_SERVER_ERROR');
    expect(await loggedChanges()).toBe(before);
    expect((await readFunding(tenant.controller, runId)).payables.edges.map((e) => e.node.status)).toEqual(['EXECUTING', 'EXECUTING']);
  });

  // docs/bank-events.md: `payables.outcomes` carries 1 to 10,000 outcomes, each `reason` at most 500
  // characters, and the body limit is 4 MiB. Those limits contradict each other: 10,000 outcomes
  // with 500-character reasons are ~5.9 MB, so an event the documentation calls valid is refused
  // with 413 PAYLOAD_TOO_LARGE before its signature or content is even looked at (the comment beside
  // BANK_EVENT_MAX_BYTES sized it for 140-character reasons). A provider reporting a large failed
  // batch with its full reason texts cannot get the outcomes in at all. Expected: the event is read
  // and judged — here, with ids that exist nowhere, 422 NOT_FOUND.
  it('reads a documented-valid event of 10,000 outcomes with 500-character reasons (no 413)', async () => {
    const reason = 'R'.repeat(500);
    const outcomes = Array.from({ length: 10_000 }, () => ({
      payableId: Buffer.from(`Payable:${randomUUID()}`).toString('base64url'), outcome: 'FAIL', reason,
    }));
    const event = payableOutcomes(outcomes);
    expect(JSON.stringify(event).length).toBeGreaterThan(4 * 1024 * 1024);
    const sent = await postBankEvent(app, event);
    expect(sent.status).not.toBe(413);
    expect(sent).toMatchObject({ status: 422, body: { code: 'NOT_FOUND' } });
  });

  // docs/bank-events.md: `reason` is "at most 500 characters". The check counts UTF-16 code units
  // (String.length), so a reason of 300 characters outside the Basic Multilingual Plane (emoji, some
  // CJK, Gothic, …) is 600 units and the whole event is refused 400 "at most 500 characters" —
  // a documented-valid event a provider cannot get in. Expected: the event is read and judged (here,
  // an unknown payable: 422 NOT_FOUND). Low severity: unusual text, but a 400 is a permanent refusal.
  it('counts a reason\'s characters, not UTF-16 code units', async () => {
    const reason = '\u{1F600}'.repeat(300);
    expect([...reason]).toHaveLength(300);
    const sent = await postBankEvent(app, payableOutcomes([{ payableId: Buffer.from(`Payable:${randomUUID()}`).toString('base64url'), outcome: 'FAIL', reason }]));
    expect(sent).toMatchObject({ status: 422, body: { code: 'NOT_FOUND' } });
  });
});

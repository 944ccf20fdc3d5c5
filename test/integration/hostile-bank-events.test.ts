/**
 * Hostile probes of POST /bank/events, each once a real bug (found from outside, fixed after the test
 * failed); the comment on each says what the contract or the docs promise and what happened before.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import { readFunding, startIsolatedApp } from '../helpers/funding.ts';
import {
  BANK_SECRET, executingRun as executingRunOf, loggedChanges as loggedChangesOf, payableGlobalId, payableOutcomes, postBankEvent,
} from '../helpers/bank-events.ts';
import { BANK_EVENT_MAX_BYTES } from '../../src/transport/bank-events.ts';
import type { TestApp } from '../helpers/test-app.ts';

let app: TestApp;
let tenant: Tenant;
beforeAll(async () => {
  app = await startIsolatedApp({ BANK_WEBHOOK_SECRET: BANK_SECRET });
  tenant = await createTenant(app);
});
afterAll(() => app?.stop());

const loggedChanges = () => loggedChangesOf(app, tenant);
const executingRun = () => executingRunOf(app, tenant, 2);

describe('hostile: POST /bank/events', () => {
  // CONTRACT §8: a malformed body answers 400 and changes nothing; §12: NUL characters are malformed
  // input (never INTERNAL_SERVER_ERROR). A `reason` holding U+0000 (valid JSON: "\u0000") used to
  // pass the shape check and reach PostgreSQL (which cannot store NUL in text): the provider got
  // 500 {"code":"INTERNAL_SERVER_ERROR"}, a server fault it would retry forever.
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
  // characters. The body limit was 4 MiB, sized for 140-character reasons, so such an event (about 6 MB)
  // was refused 413 before it was read. Expected: it is read and judged — here, with ids that exist
  // nowhere, 422 NOT_FOUND.
  it('reads a documented-valid event of 10,000 outcomes with 500-character reasons (no 413)', async () => {
    const reason = 'R'.repeat(500);
    const outcomes = Array.from({ length: 10_000 }, () => ({
      payableId: payableGlobalId(randomUUID()), outcome: 'FAIL', reason,
    }));
    const event = payableOutcomes(outcomes);
    expect(JSON.stringify(event).length).toBeGreaterThan(4 * 1024 * 1024);
    const sent = await postBankEvent(app, event);
    expect(sent.status).not.toBe(413);
    expect(sent).toMatchObject({ status: 422, body: { code: 'NOT_FOUND' } });
  });

  it('still answers 413 above the documented body limit, before reading further', async () => {
    const sent = await postBankEvent(app, null, { raw: `{"type":"payables.outcomes","data":"${'x'.repeat(BANK_EVENT_MAX_BYTES)}"}` });
    expect(sent).toMatchObject({ status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  // docs/bank-events.md: `reason` is "at most 500 characters". The check counted UTF-16 code units
  // (String.length), so 300 characters outside the Basic Multilingual Plane (emoji, some CJK, …) were
  // 600 units and the whole event was refused 400, permanently. Expected: the event is read and
  // judged (here, an unknown payable: 422 NOT_FOUND).
  it('counts a reason\'s characters, not UTF-16 code units', async () => {
    const reason = '\u{1F600}'.repeat(300);
    expect([...reason]).toHaveLength(300);
    const sent = await postBankEvent(app, payableOutcomes([{ payableId: payableGlobalId(randomUUID()), outcome: 'FAIL', reason }]));
    expect(sent).toMatchObject({ status: 422, body: { code: 'NOT_FOUND' } });
  });

  // A reason of only spaces said nothing, yet became the payable's statusReason in place of the
  // outcome's own explanation. Expected: it counts as no reason.
  it('gives a payable the outcome\'s own reason when the bank\'s reason is blank', async () => {
    const { runId, payableIds } = await executingRun();
    const sent = await postBankEvent(app, payableOutcomes([{ payableId: payableIds[0]!, outcome: 'FAIL', reason: '   ' }]));
    expect(sent).toMatchObject({ status: 200, body: { status: 'applied' } });
    const failed = (await readFunding(tenant.controller, runId)).payables.edges.find((e) => e.node.id === payableIds[0]);
    expect([failed!.node.status, failed!.node.statusReason]).toEqual(['FAILED', 'Payment failed at the beneficiary bank']);
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import { CancelRun, createRun, gbpPayable, GetRun } from '../helpers/payment-runs.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { connectWs, readLog, StatusChanged, type StatusChangeEvent, type WsTestClient } from '../helpers/ws-client.ts';

/**
 * Fan-out once per event: subscribers whose results cannot differ share one execution per event
 * (src/graphql/shared-subscriptions.ts). Sharing must change nothing a subscriber receives: each
 * still gets its own buyer's events, through its own filters and from its own cursor, exactly once
 * and in order.
 */
const TIMEOUT = 120_000; // several tenants and runs each, on a loaded machine
let app: TestApp;
let sockets: WsTestClient[] = [];

beforeAll(async () => {
  app = await startTestApp();
});
afterEach(async () => {
  await Promise.all(sockets.map((socket) => socket.dispose()));
  sockets = [];
  // The server notices the closes a little later: the next test starts with no stream open.
  await until(() => app.app.services.live.open === 0 && app.app.services.sharedSubscriptions.keys === 0);
});
afterAll(async () => {
  await app?.stop();
});

const ws = (token: string) => {
  const socket = connectWs(app.url, token);
  sockets.push(socket);
  return socket;
};
const settle = () => app.app.services.jobs.drain();
/**
 * A run whose validation has committed (every test file's instance shares the database, so another
 * one may be the instance that validates it): nothing of it is still to come when a count starts.
 */
async function settledRun(creator: Tenant['creator'], payables: ReturnType<typeof gbpPayable>[]) {
  const run = await createRun(creator, payables);
  await settle();
  await until(() => false, async () => (await creator.client.data(GetRun, { id: run.id })).paymentRun?.status !== 'QUEUED');
  return run;
}
const lastCursor = async (t: Tenant) => (await readLog(t.admin.client)).at(-1)?.cursor;
const events = (values: { statusChanged: StatusChangeEvent }[]) => values.map((v) => v.statusChanged);
const shared = () => ({ ...app.app.services.sharedSubscriptions.stats });
/** Polls a condition of the server's own state (no event to wait for); fails after 20 s. */
async function until(ready: () => boolean, readyAsync?: () => Promise<boolean>) {
  const check = async () => (readyAsync ? readyAsync() : ready());
  for (let i = 0; i < 800 && !(await check()); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  expect(await check()).toBe(true);
}
/** Every stream of this instance is live (subscribed to the bus, head read). */
const allLive = async (n: number) => {
  await until(() => app.app.services.live.open >= n);
  expect(app.app.services.live.open).toBe(n);
};

async function scrape() {
  const text = await (await fetch(app.url.replace('/graphql', '/metrics'))).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { executions: value('gateway_subscription_executions_total'), deliveries: value('gateway_subscription_deliveries_total') };
}

describe('shared execution of subscriptions', () => {
  it('executes each event once for subscribers with the same document and variables, and counts it in /metrics', async () => {
    const tenant = await createTenant(app);
    await settledRun(tenant.creator, [gbpPayable(0)]);
    const after = await lastCursor(tenant);
    const subscribers = [tenant.creator, tenant.controller, tenant.admin].map((user) => ws(user.token).subscribe(StatusChanged, { after }));
    await allLive(3);
    // Three users, one document, one cursor: results that only read the event's columns cannot differ.
    expect(app.app.services.sharedSubscriptions.keys).toBe(1);
    const before = await scrape();
    const serialisedBefore = app.app.services.sharedSubscriptions.stats.serialisations;

    await settledRun(tenant.creator, [gbpPayable(1), gbpPayable(2)]);
    const log = await readLog(tenant.admin.client, { after });
    for (const subscriber of subscribers) await subscriber.take(log.length);

    const now = await scrape();
    expect(now.deliveries - before.deliveries).toBe(3 * log.length);
    expect(now.executions - before.executions).toBe(log.length);
    // …and serialised once for the three sockets.
    expect(app.app.services.sharedSubscriptions.stats.serialisations - serialisedBefore).toBe(log.length);
    for (const subscriber of subscribers) expect(events(subscriber.values)).toEqual(log);
  }, TIMEOUT);

  it('gives two subscribers with different `after` every event exactly once, in order, while sharing the live ones', async () => {
    const tenant = await createTenant(app);
    await settledRun(tenant.creator, [gbpPayable(0)]);
    const early = await lastCursor(tenant);
    await settledRun(tenant.creator, [gbpPayable(1), gbpPayable(2)]);
    const late = await lastCursor(tenant);

    const fromEarly = ws(tenant.controller.token).subscribe(StatusChanged, { after: early });
    const fromLate = ws(tenant.creator.token).subscribe(StatusChanged, { after: late });
    await fromEarly.take((await readLog(tenant.admin.client, { after: early })).length); // the replay
    await allLive(2);
    expect(app.app.services.sharedSubscriptions.keys).toBe(1); // `after` is not part of the key
    const before = shared();

    const live = await settledRun(tenant.creator, [gbpPayable(3)]);
    const liveEvents = await readLog(tenant.admin.client, { after: late });
    expect(liveEvents.every((e) => e.paymentRunId === live.id)).toBe(true);
    await fromLate.take(liveEvents.length);
    const fullLog = await readLog(tenant.admin.client, { after: early });
    await fromEarly.take(fullLog.length);

    expect(events(fromEarly.values)).toEqual(fullLog);
    expect(events(fromLate.values)).toEqual(liveEvents);
    const after = shared();
    expect(after.deliveries - before.deliveries).toBe(2 * liveEvents.length);
    expect(after.executions - before.executions).toBe(liveEvents.length);
  }, TIMEOUT);

  it('never lets subscribers of two buyers with the same document see each other\'s events', async () => {
    const [one, two] = await Promise.all([createTenant(app), createTenant(app)]);
    const [afterOne, afterTwo] = await Promise.all([lastCursor(one), lastCursor(two)]);
    const subscribeAll = (t: Tenant, after: string | undefined) => [t.creator, t.controller].map((user) => ws(user.token).subscribe(StatusChanged, { after }));
    const ofOne = subscribeAll(one, afterOne);
    const ofTwo = subscribeAll(two, afterTwo);
    await allLive(4);
    expect(app.app.services.sharedSubscriptions.keys).toBe(2); // one per buyer

    const [runOne, runTwo] = await Promise.all([createRun(one.creator, [gbpPayable(0)]), createRun(two.creator, [gbpPayable(1), gbpPayable(2)])]);
    await settle();
    const [logOne, logTwo] = await Promise.all([readLog(one.admin.client, { after: afterOne }), readLog(two.admin.client, { after: afterTwo })]);
    for (const subscriber of ofOne) await subscriber.take(logOne.length);
    for (const subscriber of ofTwo) await subscriber.take(logTwo.length);
    // One more event of each buyer, so that anything foreign would have arrived by now.
    const [lateOne, lateTwo] = await Promise.all([createRun(one.creator, [gbpPayable(3)]), createRun(two.creator, [gbpPayable(4)])]);
    await settle();
    const [fullOne, fullTwo] = await Promise.all([readLog(one.admin.client, { after: afterOne }), readLog(two.admin.client, { after: afterTwo })]);
    for (const subscriber of ofOne) await subscriber.take(fullOne.length);
    for (const subscriber of ofTwo) await subscriber.take(fullTwo.length);

    for (const subscriber of ofOne) {
      expect(events(subscriber.values)).toEqual(fullOne);
      expect(new Set(events(subscriber.values).map((e) => e.paymentRunId))).toEqual(new Set([runOne.id, lateOne.id]));
    }
    for (const subscriber of ofTwo) {
      expect(events(subscriber.values)).toEqual(fullTwo);
      expect(new Set(events(subscriber.values).map((e) => e.paymentRunId))).toEqual(new Set([runTwo.id, lateTwo.id]));
    }
  }, TIMEOUT);

  it('gives subscribers with different filters only their own events', async () => {
    const tenant = await createTenant(app);
    const first = await createRun(tenant.creator, [gbpPayable(0)]);
    await settle();
    const after = await lastCursor(tenant);
    const socket = ws(tenant.controller.token);
    const runsOnly = socket.subscribe(StatusChanged, { after, entityTypes: ['PAYMENT_RUN'] });
    const payablesOnly = socket.subscribe(StatusChanged, { after, entityTypes: ['PAYABLE'] });
    const oneRun = socket.subscribe(StatusChanged, { after, paymentRunId: first.id });
    const everything = socket.subscribe(StatusChanged, { after });
    await allLive(4);
    expect(app.app.services.sharedSubscriptions.keys).toBe(4);

    const second = await createRun(tenant.creator, [gbpPayable(1), gbpPayable(2)]);
    await settle();
    const log = await readLog(tenant.admin.client, { after });
    await everything.take(log.length);
    const expected = {
      runs: log.filter((e) => e.entityType === 'PAYMENT_RUN'),
      payables: log.filter((e) => e.entityType === 'PAYABLE'),
    };
    await runsOnly.take(expected.runs.length);
    await payablesOnly.take(expected.payables.length);
    // A last event of the first run: the run filter's subscriber gets it, and only it.
    await app.client(tenant.creator.token).data(CancelRun, { id: first.id });
    await settle();
    const full = await readLog(tenant.admin.client, { after });
    await everything.take(full.length);
    await oneRun.take(full.filter((e) => e.paymentRunId === first.id).length);
    await runsOnly.take(full.filter((e) => e.entityType === 'PAYMENT_RUN').length);

    expect(events(everything.values)).toEqual(full);
    expect(events(runsOnly.values)).toEqual(full.filter((e) => e.entityType === 'PAYMENT_RUN'));
    expect(events(payablesOnly.values)).toEqual(full.filter((e) => e.entityType === 'PAYABLE'));
    expect(events(oneRun.values)).toEqual(full.filter((e) => e.paymentRunId === first.id));
    expect(events(oneRun.values).length).toBeGreaterThan(0);
    expect(full.some((e) => e.paymentRunId === second.id)).toBe(true);
  }, TIMEOUT);

  it('shares a selection that reads the viewer (entity.viewerActions) only among the same viewer', async () => {
    const tenant = await createTenant(app);
    await createRun(tenant.creator, [gbpPayable(0)]);
    await settle();
    const after = await lastCursor(tenant);
    const viewerDocument = `subscription ViewerActions($after: String) {
      statusChanged(after: $after, entityTypes: [PAYMENT_RUN]) { cursor toStatus entity { id ... on PaymentRun { viewerActions } } }
    }`;
    type Received = { statusChanged: { cursor: string; toStatus: string; entity: { id: string; viewerActions: string[] } } };
    const asCreator = ws(tenant.creator.token).subscribeText<Received>(viewerDocument, { after });
    const asCreatorAgain = ws(tenant.creator.token).subscribeText<Received>(viewerDocument, { after });
    const asController = ws(tenant.controller.token).subscribeText<Received>(viewerDocument, { after });
    await allLive(3);
    expect(app.app.services.sharedSubscriptions.keys).toBe(2); // the creator's two share; the controller's is its own

    const run = await createRun(tenant.creator, [gbpPayable(1)]);
    await settle();
    const runEvents = (await readLog(tenant.admin.client, { after })).filter((e) => e.entityType === 'PAYMENT_RUN');
    for (const subscriber of [asCreator, asCreatorAgain, asController]) await subscriber.take(runEvents.length);

    // The last event shows the run as it is now, through each viewer's own roles.
    const actionsOf = async (token: string) => (await app.client(token).data<{ paymentRun: { viewerActions: string[] } }, { id: string }>(RunActions, { id: run.id })).paymentRun.viewerActions;
    const [creatorActions, controllerActions] = await Promise.all([actionsOf(tenant.creator.token), actionsOf(tenant.controller.token)]);
    expect(creatorActions).not.toEqual(controllerActions);
    const lastOf = (s: { values: Received[] }) => s.values.at(-1)!.statusChanged;
    expect(lastOf(asCreator).toStatus).toBe('PENDING_CONFIRMATION');
    expect(lastOf(asCreator).entity.viewerActions).toEqual(creatorActions);
    expect(lastOf(asCreatorAgain).entity.viewerActions).toEqual(creatorActions);
    expect(lastOf(asController).entity.viewerActions).toEqual(controllerActions);
    for (const subscriber of [asCreator, asCreatorAgain, asController]) {
      expect(subscriber.values.map((v) => v.statusChanged.cursor)).toEqual(runEvents.map((e) => e.cursor));
    }
  }, TIMEOUT);
});

const RunActions = `query RunActions($id: ID!) { paymentRun(id: $id) { viewerActions } }`;

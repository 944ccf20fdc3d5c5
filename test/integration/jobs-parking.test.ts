import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS, MAX_BACKOFF_MS } from '../../src/domain/shared/job-attempts.ts';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import { createRun, gbpPayable, GetRun } from '../helpers/payment-runs.ts';
import { manualClock, startTestApp, type TestApp } from '../helpers/test-app.ts';
import { createIsolatedDatabase } from '../helpers/isolated-database.ts';

/**
 * One bad row never blocks the others: five QUEUED runs whose validation always fails (a trigger
 * refuses their status change) are retried with backoff and parked, and a sixth queued after them
 * is validated at once. A database of its own, so the queue holds only this test's runs.
 */
let database: Awaited<ReturnType<typeof createIsolatedDatabase>>;
let app: TestApp;
let tenant: Tenant;
let sql: pg.Client;
const clock = manualClock();

beforeAll(async () => {
  database = await createIsolatedDatabase('parking');
  app = await startTestApp({ DATABASE_URL: database.url, REDIS_URL: '', RUN_JOBS: 'false' }, {}, { now: clock.now });
  tenant = await createTenant(app);
  sql = new pg.Client({ connectionString: database.url });
  await sql.connect();
});
afterAll(async () => {
  await sql?.end();
  await app?.stop();
  await database?.drop();
});

const status = async (id: string) => (await tenant.creator.client.data(GetRun, { id, first: 0 })).paymentRun!.status;

describe('background rows that keep failing', () => {
  it('are retried with backoff, then parked and counted, and never stop a later run from being validated', async () => {
    const bad = [];
    for (let i = 0; i < 5; i++) bad.push(await createRun(tenant.creator, [gbpPayable(i)]));
    const rawIds = (await sql.query<{ id: string }>(`SELECT id::text FROM payment_runs ORDER BY id`)).rows.map((r) => r.id);
    expect(rawIds).toHaveLength(5);
    await sql.query(`
      CREATE FUNCTION refuse_validation() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.id = ANY('{${rawIds.join(',')}}'::uuid[]) AND NEW.status <> OLD.status THEN
          RAISE EXCEPTION 'validation of % is broken', NEW.id;
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_validation BEFORE UPDATE ON payment_runs FOR EACH ROW EXECUTE FUNCTION refuse_validation();`);
    const good = await createRun(tenant.creator, [gbpPayable(9)]);

    // The validation task takes the 5 oldest QUEUED runs first: all five fail.
    await app.app.services.jobs.drain();
    expect(await status(good.id)).toBe('PENDING_CONFIRMATION');
    for (const run of bad) expect(await status(run.id)).toBe('QUEUED');

    // Retried after each backoff until parked.
    for (let attempt = 2; attempt <= MAX_ATTEMPTS; attempt++) {
      clock.advance(MAX_BACKOFF_MS);
      await app.app.services.jobs.drain();
    }
    const stats = await app.app.services.jobs.stats();
    expect(stats.parked['payment-run-validation']).toBe(5);
    expect(stats.failures['payment-run-validation']).toBe(5 * MAX_ATTEMPTS);
    const parked = await sql.query(`SELECT attempts, last_error FROM job_failures WHERE task = 'payment-run-validation' AND parked_at IS NOT NULL`);
    expect(parked.rows).toHaveLength(5);
    expect(parked.rows[0].last_error).toMatch(/validation of .* is broken/);

    // Parked means left alone: more time and rounds do not touch them.
    clock.advance(MAX_BACKOFF_MS);
    await app.app.services.jobs.drain();
    expect((await app.app.services.jobs.stats()).failures['payment-run-validation']).toBe(5 * MAX_ATTEMPTS);

    // Once the cause is fixed and the parked row is released, it is validated like any other.
    await sql.query(`DROP TRIGGER refuse_validation ON payment_runs; DROP FUNCTION refuse_validation()`);
    await sql.query(`DELETE FROM job_failures WHERE row_id = $1`, [rawIds[0]]);
    await app.app.services.jobs.drain();
    expect(await status(bad[0]!.id)).toBe('PENDING_CONFIRMATION');
  });
});

import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { uuidv7 } from '../src/domain/shared/ids.ts';
import { ms } from './support.ts';

/**
 * The database's own speed for what accepting a run writes: the run row, its payables, the buyer's
 * event sequence and one status_changes row per entity, in one transaction on a plain pg
 * connection. Parameters (or COPY text) are built before the clock starts; only BEGIN..COMMIT is
 * timed. `transaction` sends the same unnest statements the gateway sends; `copy` streams both tables
 * with COPY FROM STDIN, the fastest load PostgreSQL offers. Ids are UUIDv7 like the gateway's (index
 * locality matters). Rows are written CANCELLED rather than QUEUED, for a buyer of their own, so the
 * gateway's validation job leaves them alone; the status is a constant either way.
 */
export interface FloorPayable { amount: number; reference: string; name: string; accountNumber: string; sortCode: string }

export async function creationFloor(databaseUrl: string, buyerId: string, userId: string, payables: readonly FloorPayable[]) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return { transaction: await viaUnnest(client, buyerId, userId, payables), copy: await viaCopy(client, buyerId, userId, payables) };
  } finally {
    await client.end();
  }
}

async function insertRun(client: pg.Client, buyerId: string, userId: string, runId: string, payables: readonly FloorPayable[]) {
  const total = payables.reduce((sum, p) => sum + p.amount, 0);
  await client.query(
    `INSERT INTO payment_runs (id, buyer_id, status, currency, total_amount, payable_count, created_by_id, updated_at)
     VALUES ($1, $2, 'CANCELLED', 'GBP', $3, $4, $5, now())`, [runId, buyerId, total, payables.length, userId]);
}

async function nextSeq(client: pg.Client, buyerId: string, n: number): Promise<number> {
  const { rows } = await client.query('UPDATE buyers SET event_seq = event_seq + $2 WHERE id = $1 RETURNING event_seq', [buyerId, n]);
  return Number(rows[0].event_seq) - n + 1;
}

async function viaUnnest(client: pg.Client, buyerId: string, userId: string, payables: readonly FloorPayable[]): Promise<number> {
  const runId = uuidv7();
  const ids = payables.map(() => uuidv7());
  const col = <T>(f: (p: FloorPayable) => T) => payables.map(f);
  const nulls = payables.map(() => null);
  const started = process.hrtime.bigint();
  await client.query('BEGIN');
  await insertRun(client, buyerId, userId, runId, payables);
  await client.query(
    `INSERT INTO payables (id, buyer_id, payment_run_id, position, status, currency, amount, reference, external_ref, payment_ref,
       supplier_name, supplier_type, account_number, sort_code, secondary_reference, updated_at)
     SELECT t.id, $1, $2, (t.ord - 1)::int, 'CANCELLED', 'GBP', t.amount, t.reference, t.external_ref, t.payment_ref,
       t.name, 'BUSINESS', t.account_number, t.sort_code, t.secondary_reference, now()
       FROM unnest($3::uuid[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
       WITH ORDINALITY AS t(id, amount, reference, external_ref, payment_ref, name, account_number, sort_code, secondary_reference, ord)`,
    [buyerId, runId, ids, col((p) => p.amount), col((p) => p.reference), nulls, nulls, col((p) => p.name),
      col((p) => p.accountNumber), col((p) => p.sortCode), nulls]);
  const first = await nextSeq(client, buyerId, ids.length + 1);
  await client.query(
    `INSERT INTO status_changes (buyer_id, seq, entity_type, entity_id, payment_run_id, from_status, to_status, actor_id, occurred_at)
     SELECT $1, $2::bigint + c.ord - 1, c.entity_type::"EntityType", c.entity_id, $3, NULL, 'CANCELLED', $4, now()
       FROM unnest($5::text[], $6::uuid[]) WITH ORDINALITY AS c(entity_type, entity_id, ord)`,
    [buyerId, first, runId, userId, ['PAYMENT_RUN', ...ids.map(() => 'PAYABLE')], [runId, ...ids]]);
  await client.query('COMMIT');
  return ms(started);
}

async function copyRows(client: pg.Client, sql: string, text: string): Promise<void> {
  await pipeline(Readable.from([text]), client.query(copyFrom(sql)));
}

async function viaCopy(client: pg.Client, buyerId: string, userId: string, payables: readonly FloorPayable[]): Promise<number> {
  const runId = uuidv7();
  const ids = payables.map(() => uuidv7());
  // Bench data needs no COPY escaping (no tabs, backslashes or newlines in it).
  const payableText = payables.map((p, i) =>
    `${ids[i]}\t${buyerId}\t${runId}\t${i}\tCANCELLED\tGBP\t${p.amount}\t${p.reference}\t${p.name}\tBUSINESS\t${p.accountNumber}\t${p.sortCode}\n`).join('');
  const started = process.hrtime.bigint();
  await client.query('BEGIN');
  await insertRun(client, buyerId, userId, runId, payables);
  await copyRows(client, `COPY payables (id, buyer_id, payment_run_id, position, status, currency, amount, reference,
    supplier_name, supplier_type, account_number, sort_code) FROM STDIN`, payableText);
  const first = await nextSeq(client, buyerId, ids.length + 1);
  const changes = [`${buyerId}\t${first}\tPAYMENT_RUN\t${runId}\t${runId}\tCANCELLED\t${userId}\n`];
  for (let i = 0; i < ids.length; i++) changes.push(`${buyerId}\t${first + 1 + i}\tPAYABLE\t${ids[i]}\t${runId}\tCANCELLED\t${userId}\n`);
  await copyRows(client, 'COPY status_changes (buyer_id, seq, entity_type, entity_id, payment_run_id, to_status, actor_id) FROM STDIN', changes.join(''));
  await client.query('COMMIT');
  return ms(started);
}

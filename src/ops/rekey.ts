/**
 * `npm run rekey` (scripts/rekey.ts): moves every stored secret that a previous key opens under the
 * current key, so the operator can then drop SCA_ENCRYPTION_KEY_PREVIOUS and
 * WEBHOOK_ENCRYPTION_KEY_PREVIOUS (docs/sca.md, docs/webhooks.md "Rotating the key").
 *
 * Safe while gateways serve: rows are read in id order, a batch at a time, and each re-sealed value
 * is written by a conditional update that replaces only the ciphertext it read; a row changed
 * meanwhile (a re-enrolment, a secret rotation, a gateway that re-sealed it on use) is left to the
 * writer that changed it and counted apart. Idempotent: a second run finds everything current.
 * Values no key opens are counted and never touched. Nothing here logs or returns a secret.
 */
import { keyId, type KeyRing } from '../crypto/key-ring.ts';
import { decryptSecret, encryptSecret } from '../domain/webhook/webhook.secrets.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { openSecret, sealSecret } from '../providers/totp/secret-box.ts';

/** One place a sealed secret is stored. Table and column names are fixed here, never input. */
interface SealedColumn {
  readonly table: 'users' | 'webhook_endpoints';
  readonly column: string;
  /** Rows whose value is still used (SQL, fixed here); others are neither re-sealed nor counted. */
  readonly live?: string;
  /** Opens the value for the row (its id is the associated data); null when no key does. */
  open(keys: KeyRing, rowId: string, sealed: string): { plaintext: Buffer; current: boolean } | null;
  seal(keys: KeyRing, rowId: string, plaintext: Buffer): string;
}

const scaColumn = (column: string): SealedColumn => ({
  table: 'users',
  column,
  open(keys, rowId, sealed) {
    const opened = openSecret(keys, rowId, sealed);
    // A v1 value under the current key is upgraded to v2 (counted as re-sealed).
    return opened && { plaintext: opened.plaintext, current: opened.current && !opened.legacy };
  },
  seal: sealSecret,
});

const webhookColumn = (column: string, live?: string): SealedColumn => ({
  table: 'webhook_endpoints',
  column,
  live,
  open(keys, rowId, sealed) {
    try {
      const opened = decryptSecret(keys, rowId, sealed);
      return { plaintext: Buffer.from(opened.secret, 'utf8'), current: opened.current && !opened.legacy };
    } catch {
      return null;
    }
  },
  seal: (keys, rowId, plaintext) => encryptSecret(keys, rowId, plaintext.toString('utf8')),
});

/** The two kinds of secrets, each with its key ring's columns. */
export const SEALED_SECRETS = {
  sca: [scaColumn('sca_secret'), scaColumn('sca_pending_secret')],
  // A previous secret past its grace is never used again (deliveries ignore it): skipped.
  webhooks: [webhookColumn('secret_ciphertext'), webhookColumn('previous_secret_ciphertext', 'previous_secret_expires_at > now()')],
} as const;

export type SecretKind = keyof typeof SEALED_SECRETS;

export interface RekeyCounts {
  /** Opened with a previous key and now sealed under the current one. */
  resealed: number;
  /** Already opened with the current key: nothing to do. */
  alreadyCurrent: number;
  /** No configured key opens them: left as they are. */
  unreadable: number;
  /** Changed by someone else between read and write: left to that writer (a second run checks). */
  changedMeanwhile: number;
  /** Row ids of the first unreadable values (ids only, never values), for the operator to look at. */
  unreadableRows: string[];
}

export interface RekeyOptions {
  readonly prisma: PrismaClient;
  readonly keys: Readonly<Record<SecretKind, KeyRing>>;
  /** Count what would be re-sealed, write nothing. */
  readonly dryRun?: boolean;
  /** Rows read and written per round trip. */
  readonly batchSize?: number;
  /** Called after each batch (progress on a long run). */
  readonly onBatch?: (kind: SecretKind, column: string, counts: Readonly<RekeyCounts>) => void;
  /** Called between reading a batch and writing it: where a serving gateway's writes may land (tests put one there). */
  readonly beforeWrite?: (kind: SecretKind, column: string, rowIds: readonly string[]) => Promise<void>;
}

const MAX_LISTED_ROWS = 20;

export async function rekeySecrets(options: RekeyOptions): Promise<Record<SecretKind, RekeyCounts>> {
  const report = {} as Record<SecretKind, RekeyCounts>;
  for (const kind of Object.keys(SEALED_SECRETS) as SecretKind[]) {
    const counts: RekeyCounts = { resealed: 0, alreadyCurrent: 0, unreadable: 0, changedMeanwhile: 0, unreadableRows: [] };
    for (const column of SEALED_SECRETS[kind]) {
      await rekeyColumn(options, kind, column, counts);
    }
    report[kind] = counts;
  }
  return report;
}

async function rekeyColumn(options: RekeyOptions, kind: SecretKind, target: SealedColumn, counts: RekeyCounts) {
  const { prisma } = options;
  const keys = options.keys[kind];
  const batchSize = options.batchSize ?? 500;
  const { table, column } = target;
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows = await prisma.$queryRawUnsafe<{ id: string; sealed: string }[]>(
      `SELECT id::text AS id, ${column} AS sealed FROM ${table}
        WHERE ${column} IS NOT NULL AND id > $1::uuid ${target.live ? `AND ${target.live}` : ''} ORDER BY id LIMIT $2`,
      after, batchSize,
    );
    if (rows.length === 0) return;
    after = rows[rows.length - 1]!.id;
    const updates: { id: string; from: string; to: string }[] = [];
    for (const row of rows) {
      const opened = target.open(keys, row.id, row.sealed);
      if (!opened) {
        counts.unreadable++;
        if (counts.unreadableRows.length < MAX_LISTED_ROWS) counts.unreadableRows.push(row.id);
      } else if (opened.current) {
        counts.alreadyCurrent++;
      } else {
        updates.push({ id: row.id, from: row.sealed, to: target.seal(keys, row.id, opened.plaintext) });
      }
    }
    if (updates.length > 0 && options.dryRun) {
      counts.resealed += updates.length;
    } else if (updates.length > 0) {
      await options.beforeWrite?.(kind, column, updates.map((u) => u.id));
      // Only where the row still holds the very ciphertext read above.
      const written = await prisma.$queryRawUnsafe<{ id: string }[]>(
        `UPDATE ${table} t SET ${column} = v.sealed_to
           FROM unnest($1::uuid[], $2::text[], $3::text[]) AS v(id, sealed_from, sealed_to)
          WHERE t.id = v.id AND t.${column} = v.sealed_from
          RETURNING t.id`,
        updates.map((u) => u.id), updates.map((u) => u.from), updates.map((u) => u.to),
      );
      counts.resealed += written.length;
      counts.changedMeanwhile += updates.length - written.length;
    }
    options.onBatch?.(kind, column, counts);
    if (rows.length < batchSize) return;
  }
}

const LABELS: Record<SecretKind, { what: string; setting: string }> = {
  sca: { what: 'TOTP secrets (SCA)', setting: 'SCA_ENCRYPTION_KEY' },
  webhooks: { what: 'webhook signing secrets', setting: 'WEBHOOK_ENCRYPTION_KEY' },
};

/** The report as the operator reads it: key ids (fingerprints, not keys), counts, what to do next. */
export function describeRekey(
  keys: Readonly<Record<SecretKind, KeyRing>>, report: Record<SecretKind, RekeyCounts>, { dryRun = false } = {},
): string[] {
  const lines: string[] = [];
  if (dryRun) lines.push('dry run: nothing was written; "re-sealed" counts what a run would re-seal now');
  for (const kind of Object.keys(report) as SecretKind[]) {
    const counts = report[kind];
    const ring = keys[kind];
    const { what, setting } = LABELS[kind];
    const previous = ring.previous.map(keyId).join(', ') || 'none';
    lines.push(`${what}: current key ${keyId(ring.current)}, previous keys ${previous}`);
    lines.push(`  re-sealed ${counts.resealed}, already current ${counts.alreadyCurrent}, unreadable ${counts.unreadable}, changed meanwhile ${counts.changedMeanwhile}`);
    if (counts.unreadable > 0) {
      lines.push(`  unreadable: no configured key opens these values; they were left as they are (rows: ${counts.unreadableRows.join(', ')}${counts.unreadable > counts.unreadableRows.length ? ', …' : ''})`);
    }
    if (counts.changedMeanwhile > 0) {
      lines.push('  some rows changed while this ran: run it again to confirm nothing still needs a previous key');
    } else if (dryRun) {
      if (counts.resealed > 0) lines.push(`  ${counts.resealed} value(s) still need a previous key: run without --dry-run`);
    } else if (ring.previous.length > 0) {
      lines.push(`  no value needs a previous key any more: ${setting}_PREVIOUS can be removed`);
    }
  }
  const left = (Object.values(report) as RekeyCounts[]).reduce(
    (sum, counts) => ({ unreadable: sum.unreadable + counts.unreadable, changed: sum.changed + counts.changedMeanwhile }), { unreadable: 0, changed: 0 },
  );
  lines.push(rekeyIncomplete(report)
    ? `incomplete: ${left.unreadable} unreadable, ${left.changed} changed meanwhile (exit code 3)`
    : dryRun ? 'dry run complete' : 'done: every readable value is sealed under the current key');
  return lines;
}

/** Anything unreadable or changed meanwhile: the rotation is not finished (rekey-main exits 3). */
export function rekeyIncomplete(report: Record<SecretKind, RekeyCounts>): boolean {
  return (Object.values(report) as RekeyCounts[]).some((counts) => counts.unreadable > 0 || counts.changedMeanwhile > 0);
}

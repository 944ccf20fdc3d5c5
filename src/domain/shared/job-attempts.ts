import type { DomainDeps } from './unit-of-work.ts';

/**
 * Attempts, backoff and parking for the rows background tasks work on. A row whose work fails is
 * set aside: retried after a backoff (BASE, doubling, at most MAX_BACKOFF), and after MAX_ATTEMPTS
 * failures parked — left alone, logged at error level by the runner and counted in its stats — so
 * one bad row never blocks the rows behind it. Candidate queries exclude set-aside rows with
 * `notSetAside(...)`; a row that succeeds later (its cause was fixed) forgets its failures.
 * Parked rows are visible in `job_failures` (parked_at set); deleting the row there retries it.
 */
export const MAX_ATTEMPTS = 5;
export const BACKOFF_BASE_MS = 1_000;
export const MAX_BACKOFF_MS = 15 * 60 * 1000;

/** A round in which some rows failed: how many, which were parked now, and how many succeeded. */
export class RowFailures extends Error {
  constructor(
    readonly task: string,
    readonly errors: { rowId: string; error: unknown; attempts: number; parked: boolean }[],
    readonly done: number,
  ) {
    super(`${errors.length} ${task} row(s) failed (${done} done)`);
    this.name = 'RowFailures';
  }
}

/**
 * SQL condition: the row is neither parked nor waiting out a backoff. `$task` and `$now` are the
 * positions of the task name and the current time among the query's parameters.
 */
export const notSetAside = (idColumn: string, task: number, now: number) =>
  `NOT EXISTS (SELECT 1 FROM job_failures f WHERE f.task = $${task} AND f.row_id = ${idColumn}::text
     AND (f.parked_at IS NOT NULL OR f.next_attempt_at > $${now}::timestamptz))`;

export const backoffMs = (attempts: number) => Math.min(MAX_BACKOFF_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1));

/** Runs `work` for each candidate, each failure recorded on its own; throws RowFailures if any failed. */
export async function attemptRows<C extends { id: string }>(
  deps: DomainDeps,
  task: string,
  candidates: readonly C[],
  work: (candidate: C) => Promise<number>,
): Promise<number> {
  if (!candidates.length) return 0;
  const failing = new Set(
    (await deps.prisma.$queryRawUnsafe<{ row_id: string }[]>(
      `SELECT row_id FROM job_failures WHERE task = $1 AND row_id = ANY($2::text[])`,
      task, candidates.map((c) => c.id),
    )).map((row) => row.row_id),
  );
  let done = 0;
  const errors: RowFailures['errors'] = [];
  for (const candidate of candidates) {
    try {
      done += await work(candidate);
      if (failing.has(candidate.id)) {
        await deps.prisma.$executeRawUnsafe(`DELETE FROM job_failures WHERE task = $1 AND row_id = $2`, task, candidate.id);
      }
    } catch (error) {
      errors.push({ rowId: candidate.id, error, ...(await recordFailure(deps, task, candidate.id, error)) });
    }
  }
  if (errors.length) throw new RowFailures(task, errors, done);
  return done;
}

async function recordFailure(deps: DomainDeps, task: string, rowId: string, error: unknown) {
  const now = deps.now();
  const message = (error instanceof Error ? error.message : String(error)).slice(0, 2_000);
  const [row] = await deps.prisma.$queryRawUnsafe<{ attempts: number }[]>(
    `INSERT INTO job_failures (task, row_id, attempts, last_error, next_attempt_at, updated_at)
          VALUES ($1, $2, 1, $3, $4::timestamptz + make_interval(secs => $5::double precision / 1000), $4::timestamptz)
     ON CONFLICT (task, row_id) DO UPDATE SET attempts = job_failures.attempts + 1, last_error = EXCLUDED.last_error, updated_at = EXCLUDED.updated_at
     RETURNING attempts`,
    task, rowId, message, now, BACKOFF_BASE_MS,
  );
  const attempts = Number(row?.attempts ?? 1);
  const parked = attempts >= MAX_ATTEMPTS;
  await deps.prisma.$executeRawUnsafe(
    `UPDATE job_failures SET next_attempt_at = $3::timestamptz, parked_at = $4::timestamptz WHERE task = $1 AND row_id = $2`,
    task, rowId, new Date(now.getTime() + backoffMs(attempts)), parked ? now : null,
  );
  return { attempts, parked };
}

/** Parked rows per task (for metrics and the runner's stats). */
export async function countParked(deps: Pick<DomainDeps, 'prisma'>): Promise<Record<string, number>> {
  const rows = await deps.prisma.$queryRawUnsafe<{ task: string; count: bigint | number }[]>(
    `SELECT task, count(*) AS count FROM job_failures WHERE parked_at IS NOT NULL GROUP BY task`,
  );
  return Object.fromEntries(rows.map((row) => [row.task, Number(row.count)]));
}

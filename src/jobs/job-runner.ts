import { AsyncResource } from 'node:async_hooks';
import { RowFailures } from '../domain/shared/job-attempts.ts';
import type { Logger } from '../logger.ts';

/**
 * Background work without a job table: each task claims due domain rows itself (QUEUED runs,
 * expired challenges, stale authorisations…) with FOR UPDATE SKIP LOCKED, so the work is durable
 * (a crash leaves the row due), runs once across instances, and cannot drift from domain state.
 * A task runs when kicked (right after a local commit that queued work) and on every poll
 * (work queued by another instance, timers), and again while a round still found something.
 */
export interface Task {
  name: string;
  /** Returns how many items it handled; 0 means nothing was due. */
  run(): Promise<number>;
  /** How loudly a failed round is logged (default error; 'warn' for expected outages). */
  failureLevel?: 'warn' | 'error';
  /** Work the task started and still runs on its own (webhook deliveries) is finished or handed back. */
  stop?(): Promise<void>;
}

export interface JobStats {
  /** Failures since start, per task (a failed row, or a failed round of a task without rows). */
  failures: Record<string, number>;
  /** Rows set aside for good, per task (from the database: every instance's). */
  parked: Record<string, number>;
}

export interface JobRunner {
  kick(name?: string): void;
  /** Failure counters and parked rows (for metrics). */
  stats(): Promise<JobStats>;
  /** Runs every task until none finds work (tests, bench). */
  drain(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

export interface JobRunnerOptions {
  pollIntervalMs: number;
  logger: Logger;
  /** Sees every failed round (metrics count them per task). */
  onFailure?: (task: string) => void;
  /** Parked rows per task (shared/job-attempts.ts countParked). */
  parkedCounts?: () => Promise<Record<string, number>>;
}

export function createJobRunner(tasks: Task[], options: JobRunnerOptions): JobRunner {
  const running = new Map<string, Promise<void>>();
  const failures: Record<string, number> = {};
  // Tasks run in the runner's own async context, never in that of the request whose commit kicked
  // them: request-scoped state (an idempotency-ref's effect journal) must not reach background work.
  const scope = new AsyncResource('JobRunner');

  /**
   * One round of a task. Rows that failed were set aside by the task itself (their backoff keeps
   * them out of the next rounds), so the work goes on while others succeed; a parked row is said
   * once, at error level. Returns how many items were handled, or null when the round failed as a
   * whole (then the task waits for the next poll).
   */
  async function round(task: Task): Promise<number | null> {
    try {
      return await task.run();
    } catch (error) {
      if (error instanceof RowFailures) {
        failures[task.name] = (failures[task.name] ?? 0) + error.errors.length;
        for (const failure of error.errors) {
          options.onFailure?.(task.name);
          if (failure.parked) {
            options.logger.error({ err: failure.error, task: task.name, rowId: failure.rowId, attempts: failure.attempts }, 'background row parked after repeated failures; it is left alone until someone looks');
          } else {
            options.logger.warn({ err: failure.error, task: task.name, rowId: failure.rowId, attempts: failure.attempts }, 'background row failed; retrying after a backoff');
          }
        }
        // Others behind the failed rows may be due: go on (failed rows are excluded meanwhile).
        return error.done + error.errors.length;
      }
      failures[task.name] = (failures[task.name] ?? 0) + 1;
      options.onFailure?.(task.name);
      options.logger[task.failureLevel ?? 'error']({ err: error, task: task.name }, 'background task failed; will retry on next poll');
      return null;
    }
  }
  const again = new Set<string>();
  let timer: NodeJS.Timeout | null = null;
  let stopped = true;

  async function runTask(task: Task) {
    do {
      again.delete(task.name);
      for (let handled = await round(task); ; handled = await round(task)) {
        if (handled === null) return;
        if (handled === 0 || stopped) break;
      }
    } while (again.has(task.name) && !stopped);
  }

  function kickTask(task: Task) {
    if (stopped) return;
    if (running.has(task.name)) {
      again.add(task.name);
      return;
    }
    running.set(task.name, scope.runInAsyncScope(() => runTask(task)).finally(() => running.delete(task.name)));
  }

  const kick = (name?: string) => {
    for (const task of tasks) if (!name || task.name === name) kickTask(task);
  };

  function schedule() {
    if (stopped) return;
    timer = setTimeout(() => {
      kick();
      schedule();
    }, options.pollIntervalMs);
    timer.unref();
  }

  return {
    kick,
    async stats() {
      return { failures: { ...failures }, parked: (await options.parkedCounts?.()) ?? {} };
    },
    async drain() {
      for (const task of tasks) {
        // Take the task's single-flight slot like a kick does: run beside this instance's poller and
        // SKIP LOCKED would make the drain skip the rows the poller holds and return too early.
        for (let current = running.get(task.name); current; current = running.get(task.name)) await current;
        const draining = (async () => {
          for (let handled = await round(task); handled; handled = await round(task)) {
            /* drain */
          }
        })();
        running.set(task.name, draining.finally(() => running.delete(task.name)));
        await draining;
      }
    },
    start() {
      stopped = false;
      kick();
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await Promise.all(running.values());
      await Promise.all(tasks.map((task) => task.stop?.()));
    },
  };
}

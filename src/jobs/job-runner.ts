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

export interface JobRunner {
  kick(name?: string): void;
  /** Runs every task until none finds work (tests, bench). */
  drain(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

export function createJobRunner(tasks: Task[], options: { pollIntervalMs: number; logger: Logger }): JobRunner {
  const running = new Map<string, Promise<void>>();
  const again = new Set<string>();
  let timer: NodeJS.Timeout | null = null;
  let stopped = true;

  async function runTask(task: Task) {
    do {
      again.delete(task.name);
      try {
        while ((await task.run()) > 0 && !stopped) {
          /* more may be due */
        }
      } catch (error) {
        options.logger[task.failureLevel ?? 'error']({ err: error, task: task.name }, 'background task failed; will retry on next poll');
        return;
      }
    } while (again.has(task.name) && !stopped);
  }

  function kickTask(task: Task) {
    if (stopped) return;
    if (running.has(task.name)) {
      again.add(task.name);
      return;
    }
    running.set(task.name, runTask(task).finally(() => running.delete(task.name)));
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
    async drain() {
      for (const task of tasks) {
        // Take the task's single-flight slot like a kick does: run beside this instance's poller and
        // SKIP LOCKED would make the drain skip the rows the poller holds and return too early.
        for (let current = running.get(task.name); current; current = running.get(task.name)) await current;
        const draining = (async () => {
          while ((await task.run()) > 0) {
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

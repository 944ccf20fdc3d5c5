import type { Config } from '../config.ts';
import type { DomainDeps } from '../domain/shared/unit-of-work.ts';
import { timeOutAuthorisations } from '../domain/funding/funding.jobs.ts';
import { expireChallenges, validateQueuedRuns } from '../domain/payment-run/payment-run.jobs.ts';
import { deleteExpiredIdempotencyRecords } from '../graphql/idempotency.ts';
import { deleteStaleLoginThrottles } from '../domain/user/user.commands.ts';
import { runAutopilot } from '../sandbox/autopilot.ts';
import type { WebhookDeliverer } from '../domain/webhook/webhook.delivery.ts';
import { pruneDeliveries } from '../domain/webhook/webhook.store.ts';
import type { Task } from './job-runner.ts';

/** The kick name of the task that validates QUEUED runs (commands wake it after queuing one). */
export const VALIDATION_TASK = 'payment-run-validation';
/** The kick name of webhook delivery (woken after commits that logged status changes). */
export const WEBHOOK_DELIVERY_TASK = 'webhook-delivery';

/** Long-lived workers some tasks drive, built by src/services.ts. */
export interface TaskWorkers {
  webhooks: WebhookDeliverer;
}

/** Every background task of one gateway instance, in the order a drain runs them. */
/** Old attempt records go in chunks; once none are left, the next look is a minute later (not every poll). */
function webhookPruning(domain: DomainDeps, config: Readonly<Config>): Task {
  let nextLook = 0;
  return {
    name: 'webhook-delivery-pruning',
    async run() {
      if (Date.now() < nextLook) return 0;
      const deleted = await pruneDeliveries(domain.prisma, config.webhooks.retentionDays);
      if (deleted === 0) nextLook = Date.now() + 60_000;
      return deleted;
    },
  };
}

export function backgroundTasks(domain: DomainDeps, config: Readonly<Config>, workers: TaskWorkers): Task[] {
  return [
    { name: VALIDATION_TASK, run: () => validateQueuedRuns(domain) },
    { name: 'sca-challenge-expiry', run: () => expireChallenges(domain) },
    { name: 'authorisation-timeout', run: () => timeOutAuthorisations(domain) },
    ...(config.sandbox && config.autopilot.enabled ? [{ name: 'sandbox-autopilot', run: () => runAutopilot(domain, config.autopilot) }] : []),
    { name: 'idempotency-cleanup', run: () => deleteExpiredIdempotencyRecords(domain.prisma, domain.now()) },
    { name: 'login-throttle-cleanup', run: () => deleteStaleLoginThrottles(domain) },
    { name: WEBHOOK_DELIVERY_TASK, run: () => workers.webhooks.run(), stop: () => workers.webhooks.stop() },
    webhookPruning(domain, config),
  ];
}

import type { Config } from '../config.ts';
import type { DomainDeps } from '../domain/shared/unit-of-work.ts';
import { timeOutAuthorisations } from '../domain/funding/funding.jobs.ts';
import { expireChallenges, validateQueuedRuns } from '../domain/payment-run/payment-run.jobs.ts';
import { deleteExpiredIdempotencyRecords } from '../graphql/idempotency.ts';
import { deleteStaleLoginThrottles } from '../domain/user/user.commands.ts';
import { runAutopilot } from '../sandbox/autopilot.ts';
import type { Task } from './job-runner.ts';

/** The kick name of the task that validates QUEUED runs (commands wake it after queuing one). */
export const VALIDATION_TASK = 'payment-run-validation';

/** Every background task of one gateway instance, in the order a drain runs them. */
export function backgroundTasks(domain: DomainDeps, config: Readonly<Config>): Task[] {
  return [
    { name: VALIDATION_TASK, run: () => validateQueuedRuns(domain) },
    { name: 'sca-challenge-expiry', run: () => expireChallenges(domain) },
    { name: 'authorisation-timeout', run: () => timeOutAuthorisations(domain) },
    ...(config.sandbox && config.autopilot.enabled ? [{ name: 'sandbox-autopilot', run: () => runAutopilot(domain, config.autopilot) }] : []),
    { name: 'idempotency-cleanup', run: () => deleteExpiredIdempotencyRecords(domain.prisma, domain.now()) },
    { name: 'login-throttle-cleanup', run: () => deleteStaleLoginThrottles(domain) },
  ];
}

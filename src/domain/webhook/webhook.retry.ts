/**
 * Retry schedule for an event a receiver did not accept: the first retry after `baseMs`, doubling
 * per failed attempt, never more than an hour apart, with up to +25% random jitter so that endpoints
 * failing together (a shared receiver's outage) do not retry in lock-step.
 */
export const MAX_RETRY_DELAY_MS = 3_600_000;

export function retryDelayMs(failedAttempts: number, baseMs: number, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(failedAttempts - 1, 0), 40);
  const delay = Math.min(baseMs * 2 ** exponent, MAX_RETRY_DELAY_MS);
  return Math.min(Math.round(delay * (1 + random() * 0.25)), MAX_RETRY_DELAY_MS);
}

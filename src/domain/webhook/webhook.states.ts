/**
 * Lifecycle of a webhook endpoint (CONTRACT.md §9).
 *
 *   ENABLED ─disableWebhookEndpoint, or an event undelivered for WEBHOOK_RETRY_HOURS─▶ DISABLED
 *   DISABLED ─enableWebhookEndpoint─▶ ENABLED (resumes from the first event not yet delivered)
 *
 * Neither state is terminal; deleting an endpoint removes it. Disabling a DISABLED endpoint or
 * enabling an ENABLED one is not an error (the caller gets what they asked for); enabling also
 * clears any backoff, so it doubles as "retry now".
 */
import { defineStateMachine, type TransitionTable } from '../shared/state-machine.ts';

export const WebhookEndpointStatus = { ENABLED: 'ENABLED', DISABLED: 'DISABLED' } as const;
export type WebhookEndpointStatus = (typeof WebhookEndpointStatus)[keyof typeof WebhookEndpointStatus];

export const WEBHOOK_ENDPOINT_TRANSITIONS = {
  ENABLED: ['DISABLED'],
  DISABLED: ['ENABLED'],
} as const satisfies TransitionTable<WebhookEndpointStatus>;

export const webhookEndpointStates = defineStateMachine<WebhookEndpointStatus>('WebhookEndpoint', 'ENABLED', WEBHOOK_ENDPOINT_TRANSITIONS);

/** Why an endpoint is DISABLED (stored; tells an operator whether a person or the retry window did it). */
export const DisabledReason = { ADMIN: 'ADMIN', RETRIES_EXHAUSTED: 'RETRIES_EXHAUSTED' } as const;

/** Who may manage endpoints: ADMINs of the buyer (auth scope `admin` on every field). */
export const WEBHOOK_MANAGER_ROLE = 'ADMIN';

/** What a WEBHOOK_ENDPOINT_CHANGED audit event says happened (besides ENABLED/DISABLED moves). */
export const EndpointChange = { CREATED: 'CREATED', SECRET_ROTATED: 'SECRET_ROTATED', DELETED: 'DELETED' } as const;

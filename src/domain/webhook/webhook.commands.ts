import type { KeyRing } from '../../crypto/key-ring.ts';
import { AuditAction, writeAuditEvent } from '../audit/audit.ts';
import { readLogHead } from '../shared/event-log.ts';
import type { Actor } from '../shared/actor.ts';
import { insufficientPermissions, notFound } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { FieldRules } from '../shared/input.ts';
import type { EntityType } from '../shared/statuses.ts';
import type { DomainDeps, Tx } from '../shared/unit-of-work.ts';
import { checkEndpointUrl } from './webhook.address.ts';
import { encryptSecret, newSigningSecret } from './webhook.secrets.ts';
import { DisabledReason, EndpointChange, WEBHOOK_MANAGER_ROLE, webhookEndpointStates, type WebhookEndpointStatus } from './webhook.states.ts';

/** What the commands need from config beyond DomainDeps. */
export interface WebhookSettings {
  /** New secrets are sealed under its current key. */
  readonly encryptionKeys: KeyRing;
  readonly allowPrivateUrls: boolean;
}

export interface CreateWebhookEndpointInput {
  url: string;
  entityTypes?: readonly EntityType[] | null;
  /** Already decoded; must be one of the buyer's runs. */
  paymentRunId?: string | null;
  description?: string | null;
}

/** After rotation the old secret keeps signing this long, so receivers can switch without a gap. */
export const PREVIOUS_SECRET_GRACE_MS = 24 * 3_600_000;

/** Coarse role check (also enforced by the `admin` auth scope); tenant rules come from the tenant client. */
export function canManageWebhooks(actor: Actor) {
  return actor.roles.has(WEBHOOK_MANAGER_ROLE) ? null : insufficientPermissions('manage webhook endpoints');
}

/** WEBHOOK_ENDPOINT_CHANGED, in the transaction of the change (src/domain/audit/audit.ts). */
const auditEndpoint = (tx: Tx, actor: Actor, id: string, details: Record<string, unknown>) =>
  writeAuditEvent(tx, actor.buyerId, actor, AuditAction.WEBHOOK_ENDPOINT_CHANGED, { type: 'WebhookEndpoint', id }, details);

function enforceManager(actor: Actor) {
  const denied = canManageWebhooks(actor);
  if (denied) throw denied;
}

/**
 * A new endpoint receives every matching status change logged after it was created (its cursor
 * starts at the buyer's current log head). Returns the endpoint and its secret, shown this once.
 */
export async function createWebhookEndpoint(deps: DomainDeps, settings: WebhookSettings, actor: Actor, input: CreateWebhookEndpointInput) {
  enforceManager(actor);
  const rules = new FieldRules();
  rules.text('url', input.url, 1, 2048);
  if (input.url) rules.add(...checkEndpointUrl(input.url, settings.allowPrivateUrls));
  rules.text('description', input.description, 0, 500);
  rules.throwIfAny();
  const db = deps.tenantDb(actor.buyerId);
  if (input.paymentRunId) {
    const run = await db.paymentRun.findUnique({ where: { id: input.paymentRunId }, select: { id: true } });
    if (!run) throw notFound('Payment run');
  }
  const id = uuidv7();
  const secret = newSigningSecret();
  const cursorSeq = await readLogHead(deps.prisma, actor.buyerId);
  const endpoint = await db.$transaction(async (tx) => {
    const created = await tx.webhookEndpoint.create({ data: {
      id,
      buyerId: actor.buyerId,
      url: input.url,
      description: input.description ?? null,
      entityTypes: [...new Set(input.entityTypes ?? [])],
      paymentRunId: input.paymentRunId ?? null,
      secretCiphertext: encryptSecret(settings.encryptionKeys, id, secret),
      cursorSeq,
    } });
    await auditEndpoint(tx, actor, id, {
      change: EndpointChange.CREATED, url: created.url, entityTypes: created.entityTypes, paymentRunFilter: created.paymentRunId !== null,
    });
    return created;
  });
  return { endpoint, secret };
}

/** A new secret; the previous one keeps signing (a second signature) for 24 h. */
export async function rotateWebhookSecret(deps: DomainDeps, settings: WebhookSettings, actor: Actor, id: string) {
  enforceManager(actor);
  return deps.tenantDb(actor.buyerId).$transaction(async (tx) => {
    // Lock the row: two rotations at once must not both keep the same "previous" secret.
    const [locked] = await tx.$queryRawUnsafe<{ secret_ciphertext: string }[]>(
      'SELECT secret_ciphertext FROM webhook_endpoints WHERE id = $1::uuid AND buyer_id = $2::uuid FOR UPDATE',
      id,
      actor.buyerId,
    );
    if (!locked) throw notFound('Webhook endpoint');
    const secret = newSigningSecret();
    const endpoint = await tx.webhookEndpoint.update({
      where: { id },
      data: {
        secretCiphertext: encryptSecret(settings.encryptionKeys, id, secret),
        previousSecretCiphertext: locked.secret_ciphertext,
        previousSecretExpiresAt: new Date(deps.now().getTime() + PREVIOUS_SECRET_GRACE_MS),
      },
    });
    await auditEndpoint(tx, actor, id, { change: EndpointChange.SECRET_ROTATED, url: endpoint.url });
    return { endpoint, secret };
  });
}

async function moveTo(deps: DomainDeps, actor: Actor, id: string, to: WebhookEndpointStatus) {
  enforceManager(actor);
  return deps.tenantDb(actor.buyerId).$transaction(async (tx) => {
    const endpoint = await tx.webhookEndpoint.findUnique({ where: { id }, select: { status: true, url: true } });
    if (!endpoint) throw notFound('Webhook endpoint');
    if (endpoint.status !== to) webhookEndpointStates.assertTransition(endpoint.status, to, `${to.toLowerCase()} the endpoint`);
    await auditEndpoint(tx, actor, id, { change: to, from: endpoint.status, url: endpoint.url });
    if (to === 'DISABLED') {
      return tx.webhookEndpoint.update({ where: { id }, data: { status: to, disabledReason: endpoint.status === to ? undefined : DisabledReason.ADMIN } });
    }
    // Enabling clears the backoff: delivery resumes now, from the first event not yet delivered.
    return tx.webhookEndpoint.update({
      where: { id },
      data: { status: to, disabledReason: null, failedAttempts: 0, failingSince: null, nextAttemptAt: new Date(0) },
    });
  });
}

export const disableWebhookEndpoint = (deps: DomainDeps, actor: Actor, id: string) => moveTo(deps, actor, id, 'DISABLED');
export const enableWebhookEndpoint = (deps: DomainDeps, actor: Actor, id: string) => moveTo(deps, actor, id, 'ENABLED');

/** Removes the endpoint and its attempt records; a delivery in flight finds its claim gone and stops. */
export async function deleteWebhookEndpoint(deps: DomainDeps, actor: Actor, id: string) {
  enforceManager(actor);
  return deps.tenantDb(actor.buyerId).$transaction(async (tx) => {
    const endpoint = await tx.webhookEndpoint.findUnique({ where: { id }, select: { url: true } });
    const { count } = await tx.webhookEndpoint.deleteMany({ where: { id } });
    if (count === 0 || !endpoint) throw notFound('Webhook endpoint');
    await auditEndpoint(tx, actor, id, { change: EndpointChange.DELETED, url: endpoint.url });
    return true;
  });
}

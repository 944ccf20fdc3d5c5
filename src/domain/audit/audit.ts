/**
 * The audit trail: who did what to which object, for the changes an auditor asks about (sign-ins,
 * users and roles, SCA, API keys, bank accounts, supplier bank details, webhook endpoints). Rows are
 * written with the transaction's own client, so an operation that fails leaves no trace of having
 * succeeded, and the table refuses UPDATE and DELETE (see the migration's trigger).
 *
 * `details` is JSON text. Bank details never appear in full: account numbers, IBANs and sort codes
 * keep only their last 4 characters, whoever calls this (the redaction happens here, not at callers).
 */
import type { Tx } from '../shared/unit-of-work.ts';

export const AuditAction = {
  LOGIN_SUCCEEDED: 'LOGIN_SUCCEEDED',
  LOGIN_FAILED: 'LOGIN_FAILED',
  LOGGED_OUT: 'LOGGED_OUT',
  PASSWORD_CHANGED: 'PASSWORD_CHANGED',
  USER_CREATED: 'USER_CREATED',
  USER_ROLES_CHANGED: 'USER_ROLES_CHANGED',
  USER_DEACTIVATED: 'USER_DEACTIVATED',
  SCA_ENROLLED: 'SCA_ENROLLED',
  SCA_RESET: 'SCA_RESET',
  API_KEY_CREATED: 'API_KEY_CREATED',
  API_KEY_REVOKED: 'API_KEY_REVOKED',
  LINKED_ACCOUNT_LINKED: 'LINKED_ACCOUNT_LINKED',
  LINKED_ACCOUNT_UNLINKED: 'LINKED_ACCOUNT_UNLINKED',
  PAYABLE_SUPPLIER_CHANGED: 'PAYABLE_SUPPLIER_CHANGED',
  WEBHOOK_ENDPOINT_CHANGED: 'WEBHOOK_ENDPOINT_CHANGED',
} as const;
export type AuditAction = (typeof AuditAction)[keyof typeof AuditAction];

/** The object an event is about: its GraphQL type name and row id (served as a global id). */
export interface AuditTarget {
  readonly type: string;
  readonly id: string;
}

/** Who acted: a user, possibly through an API key; null for the operator or an anonymous caller. */
export interface AuditActor {
  readonly userId: string | null;
  readonly apiKeyId?: string | null;
}

/** Field names whose values are bank identifiers, in any nesting (camelCase and snake_case). */
const BANK_FIELDS = new Set(['accountnumber', 'account_number', 'iban', 'sortcode', 'sort_code']);

/** "12345678" → "****5678": enough to tell accounts apart, never enough to pay one. */
export function lastFour(value: string): string {
  return `****${value.slice(-4)}`;
}

export function redactBankDetails(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactBankDetails);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, field]) => [
      key,
      BANK_FIELDS.has(key.toLowerCase()) && typeof field === 'string' ? lastFour(field) : redactBankDetails(field),
    ]),
  );
}

/**
 * Appends one audit event inside `tx` (a transaction of `buyerId`'s tenant client). Exported for
 * features whose commands do not run through the unit of work (e.g. webhook endpoints).
 */
export async function writeAuditEvent(
  tx: Tx,
  buyerId: string,
  actor: AuditActor | null,
  action: AuditAction,
  target: AuditTarget | null,
  details?: Record<string, unknown> | null,
): Promise<void> {
  await tx.auditEvent.create({
    data: {
      buyerId,
      action,
      actorId: actor?.userId ?? null,
      apiKeyId: actor?.apiKeyId ?? null,
      targetType: target?.type ?? null,
      targetId: target?.id ?? null,
      details: details == null ? null : JSON.stringify(redactBankDetails(details)),
    },
  });
}

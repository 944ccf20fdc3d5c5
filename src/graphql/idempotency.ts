import { createHash } from 'node:crypto';
import { getOperationAST, GraphQLError, Kind, print, type DocumentNode, type ExecutionResult, type SelectionSetNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { DomainError, ErrorCode } from '../domain/shared/errors.ts';
import { isUniqueViolation } from '../domain/user/user.commands.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { runWithJournal, type EffectJournal } from '../domain/shared/effect-journal.ts';
import type { GraphQLContext } from './context.ts';

/**
 * `idempotency-ref` on a mutation (CONTRACT.md §6, §12): the same ref from the same caller with the
 * same operation and variables within 24 h returns the first response and causes no second effect;
 * other variables answer IDEMPOTENCY_REF_REUSED; a duplicate while the first still runs answers
 * IDEMPOTENT_REQUEST_IN_PROGRESS. The first request claims its ref with a unique row before it
 * executes, so two racing duplicates can never both run.
 *
 * A crash must not wedge the ref. The claim is a lease: its owner renews `lease_until` while it
 * runs, so a claim whose process died (SIGKILL, power loss) expires within one lease and the next
 * duplicate takes it over. Every domain transaction of the request journals its result in that same
 * transaction (domain/shared/effect-journal.ts), so the taking-over attempt replays what was
 * committed instead of doing it again, and answers from it. A response that failed unexpectedly (not
 * a contract error) before committing anything releases the ref so the client can retry.
 */
const TTL_MS = 24 * 60 * 60 * 1000;
/** The operator has no user row; its refs live under this fixed id. */
const OPERATOR_ID = '00000000-0000-0000-0000-000000000000';

type Claim =
  | { kind: 'claimed'; id: string; replay: unknown[] }
  | { kind: 'replay'; response: ExecutionResult }
  | { kind: 'refused'; error: DomainError };

async function claim(prisma: PrismaClient, userId: string, ref: string, requestHash: string, now: Date, leaseMs: number): Promise<Claim> {
  const leaseUntil = new Date(now.getTime() + leaseMs);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const record = await prisma.idempotencyRecord.create({
        data: { userId, ref, requestHash, expiresAt: new Date(now.getTime() + TTL_MS), leaseUntil },
      });
      return { kind: 'claimed', id: record.id, replay: [] };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    const existing = await prisma.idempotencyRecord.findUnique({ where: { userId_ref: { userId, ref } } });
    if (!existing) continue; // released meanwhile: claim again
    if (existing.expiresAt <= now) {
      await prisma.idempotencyRecord.deleteMany({ where: { id: existing.id, expiresAt: { lte: now } } });
      continue;
    }
    if (existing.requestHash !== requestHash) {
      return { kind: 'refused', error: new DomainError(ErrorCode.IDEMPOTENCY_REF_REUSED, 'This idempotency-ref was used for another request') };
    }
    if (existing.state === 'COMPLETED') return { kind: 'replay', response: existing.response as ExecutionResult };
    const lapsed = (existing.leaseUntil ?? new Date(existing.createdAt.getTime() + leaseMs)) <= now;
    if (lapsed) {
      // The owner stopped renewing (it died): take the claim over, at most one taker wins.
      const { count } = await prisma.idempotencyRecord.updateMany({
        where: { id: existing.id, state: 'IN_PROGRESS', leaseUntil: existing.leaseUntil },
        data: { leaseUntil },
      });
      if (count === 1) return { kind: 'claimed', id: existing.id, replay: (existing.effects as unknown[] | null) ?? [] };
      continue;
    }
    return { kind: 'refused', error: new DomainError(ErrorCode.IDEMPOTENT_REQUEST_IN_PROGRESS, 'The first request with this idempotency-ref is still running') };
  }
  throw new Error('could not claim idempotency ref');
}

/**
 * Mutations whose answer is a credential shown once (a TOTP secret, an API key's secret, a webhook
 * signing secret, a token): a stored response — and the journal of its transaction — would keep it
 * in clear in the database for 24 h and hand it out again, so an operation with one of them does not
 * honour idempotency-ref. Repeating one is safe to see: a second enrolment replaces the pending one;
 * a second key or endpoint is listed (apiKeys, webhookEndpoints) and can be revoked or deleted.
 */
const ANSWERS_A_SECRET_ONCE = new Set(['startScaEnrolment', 'createApiKey', 'createWebhookEndpoint', 'rotateWebhookSecret', 'login']);

function selectsSecretOnce(document: DocumentNode, set: SelectionSetNode, seen = new Set<string>()): boolean {
  return set.selections.some((selection) => {
    if (selection.kind === Kind.FIELD) return ANSWERS_A_SECRET_ONCE.has(selection.name.value);
    if (selection.kind === Kind.INLINE_FRAGMENT) return selectsSecretOnce(document, selection.selectionSet, seen);
    const name = selection.name.value;
    if (seen.has(name)) return false;
    seen.add(name);
    const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === name);
    return fragment?.kind === Kind.FRAGMENT_DEFINITION && selectsSecretOnce(document, fragment.selectionSet, seen);
  });
}

const hasUnexpectedError = (result: ExecutionResult) =>
  (result.errors ?? []).some((error) => {
    let cause: unknown = error;
    while (cause instanceof GraphQLError && cause.originalError) cause = cause.originalError;
    return !(cause instanceof DomainError) && !(cause instanceof GraphQLError && cause.extensions?.code);
  });

/** What a client received, as plain JSON (errors already in their public shape). */
function serialise(result: ExecutionResult, mask: (error: unknown) => Error): ExecutionResult {
  return JSON.parse(JSON.stringify({ data: result.data, errors: result.errors?.map((e) => mask(e)) }));
}

function revive(response: ExecutionResult): ExecutionResult {
  return {
    data: response.data,
    errors: response.errors?.map((e) => new GraphQLError(e.message, { path: e.path, extensions: e.extensions })),
  };
}

export interface IdempotencyOptions {
  /** How long a claim holds without renewal: after a crash, the ref is free again within this. */
  leaseMs: number;
}

export function useIdempotency(prisma: PrismaClient, now: () => Date, mask: (error: unknown) => Error, options: IdempotencyOptions): Plugin {
  const { leaseMs } = options;
  return {
    async onExecute({ args, setResultAndStopExecution, executeFn, setExecuteFn }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'mutation') return;
      const ctx = args.contextValue as unknown as GraphQLContext & { request?: Request };
      const ref = ctx.request?.headers.get('idempotency-ref');
      const caller = ctx.actor?.userId ?? (ctx.isOperator ? OPERATOR_ID : null);
      if (!ref || !caller) return;
      if (selectsSecretOnce(args.document, operation.selectionSet)) return;

      const requestHash = createHash('sha256')
        .update(print(args.document))
        .update('\0')
        .update(args.operationName ?? '')
        .update('\0')
        .update(JSON.stringify(args.variableValues ?? {}))
        .digest('hex');
      const outcome = await claim(prisma, caller, ref.slice(0, 255), requestHash, now(), leaseMs);
      if (outcome.kind === 'replay') return setResultAndStopExecution(revive(outcome.response));
      if (outcome.kind === 'refused') {
        return setResultAndStopExecution({
          errors: [new GraphQLError(outcome.error.message, { extensions: { code: outcome.error.code } })],
        });
      }

      const journal: EffectJournal = { recordId: outcome.id, replay: outcome.replay, next: 0, committed: 0 };
      setExecuteFn((executeArgs) => runWithJournal(journal, () => executeFn(executeArgs)));
      // Renew the lease while this process runs the request; if it dies, renewals stop.
      const renew = setInterval(() => {
        prisma.idempotencyRecord
          .updateMany({ where: { id: outcome.id, state: 'IN_PROGRESS' }, data: { leaseUntil: new Date(now().getTime() + leaseMs) } })
          .catch(() => {}); // a missed renewal only shortens the lease
      }, Math.max(100, Math.floor(leaseMs / 3)));
      renew.unref();
      return {
        async onExecuteDone({ result }) {
          clearInterval(renew);
          if (Symbol.asyncIterator in result) return;
          if (hasUnexpectedError(result)) {
            if (journal.committed === 0 && journal.replay.length === 0) {
              await prisma.idempotencyRecord.delete({ where: { id: outcome.id } }).catch(() => {});
            } else {
              // Something committed: keep the journal, free the claim for a retry to replay it.
              await prisma.idempotencyRecord.updateMany({ where: { id: outcome.id }, data: { leaseUntil: now() } }).catch(() => {});
            }
            return;
          }
          await prisma.idempotencyRecord.update({
            where: { id: outcome.id },
            data: { state: 'COMPLETED', response: serialise(result, mask) as object, leaseUntil: null },
          });
        },
      };
    },
  };
}

/** Housekeeping: records past their 24 h are deleted (a task of the job runner). */
export async function deleteExpiredIdempotencyRecords(prisma: PrismaClient, now: Date): Promise<number> {
  const { count } = await prisma.idempotencyRecord.deleteMany({ where: { expiresAt: { lte: now } } });
  return count;
}

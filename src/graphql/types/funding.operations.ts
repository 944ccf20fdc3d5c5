/**
 * Funding mutations (CONTRACT.md §3, §4 "Funding"). Resolvers decode ids, call one command, reload
 * with the client's selection. Roles come from the domain's action tables (actionScopes).
 *
 * simulate* need an authenticated user of the buyer, whatever their roles: they stand in for the
 * bank, not for a decision of the buyer's (those — fund, authorise, cancel — are CONTROLLER-only, and
 * authorising needs SCA). Outside the sandbox they answer SANDBOX_DISABLED before anything else.
 */
import * as funding from '../../domain/funding/funding.commands.ts';
import { AuthorisationOutcome } from '../../domain/funding/authorisation.commands.ts';
import { PayableOutcome } from '../../domain/funding/execution.commands.ts';
import { sandboxOnly } from '../../domain/funding/funding.policy.ts';
import { enforce } from '../../domain/payment-run/payment-run.policy.ts';
import { DomainError, ErrorCode } from '../../domain/shared/errors.ts';
import { PAYABLE_OUTCOMES } from '../../domain/payment-run/payable.states.ts';
import { PAYMENT_RUN_ACTIONS } from '../../domain/payment-run/payment-run.states.ts';
import {
  AUTHORISATION_ACTIONS, BATCH_ACTIONS, FUNDING_GROUP_ACTIONS,
} from '../../domain/funding/funding.states.ts';
import { actionScopes } from '../action-scopes.ts';
import { builder } from '../builder.ts';
import type { GraphQLContext } from '../context.ts';
import { encodeGlobalId, idOf } from '../ids.ts';
import { scopesFor } from '../role-scopes.ts';

const AuthorisationOutcomeEnum = builder.enumType('AuthorisationOutcome', { values: Object.values(AuthorisationOutcome) });
const PayableOutcomeEnum = builder.enumType('PayableOutcome', { values: Object.values(PayableOutcome) });

/** An id that is not one of the buyer's linked accounts answers the contract's code, malformed or not. */
function linkedAccountId(globalId: string, index: number): string {
  try {
    return idOf('LinkedAccount', globalId);
  } catch {
    throw new DomainError(ErrorCode.LINKED_ACCOUNT_NOT_FOUND, 'Linked account not found', { fieldName: `linkedAccountIds[${index}]` });
  }
}

/** The domain names payables by their database ids; clients know them by their global ids. */
async function withGlobalPayableId<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DomainError && typeof error.extensions.payableId === 'string') {
      throw new DomainError(error.code, error.message, { ...error.extensions, payableId: encodeGlobalId('Payable', error.extensions.payableId) });
    }
    // A payable group over the funding limit names its members (it has no id yet: nothing was stored).
    if (error instanceof DomainError && Array.isArray(error.extensions.payableIds)) {
      const payableIds = (error.extensions.payableIds as string[]).map((id) => encodeGlobalId('Payable', id));
      throw new DomainError(error.code, error.message, { ...error.extensions, payableIds });
    }
    throw error;
  }
}

const deps = (ctx: GraphQLContext) => ctx.services.domain;
const reloadGroup = (ctx: GraphQLContext, query: object, id: string) => ctx.db!.fundingGroup.findUniqueOrThrow({ ...query, where: { id } });
const reloadAttempt = (ctx: GraphQLContext, query: object, id: string) => ctx.db!.authorisation.findUniqueOrThrow({ ...query, where: { id } });

builder.mutationFields((t) => ({
  fundPaymentRun: t.prismaField({
    type: ['FundingGroup'],
    description: 'Splits the run into funding groups and batches, once; calling again returns the same groups.',
    authScopes: actionScopes(PAYMENT_RUN_ACTIONS.fund),
    args: { id: t.arg.id(), linkedAccountIds: t.arg.idList() },
    resolve: async (query, _root, args, ctx) => {
      const runId = idOf('PaymentRun', args.id);
      const accountIds = args.linkedAccountIds.map((id, i) => linkedAccountId(String(id), i));
      const ids = await withGlobalPayableId(() => funding.fundPaymentRun(deps(ctx), ctx.actor!, runId, accountIds));
      return ctx.db!.fundingGroup.findMany({ ...query, where: { id: { in: ids } }, orderBy: { position: 'asc' } });
    },
  }),
  cancelFundingGroup: t.prismaField({
    type: 'FundingGroup',
    authScopes: actionScopes(FUNDING_GROUP_ACTIONS.cancel),
    args: { paymentRunId: t.arg.id(), reference: t.arg.string() },
    resolve: async (query, _root, args, ctx) => {
      const { id } = await funding.cancelFundingGroup(deps(ctx), ctx.actor!, idOf('PaymentRun', args.paymentRunId), args.reference);
      return reloadGroup(ctx, query, id);
    },
  }),
  authoriseBatch: t.prismaField({
    type: 'Authorisation',
    description: 'Starts an attempt to authorise the batch at the bank (SCA enrolled CONTROLLER).',
    authScopes: actionScopes(BATCH_ACTIONS.authorise),
    args: { batchId: t.arg.id() },
    resolve: async (query, _root, args, ctx) => {
      const { id } = await funding.authoriseBatch(deps(ctx), ctx.actor!, idOf('Batch', args.batchId));
      return reloadAttempt(ctx, query, id);
    },
  }),
  authoriseBatches: t.prismaField({
    type: ['Authorisation'],
    authScopes: actionScopes(BATCH_ACTIONS.authoriseMany),
    args: { batchIds: t.arg.idList() },
    resolve: async (query, _root, args, ctx) => {
      const attempts = await funding.authoriseBatches(deps(ctx), ctx.actor!, args.batchIds.map((id) => idOf('Batch', String(id))));
      const rows = await ctx.db!.authorisation.findMany({ ...query, where: { id: { in: attempts.map((a) => a.id) } } });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return attempts.map((a) => byId.get(a.id)!);
    },
  }),
  cancelAuthorisation: t.prismaField({
    type: 'Authorisation',
    authScopes: actionScopes(AUTHORISATION_ACTIONS.cancel),
    args: { id: t.arg.id() },
    resolve: async (query, _root, args, ctx) => {
      const { id } = await funding.cancelAuthorisation(deps(ctx), ctx.actor!, idOf('Authorisation', args.id));
      return reloadAttempt(ctx, query, id);
    },
  }),
  simulateAuthorisationOutcome: t.prismaField({
    type: 'Authorisation',
    description: 'Sandbox only: the bank\'s answer to an authorisation attempt.',
    authScopes: actionScopes(AUTHORISATION_ACTIONS.concludeAtBank),
    args: { id: t.arg.id(), outcome: t.arg({ type: AuthorisationOutcomeEnum }) },
    resolve: async (query, _root, args, ctx) => {
      enforce(sandboxOnly(deps(ctx)));
      const { id } = await funding.simulateAuthorisationOutcome(deps(ctx), ctx.actor!, idOf('Authorisation', args.id), args.outcome);
      return reloadAttempt(ctx, query, id);
    },
  }),
  simulateFundsReceived: t.prismaField({
    type: 'FundingGroup',
    description: 'Sandbox only: the group\'s money has arrived; its payables start executing.',
    authScopes: actionScopes(FUNDING_GROUP_ACTIONS.receiveFunds),
    args: { fundingGroupId: t.arg.id() },
    resolve: async (query, _root, args, ctx) => {
      enforce(sandboxOnly(deps(ctx)));
      const { id } = await funding.simulateFundsReceived(deps(ctx), ctx.actor!, idOf('FundingGroup', args.fundingGroupId));
      return reloadGroup(ctx, query, id);
    },
  }),
  simulatePayableOutcome: t.prismaField({
    type: 'Payable',
    description: 'Sandbox only: COMPLETE or FAIL an EXECUTING payable, or RETURN a COMPLETED one.',
    authScopes: actionScopes(PAYABLE_OUTCOMES.COMPLETE),
    args: { id: t.arg.id(), outcome: t.arg({ type: PayableOutcomeEnum }) },
    resolve: async (query, _root, args, ctx) => {
      enforce(sandboxOnly(deps(ctx)));
      const { id } = await funding.simulatePayableOutcome(deps(ctx), ctx.actor!, idOf('Payable', args.id), args.outcome);
      return ctx.db!.payable.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
}));

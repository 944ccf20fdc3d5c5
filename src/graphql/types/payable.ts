import { PayableStatus } from '../../domain/shared/statuses.ts';
import { DomainError, ErrorCode, FieldError } from '../../domain/shared/errors.ts';
import { builder } from '../builder.ts';
import type { GraphQLContext } from '../context.ts';
import type { PayableParent } from '../loaders.ts';
import { BankAccountDetails, Money, SupplierTypeEnum } from './common.ts';
import { pageInfo, pageWindow, type PageArgs } from './pagination.ts';

export const PayableStatusEnum = builder.enumType('PayableStatus', { values: Object.values(PayableStatus) });
const CopMatchEnum = builder.enumType('CopMatch', { values: ['EXACT_MATCH', 'CLOSE_MATCH', 'NO_MATCH'] as const });
const CopReasonCodeEnum = builder.enumType('CopReasonCode', {
  values: ['ANNM', 'MBAM', 'BANM', 'PANM', 'BAMM', 'PAMM', 'AC01', 'IVCR', 'ACNS', 'OPTO', 'CASS', 'SCNS'] as const,
});

interface OutcomeValue {
  category: string;
  match: 'EXACT_MATCH' | 'CLOSE_MATCH' | 'NO_MATCH' | null;
  reasonCode: (typeof CopReasonCodeEnum.$inferType) | null;
  accountName: string | null;
}

const ValidationOutcome = builder.objectRef<OutcomeValue>('ValidationOutcome').implement({
  fields: (t) => ({
    category: t.exposeString('category'),
    match: t.field({ type: CopMatchEnum, nullable: true, resolve: (o) => o.match }),
    reasonCode: t.field({ type: CopReasonCodeEnum, nullable: true, resolve: (o) => o.reasonCode }),
    accountName: t.exposeString('accountName', { nullable: true }),
  }),
});

interface SupplierValue {
  supplierName: string;
  supplierAddress: string | null;
  supplierBankName: string | null;
  supplierBankAddress: string | null;
  supplierBankCountry: string | null;
  supplierType: 'PERSONAL' | 'BUSINESS' | null;
  accountNumber: string | null;
  sortCode: string | null;
  secondaryReference: string | null;
  iban: string | null;
  bankIdentifierCode: string | null;
}

export const Supplier = builder.objectRef<SupplierValue>('Supplier').implement({
  fields: (t) => ({
    name: t.string({ resolve: (s) => s.supplierName }),
    address: t.string({ nullable: true, resolve: (s) => s.supplierAddress }),
    bankName: t.string({ nullable: true, resolve: (s) => s.supplierBankName }),
    bankAddress: t.string({ nullable: true, resolve: (s) => s.supplierBankAddress }),
    bankCountry: t.string({ nullable: true, resolve: (s) => s.supplierBankCountry }),
    type: t.field({ type: SupplierTypeEnum, nullable: true, resolve: (s) => s.supplierType }),
    bankAccountDetails: t.field({ type: BankAccountDetails, resolve: (s) => s }),
  }),
});


// Full rows, not Pothos's select mode: payable pages come from the batched loader (raw SQL rows that
// Pothos did not load), and select-mode fields would reload each of them.
export const Payable = builder.prismaNode('Payable', {
  id: { field: 'id' },
  fields: (t) => ({
    paymentRun: t.relation('paymentRun'),
    status: t.field({ type: PayableStatusEnum, resolve: (p) => p.status }),
    statusReason: t.exposeString('statusReason', { nullable: true }),
    externalRef: t.exposeString('externalRef', { nullable: true }),
    paymentRef: t.exposeString('paymentRef', { nullable: true }),
    amount: t.field({ type: Money, resolve: (p) => ({ currency: p.currency, amount: p.amount }) }),
    reference: t.exposeString('reference'),
    supplier: t.field({ type: Supplier, resolve: (p) => p }),
    supplierChangedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When updatePayables last replaced the supplier (and its bank details) after creation: worth a look before confirming.',
      resolve: (p) => (p.supplierChangedAt == null ? null : new Date(p.supplierChangedAt)),
    }),
    validationOutcomes: t.field({
      type: [ValidationOutcome],
      resolve: (p) => (p.validationOutcomes ?? []) as unknown as OutcomeValue[],
    }),
    fundingGroup: t.relation('fundingGroup', { nullable: true }),
    batch: t.relation('batch', { nullable: true }),
    payableGroup: t.relation('payableGroup', { nullable: true }),
  }),
});

const encodePosition = (position: number) => Buffer.from(`pp:${position}`).toString('base64url');

function decodePosition(cursor: string | null | undefined, fieldName: 'after' | 'before'): number | null {
  if (cursor == null) return null;
  const match = /^pp:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, 'Unknown cursor', {
      invalidFields: [{ fieldName, error: FieldError.REGEX, params: { reason: 'NOT_A_CURSOR' } }],
    });
  }
  return Number(match[1]);
}

export const loaders = (ctx: GraphQLContext) =>
  (ctx.payableLoaders ??= ctx.services.reads.payables(ctx.actor!.buyerId));

/**
 * The page of payables under a run, funding group or batch, batched across parents (see
 * loaders.ts): forward with first/after, backward from the end with last/before.
 */
export async function resolvePayablePage(
  ctx: GraphQLContext,
  parent: PayableParent,
  parentId: string,
  args: PageArgs & { status?: readonly PayableStatus[] | null },
) {
  const statuses = args.status?.length ? args.status : null;
  const { size, backward } = pageWindow(args);
  const { rows, more } = await loaders(ctx).page(parent, parentId, {
    size, backward, statuses, afterPosition: decodePosition(args.after, 'after'), beforePosition: decodePosition(args.before, 'before'),
  });
  const cursorOf = (row: { position: number }) => encodePosition(row.position);
  return {
    edges: rows.map((node) => ({ cursor: cursorOf(node), node })),
    pageInfo: pageInfo(rows, cursorOf, args, backward, more),
    totalCount: () => loaders(ctx).count(parent, parentId, statuses),
  };
}

/** One connection type shared by runs, funding groups and batches. */
export const PayableConnection = builder.connectionObject({
  type: Payable,
  name: 'PayableConnection',
  fields: (t) => ({
    totalCount: t.int({ resolve: (connection) => (connection as unknown as { totalCount: () => Promise<number> }).totalCount() }),
  }),
});


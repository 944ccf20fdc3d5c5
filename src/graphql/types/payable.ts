import { PayableStatus } from '../../domain/shared/statuses.ts';
import { DomainError, ErrorCode, FieldError } from '../../domain/shared/errors.ts';
import { builder } from '../builder.ts';
import type { GraphQLContext } from '../context.ts';
import type { PayableParent, PayableProperty } from '../loaders.ts';
import { Kind, type FragmentDefinitionNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
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
// Pothos did not load), and select-mode fields would reload each of them. The loader reads only the
// columns a page's selection needs (PAYABLE_FIELD_COLUMNS below): keep that table in step with these fields.
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

/**
 * The row properties each Payable field reads. A field missing here (relations, anything added later)
 * makes the page read whole rows, so an omission costs speed, never a wrong answer.
 */
const PAYABLE_FIELD_COLUMNS: Readonly<Record<string, readonly PayableProperty[]>> = {
  __typename: [],
  id: ['id'],
  status: ['status'],
  statusReason: ['statusReason'],
  externalRef: ['externalRef'],
  paymentRef: ['paymentRef'],
  amount: ['currency', 'amount'],
  reference: ['reference'],
  supplierChangedAt: ['supplierChangedAt'],
  validationOutcomes: ['validationOutcomes'],
};
const BANK_COLUMNS: readonly PayableProperty[] = ['accountNumber', 'sortCode', 'secondaryReference', 'iban', 'bankIdentifierCode'];
const SUPPLIER_FIELD_COLUMNS: Readonly<Record<string, readonly PayableProperty[]>> = {
  __typename: [],
  name: ['supplierName'],
  address: ['supplierAddress'],
  bankName: ['supplierBankName'],
  bankAddress: ['supplierBankAddress'],
  bankCountry: ['supplierBankCountry'],
  type: ['supplierType'],
  bankAccountDetails: BANK_COLUMNS,
};

/** Fields of a selection set, through inline fragments and named fragment spreads (directives ignored: reading more is harmless). */
function* fieldsOf(set: SelectionSetNode | undefined, fragments: Record<string, FragmentDefinitionNode>, seen = new Set<string>()): Generator<{ name: string; set: SelectionSetNode | undefined }> {
  if (!set) return;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) yield { name: selection.name.value, set: selection.selectionSet };
    else if (selection.kind === Kind.INLINE_FRAGMENT) yield* fieldsOf(selection.selectionSet, fragments, seen);
    else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      yield* fieldsOf(fragments[selection.name.value]?.selectionSet, fragments, seen);
    }
  }
}

/**
 * The payable properties a connection's selection reads (edges.node), or null for whole rows when
 * it asks for a field the table above does not know. Computed once per field node (the same
 * document node answers every run of a list and every request of a cached document).
 */
const columnsByFieldNode = new WeakMap<object, readonly PayableProperty[] | null>();
function pageColumns(info: GraphQLResolveInfo): readonly PayableProperty[] | null {
  const node = info.fieldNodes[0]!;
  // Several field nodes (the same field selected twice, merged) are rare: read whole rows for them.
  if (info.fieldNodes.length !== 1) return null;
  const known = columnsByFieldNode.get(node);
  if (known !== undefined) return known;
  const wanted = new Set<PayableProperty>();
  let whole = false;
  for (const connectionField of fieldsOf(node.selectionSet, info.fragments)) {
    if (connectionField.name !== 'edges') continue;
    for (const edgeField of fieldsOf(connectionField.set, info.fragments)) {
      if (edgeField.name !== 'node') continue;
      for (const field of fieldsOf(edgeField.set, info.fragments)) {
        if (field.name === 'supplier') {
          for (const supplierField of fieldsOf(field.set, info.fragments)) {
            const columns = SUPPLIER_FIELD_COLUMNS[supplierField.name];
            if (columns) columns.forEach((c) => wanted.add(c));
            else whole = true;
          }
          continue;
        }
        const columns = PAYABLE_FIELD_COLUMNS[field.name];
        if (columns) columns.forEach((c) => wanted.add(c));
        else whole = true;
      }
    }
  }
  // A field node belongs to one parsed document, and so do the fragments it may spread.
  const result = whole ? null : [...wanted];
  columnsByFieldNode.set(node, result);
  return result;
}

/** A Relay edge whose cursor is encoded only if someone reads it. */
class PayableEdge {
  constructor(readonly node: { position: number }) {}
  get cursor(): string {
    return encodePosition(this.node.position);
  }
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
  info?: GraphQLResolveInfo,
) {
  const statuses = args.status?.length ? args.status : null;
  const { size, backward } = pageWindow(args);
  const { rows, more } = await loaders(ctx).page(parent, parentId, {
    size, backward, statuses, afterPosition: decodePosition(args.after, 'after'), beforePosition: decodePosition(args.before, 'before'),
    columns: info ? pageColumns(info) : null,
  });
  const cursorOf = (row: { position: number }) => encodePosition(row.position);
  return {
    edges: rows.map((node) => new PayableEdge(node)),
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


import { randomUUID } from 'node:crypto';
import { getIntrospectionQuery, type IntrospectionQuery, type IntrospectionTypeRef, type IntrospectionInputValue } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGlobalId } from '../../src/graphql/ids.ts';
import { createTenant, enrolSca, type Tenant } from '../helpers/factories.ts';
import { AuthoriseBatch, fundedRun, startIsolatedApp } from '../helpers/funding.ts';
import { gbpPayable } from '../helpers/payment-runs.ts';
import type { TestApp } from '../helpers/test-app.ts';
import { connectWs } from '../helpers/ws-client.ts';

/**
 * Tenant isolation, generated from the schema (issue 8, "Done when"): introspection lists every
 * argument that takes an ID — on queries, mutations, nested fields and the subscription, also inside
 * input objects and lists — and for each one and each node type, another buyer's id must answer
 * exactly as an id that never existed (same data, same errors, same messages). A field added later
 * is covered without anyone adding it here.
 */
let app: TestApp;
let viewer: Tenant;
let schema: IntrospectionQuery['__schema'];
/** Per node type: the viewer's own object, another buyer's object. */
const own = new Map<string, string>();
const foreign = new Map<string, string>();

async function objectsOf(tenant: Tenant, into: Map<string, string>) {
  // A bundling run, so that it has payable groups too (each payable here is a group of one).
  const { runId, groups, accountId } = await fundedRun(app, tenant, 'SANDBOX_BANK_GB', [gbpPayable(0), gbpPayable(1)], { bundleBySupplier: true });
  const batch = groups[0]!.batches[0]!;
  const { authoriseBatch } = await tenant.controller.client.data(AuthoriseBatch, { batchId: batch.id });
  const { paymentRun, viewer: user, node } = await tenant.admin.client.data(
    `query($id: ID!, $batch: ID!) { viewer { id buyer { id } } paymentRun(id: $id) { payables(first: 1) { edges { node { id } } } }
       node(id: $batch) { ... on Batch { payableGroups { id } } } }` as never,
    { id: runId, batch: batch.id } as never,
  ) as { viewer: { id: string; buyer: { id: string } }; paymentRun: { payables: { edges: { node: { id: string } }[] } }; node: { payableGroups: { id: string }[] } };
  into.set('Buyer', user.buyer.id).set('User', user.id).set('LinkedAccount', accountId).set('PaymentRun', runId)
    .set('Payable', paymentRun.payables.edges[0]!.node.id).set('FundingGroup', groups[0]!.id).set('Batch', batch.id)
    .set('Authorisation', authoriseBatch.id).set('PayableGroup', node.payableGroups[0]!.id);
}

beforeAll(async () => {
  app = await startIsolatedApp();
  const other = await createTenant(app);
  viewer = await createTenant(app);
  await enrolSca(viewer.admin); // the admin holds every role: SCA must not answer before the id is looked up
  await Promise.all([objectsOf(other, foreign), objectsOf(viewer, own)]);
  const { __schema } = await viewer.admin.client.data(getIntrospectionQuery({ oneOf: true }) as never) as IntrospectionQuery;
  schema = __schema;
}, 120_000);
afterAll(() => app?.stop());

// ---- reading the schema -------------------------------------------------------------------------

type Named = { kind: string; name: string };
const named = (ref: IntrospectionTypeRef): Named => ('ofType' in ref && ref.ofType ? named(ref.ofType) : ref as Named);
const printRef = (ref: IntrospectionTypeRef): string =>
  ref.kind === 'NON_NULL' ? `${printRef((ref as { ofType: IntrospectionTypeRef }).ofType)}!`
    : ref.kind === 'LIST' ? `[${printRef((ref as { ofType: IntrospectionTypeRef }).ofType)}]` : (ref as Named).name;
const typeOf = (name: string) => schema.types.find((t) => t.name === name)!;
const inputFields = (name: string) => (typeOf(name) as { inputFields?: readonly IntrospectionInputValue[] }).inputFields ?? [];

/** Does a value of this type contain an ID somewhere (nested input objects and lists included)? */
function holdsId(ref: IntrospectionTypeRef, seen = new Set<string>()): boolean {
  const { kind, name } = named(ref);
  if (kind === 'SCALAR') return name === 'ID';
  if (kind !== 'INPUT_OBJECT' || seen.has(name)) return false;
  seen.add(name);
  return inputFields(name).some((f) => holdsId(f.type, seen));
}

/** Every path (`arg`, `arg.field`, `arg[].field`) at which an ID goes into this field's arguments. */
function idPaths(args: readonly IntrospectionInputValue[]): string[] {
  const paths: string[] = [];
  const walk = (ref: IntrospectionTypeRef, path: string, seen: Set<string>) => {
    if (ref.kind === 'NON_NULL') return walk((ref as { ofType: IntrospectionTypeRef }).ofType, path, seen);
    if (ref.kind === 'LIST') return walk((ref as { ofType: IntrospectionTypeRef }).ofType, `${path}[]`, seen);
    const { kind, name } = ref as Named;
    if (kind === 'SCALAR' && name === 'ID') paths.push(path);
    if (kind === 'INPUT_OBJECT' && !seen.has(name)) {
      for (const field of inputFields(name)) walk(field.type, `${path}.${field.name}`, new Set([...seen, name]));
    }
  };
  for (const arg of args) walk(arg.type, arg.name, new Set());
  return paths;
}

// ---- building a request -------------------------------------------------------------------------

const NODE_TYPES = ['Buyer', 'User', 'LinkedAccount', 'PaymentRun', 'Payable', 'FundingGroup', 'Batch', 'Authorisation', 'PayableGroup'];

/** The node type an ID position names (`paymentRunId`, `payableIds`), else one named by the field. */
function guessType(position: string, fieldName: string, fallback: string): string {
  const leaf = position.split(/[.[\]]+/).filter(Boolean).at(-1)!.replace(/Ids?$/, '').toLowerCase();
  const byName = NODE_TYPES.find((t) => t.toLowerCase() === leaf);
  if (byName) return byName;
  const byField = NODE_TYPES.filter((t) => fieldName.toLowerCase().includes(t.toLowerCase())).sort((a, b) => b.length - a.length)[0];
  return byField ?? fallback;
}

/** Strings that pass input rules, so a probe reaches the lookup rather than a BAD_USER_INPUT. */
const PLAUSIBLE: Record<string, string> = { name: 'Probe Ltd', accountNumber: '12345678', sortCode: '400000', iban: 'DE89370400440532013000', reference: 'Probe 1' };

/** A value for `ref`: the probe at `target`, the viewer's own objects at other ID positions. */
function valueFor(ref: IntrospectionTypeRef, path: string, ctx: { target: string; probe: string; probeType: string; field: string }): unknown {
  if (ref.kind === 'NON_NULL') return valueFor((ref as { ofType: IntrospectionTypeRef }).ofType, path, ctx);
  if (ref.kind === 'LIST') return [valueFor((ref as { ofType: IntrospectionTypeRef }).ofType, `${path}[]`, ctx)];
  const { kind, name } = ref as Named;
  if (kind === 'SCALAR') {
    if (name === 'ID') return path === ctx.target ? ctx.probe : own.get(guessType(path, ctx.field, ctx.probeType))!;
    const leaf = path.split('.').at(-1)!;
    if (name === 'String' && leaf in PLAUSIBLE) return PLAUSIBLE[leaf];
    return ({ String: '123456', Int: 1, SafeInt: 1, Boolean: false, DateTime: new Date().toISOString() } as Record<string, unknown>)[name] ?? 'x';
  }
  if (kind === 'ENUM') return (typeOf(name) as unknown as { enumValues: { name: string }[] }).enumValues[0]!.name;
  const fields = inputFields(name);
  const oneOf = (typeOf(name) as { isOneOf?: boolean }).isOneOf;
  const chosen = oneOf ? [fields.find((f) => holdsId(f.type)) ?? fields[0]!] : fields.filter((f) => f.type.kind === 'NON_NULL' || holdsId(f.type));
  return Object.fromEntries(chosen.map((f) => [f.name, valueFor(f.type, `${path}.${f.name}`, ctx)]));
}

interface Probe {
  operation: 'query' | 'mutation' | 'subscription';
  /** Owner type for nested fields (reached through node(id:)), null for root fields. */
  parent: string | null;
  field: { name: string; args: readonly IntrospectionInputValue[]; type: IntrospectionTypeRef };
  target: string;
}

function document(probe: Probe, probeId: string, probeType: string) {
  const ctx = { target: probe.target, probe: probeId, probeType, field: probe.field.name };
  const args = probe.field.args.filter((a) => a.type.kind === 'NON_NULL' || holdsId(a.type));
  const variables: Record<string, unknown> = Object.fromEntries(args.map((a) => [a.name, valueFor(a.type, a.name, ctx)]));
  const declared = args.map((a) => `$${a.name}: ${printRef(a.type)}`);
  const passed = args.map((a) => `${a.name}: $${a.name}`).join(', ');
  const selection = ['OBJECT', 'INTERFACE', 'UNION'].includes(named(probe.field.type).kind) ? '{ __typename }' : '';
  let body = `${probe.field.name}${passed ? `(${passed})` : ''} ${selection}`;
  if (probe.parent) {
    declared.push('$parent: ID!');
    variables.parent = own.get(probe.parent);
    body = `node(id: $parent) { ... on ${probe.parent} { ${body} } }`;
  }
  return { query: `${probe.operation}${declared.length ? `(${declared.join(', ')})` : ''} { ${body} }`, variables };
}

function probes(): { probes: Probe[]; unreachable: string[] } {
  const found: Probe[] = [];
  const unreachable: string[] = [];
  const roots = { query: schema.queryType?.name, mutation: schema.mutationType?.name, subscription: schema.subscriptionType?.name };
  for (const type of schema.types) {
    if (type.kind !== 'OBJECT' || type.name.startsWith('__')) continue;
    const operation = (Object.entries(roots).find(([, name]) => name === type.name)?.[0] ?? 'query') as Probe['operation'];
    const isRoot = Object.values(roots).includes(type.name);
    for (const field of type.fields) {
      for (const target of idPaths(field.args)) {
        if (!isRoot && !NODE_TYPES.includes(type.name)) unreachable.push(`${type.name}.${field.name}(${target})`);
        else found.push({ operation, parent: isRoot ? null : type.name, field, target });
      }
    }
  }
  return { probes: found, unreachable };
}

// ---- answering ----------------------------------------------------------------------------------

async function answer(operation: Probe['operation'], request: { query: string; variables: Record<string, unknown> }) {
  if (operation !== 'subscription') {
    const result = await viewer.admin.client.request(request.query, request.variables);
    return { data: result.data ?? null, errors: (result.errors ?? []).map((e) => ({ message: e.message, code: e.extensions?.code, path: e.path })) };
  }
  const ws = connectWs(app.url, viewer.admin.token);
  try {
    const subscription = ws.subscribeText(request.query, request.variables);
    await subscription.ended();
    return { data: subscription.values, errors: subscription.errors.map((e) => ({ message: e.message, code: e.extensions?.code, path: e.path })) };
  } finally {
    await ws.dispose();
  }
}

describe('another buyer\'s id answers exactly like an unknown id, for every ID argument in the schema', () => {
  it('finds the ID arguments (the walk itself works) and can reach every one of them', () => {
    const { probes: found, unreachable } = probes();
    const names = found.map((p) => `${p.parent ?? p.operation}.${p.field.name}(${p.target})`);
    expect(names).toEqual(expect.arrayContaining([
      'query.node(id)', 'query.paymentRun(id)', 'mutation.updatePayables(payables[].payableId)',
      'mutation.fundPaymentRun(linkedAccountIds[])', 'subscription.statusChanged(paymentRunId)',
    ]));
    // A nested field taking an ID on a type that is not a Node cannot be reached generically: extend the walk.
    expect(unreachable).toEqual([]);
  });

  it('answers identically on every probe, and never with INTERNAL_SERVER_ERROR', async () => {
    const mismatches: unknown[] = [];
    const codes = new Map<string, number>();
    for (const probe of probes().probes) {
      for (const type of NODE_TYPES) {
        const theirs = await answer(probe.operation, document(probe, foreign.get(type)!, type));
        const unknown = await answer(probe.operation, document(probe, encodeGlobalId(type, randomUUID()), type));
        const where = `${probe.parent ?? probe.operation}.${probe.field.name}(${probe.target}) with a ${type} id`;
        if (JSON.stringify(theirs) !== JSON.stringify(unknown)) mismatches.push({ where, theirs, unknown });
        if (theirs.errors.some((e) => e.code === 'INTERNAL_SERVER_ERROR' || !e.code)) mismatches.push({ where, uncoded: theirs.errors });
        // When the probe is the field's only id, nothing can come back as an object: the id names
        // nothing the viewer may see. (With other ids, e.g. fundPaymentRun's own run, a replayed
        // answer about those is fine, as long as it is the same for both probes.)
        const onlyId = idPaths(probe.field.args).length === 1;
        if (onlyId && JSON.stringify(theirs.data).includes('__typename')) mismatches.push({ where, answeredWith: theirs.data });
        for (const e of theirs.errors) codes.set(String(e.code), (codes.get(String(e.code)) ?? 0) + 1);
      }
    }
    expect(mismatches).toEqual([]);
    // The probes reach the lookups: almost every answer is NOT_FOUND (not a role or input refusal).
    // Measured: 175 answers, 166 NOT_FOUND; the rest concern the viewer's own objects (state, replay).
    process.stdout.write(`tenant isolation: answers by code ${JSON.stringify(Object.fromEntries(codes))}\n`);
    expect(codes.get('NOT_FOUND') ?? 0).toBeGreaterThan(0.8 * [...codes.values()].reduce((a, b) => a + b, 0));
  }, 300_000);
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGlobalId } from '../../src/graphql/ids.ts';
import { createTenant, Login, type Tenant } from '../helpers/factories.ts';
import { CreateRun, createRun, gbpPayable, UpdatePayables } from '../helpers/payment-runs.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { connectWs } from '../helpers/ws-client.ts';

/**
 * Hostile input (CONTRACT.md §12): every malformed request answers with a contract code, the cost
 * limit refuses a query before it runs, and `node(id:)` never reveals or fails on what the viewer
 * does not own.
 */
let app: TestApp;
let tenant: Tenant;
let other: Tenant;
let runId: string;

beforeAll(async () => {
  app = await startTestApp();
  [tenant, other] = await Promise.all([createTenant(app), createTenant(app)]);
  runId = (await createRun(tenant.creator, [gbpPayable(0), gbpPayable(1)])).id;
});
afterAll(() => app?.stop());

const codes = (result: { errors?: { extensions?: { code?: string } }[] }) => (result.errors ?? []).map((e) => e.extensions?.code);

describe('cost limit', () => {
  it('refuses the nested-pages query of issue 8 with QUERY_TOO_COMPLEX before running it', async () => {
    const queries: string[] = [];
    const probe = await startTestApp({ RUN_JOBS: 'false' }, {}, { onQuery: (sql) => queries.push(sql) });
    try {
      const user = await createTenant(probe);
      const run = await createRun(user.creator, [gbpPayable(0)]);
      queries.length = 0;
      const killer = `{ paymentRun(id: "${run.id}") { payables(first: 500) { edges { node { paymentRun { payables(first: 500) {
        edges { node { paymentRun { payables(first: 500) { edges { cursor } } } } } } } } } } } }`;
      const result = await user.controller.client.request(killer);
      expect(codes(result)).toEqual(['QUERY_TOO_COMPLEX']);
      expect(result.data ?? null).toBeNull();
      // Refused before execution: not one payable or run was read.
      expect(queries.filter((sql) => /payables|payment_runs/.test(sql))).toEqual([]);
    } finally {
      await probe.stop();
    }
  });

  it('counts page sizes given in variables and the default page size', async () => {
    const nested = `query($n: Int) { paymentRuns(first: $n) { edges { node { payables(first: $n) { edges { node {
      paymentRun { payables { edges { node { id } } } } } } } } } } }`;
    expect(codes(await tenant.admin.client.request(nested, { n: 200 }))).toEqual(['QUERY_TOO_COMPLEX']);
    expect(codes(await tenant.admin.client.request(nested, { n: 2 }))).toEqual([]);
  });

  it('keeps the dashboard read (50 runs x 20 payables) well inside the limit', async () => {
    const dashboard = `{ paymentRuns(first: 50) { totalCount edges { node { id status payableCount totalAmount { currency amount }
      createdBy { email } payables(first: 20) { totalCount edges { node { id status amount { amount } reference supplier { name } } } } } } } }`;
    expect(codes(await tenant.admin.client.request(dashboard))).toEqual([]);
    // Five dashboards in one document still pass: the read is at most a fifth of the limit.
    const five = Array.from({ length: 5 }, (_, i) => `d${i}: ${dashboard.slice(1, -1)}`).join(' ');
    expect(codes(await tenant.admin.client.request(`{ ${five} }`))).toEqual([]);
  });
});

describe('every error carries a contract code', () => {
  it.each([
    ['a garbage cursor', '{ paymentRuns(after: "garbage") { totalCount } }'],
    ['a garbage payables cursor', `{ paymentRun(id: "RUN") { payables(after: "garbage") { totalCount } } }`],
    ['a garbage log cursor', '{ statusChanges(after: "garbage") { totalCount } }'],
    ['a garbage transfers cursor', `{ paymentRun(id: "RUN") { payableGroups(after: "garbage") { totalCount } } }`],
    // Cursors that decode cleanly but name no row id: they used to reach SQL as a uuid (500).
    ['a runs cursor holding a text that is no id', `{ paymentRuns(after: "${btoa('GPC:S:x')}") { edges { cursor } } }`],
    ['a runs cursor holding a number', `{ paymentRuns(before: "${btoa('GPC:N:5')}") { edges { cursor } } }`],
    ['a transfers cursor holding a text that is no id', `{ paymentRun(id: "RUN") { payableGroups(after: "${btoa('GPC:S:x')}") { edges { cursor } } } }`],
    ['a transfers cursor holding a number', `{ paymentRun(id: "RUN") { payableGroups(after: "${btoa('GPC:N:5')}") { edges { cursor } } } }`],
    ['an audit cursor holding a text that is no id', `{ auditEvents(after: "${btoa('GPC:S:x')}") { edges { cursor } } }`],
    ['a negative transfers first', `{ paymentRun(id: "RUN") { payableGroups(first: -1) { totalCount } } }`],
    ['an absurd transfers last', `{ paymentRun(id: "RUN") { payableGroups(last: 100000) { totalCount } } }`],
    ['a negative first', '{ paymentRuns(first: -1) { totalCount } }'],
    ['a negative payables first', `{ paymentRun(id: "RUN") { payables(first: -1) { totalCount } } }`],
    ['an absurd first', '{ paymentRuns(first: 2000000000) { totalCount } }'],
    ['an absurd payables first', `{ paymentRun(id: "RUN") { payables(first: 100000) { totalCount } } }`],
    ['an absurd last', '{ statusChanges(last: 100000) { totalCount } }'],
    ['a fractional SafeInt literal', '{ paymentRuns(filter: { minAmount: 10.5 }) { totalCount } }'],
    ['a string for an Int', '{ paymentRuns(first: "ten") { totalCount } }'],
    ['an unknown field', '{ paymentRuns { nope } }'],
    ['a syntax error', '{ paymentRuns { '],
    ['a NUL in a literal', '{ paymentRuns(filter: { tag: ["a\\u0000b"] }) { totalCount } }'],
    ['both members of a @oneOf', `mutation { linkAccount(input: { institutionCode: "SANDBOX_BANK_GB",
      accountIdentification: { fasterPayments: { accountNumber: "12345678", sortCode: "400000" }, sepa: { iban: "DE89370400440532013000" } } }) { id } }`],
  ])('%s answers BAD_USER_INPUT', async (_what, query) => {
    const result = await tenant.admin.client.request(query.replace('RUN', runId));
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
  });

  it.each([
    ['a fractional SafeInt', 'query($v: SafeInt) { paymentRuns(filter: { minAmount: $v }) { totalCount } }', { v: 10.5 }],
    ['a negative first', 'query($v: Int) { paymentRuns(first: $v) { totalCount } }', { v: -1 }],
    ['a NUL in a string', 'query($v: String) { paymentRuns(filter: { paymentRunRef: $v }) { totalCount } }', { v: 'a\u0000b' }],
    ['both members of a @oneOf', 'mutation($v: LinkAccountInput!) { linkAccount(input: $v) { id } }', {
      v: { institutionCode: 'SANDBOX_BANK_GB', accountIdentification: { fasterPayments: { accountNumber: '12345678', sortCode: '400000' }, sepa: { iban: 'DE89370400440532013000' } } },
    }],
  ])('%s in variables answers BAD_USER_INPUT', async (_what, query, variables) => {
    expect(codes(await tenant.admin.client.request(query, variables))).toEqual(['BAD_USER_INPUT']);
  });

  it('answers BAD_USER_INPUT for a NUL character in login, user and run inputs, and stores nothing', async () => {
    const login = await app.client().request(Login, { email: `${tenant.admin.email}\u0000`, password: 'x' });
    expect(codes(login)).toEqual(['BAD_USER_INPUT']);
    const user = await tenant.admin.client.request(
      'mutation($i: NewUserInput!) { createUser(input: $i) { id } }',
      { i: { email: 'nul@test.example', name: 'N\u0000L', password: 'correct-horse-battery' } },
    );
    expect(codes(user)).toEqual(['BAD_USER_INPUT']);
    expect(user.errors![0]!.extensions?.invalidFields).toEqual([{ fieldName: 'i.name', error: 'REGEX', params: { reason: 'NUL_CHARACTER' } }]);
    const runs = async () => ((await tenant.creator.client.data('{ paymentRuns { totalCount } }' as never)) as { paymentRuns: { totalCount: number } }).paymentRuns.totalCount;
    const before = await runs();
    const payable = gbpPayable(0);
    payable.supplier.name = 'Acme\u0000';
    expect(codes(await tenant.creator.client.request(CreateRun, { input: { payables: [payable] } }))).toEqual(['BAD_USER_INPUT']);
    expect(await runs()).toBe(before);
    const { users } = await tenant.admin.client.data('{ users { email } }' as never) as { users: { email: string }[] };
    expect(users.map((u) => u.email)).not.toContain('nul@test.example');
  });

  it('answers QUERY_TOO_COMPLEX for documents over the depth or alias limits', async () => {
    const run = 'paymentRun { payables { edges { node { ';
    const deep = `{ paymentRuns(first: 1) { edges { node { payables(first: 1) { edges { node { ${run.repeat(3)} id ${'} } } } '.repeat(3)} } } } } } } }`;
    expect(codes(await tenant.admin.client.request(deep))).toEqual(['QUERY_TOO_COMPLEX']);
    const aliases = Array.from({ length: 30 }, (_, i) => `a${i}: viewer { id }`).join(' ');
    const result = await tenant.admin.client.request(`{ ${aliases} }`);
    expect(new Set(codes(result))).toEqual(new Set(['QUERY_TOO_COMPLEX']));
  });

  it('refuses whitespace-only supplier names with invalidFields, on create and on update', async () => {
    const payable = gbpPayable(0);
    payable.supplier.name = ' \t  ';
    const created = await tenant.creator.client.error(CreateRun, { input: { payables: [payable] } });
    expect(created.extensions).toMatchObject({ code: 'BAD_USER_INPUT', invalidFields: [{ fieldName: 'payables[0].supplier.name', error: 'REQUIRED' }] });
    const sepaPayable = { amount: { currency: 'EUR' as const, amount: 100 }, reference: 'Invoice 1',
      supplier: { name: '   ', bankAccountDetails: { sepa: { iban: 'DE89370400440532013000' } } } };
    const sepa = await tenant.creator.client.error(CreateRun, { input: { payables: [sepaPayable] } });
    expect(sepa.extensions).toMatchObject({ code: 'BAD_USER_INPUT', invalidFields: [{ fieldName: 'payables[0].supplier.name', error: 'REQUIRED' }] });
    await app.app.services.jobs.drain();
    const { paymentRun } = await tenant.creator.client.data(`query($id: ID!) { paymentRun(id: $id) { status payables { edges { node { id } } } } }` as never, { id: runId } as never) as { paymentRun: { status: string; payables: { edges: { node: { id: string } }[] } } };
    expect(paymentRun.status).toBe('PENDING_CONFIRMATION');
    const update = await tenant.creator.client.error(UpdatePayables, {
      paymentRunId: runId,
      payables: [{ payableId: paymentRun.payables.edges[0]!.node.id, supplier: { ...gbpPayable(0).supplier, name: '\n ' } }],
    });
    expect(update.extensions).toMatchObject({ code: 'BAD_USER_INPUT', invalidFields: [{ fieldName: 'payables[0].supplier.name', error: 'REQUIRED' }] });
  });
});

describe('over WebSocket', () => {
  it('answers subscriptions with the same codes', async () => {
    const ws = connectWs(app.url, tenant.admin.token);
    try {
      const nul = ws.subscribeText('subscription($a: String) { statusChanged(after: $a) { cursor } }', { a: 'x\u0000' });
      const unknownField = ws.subscribeText('subscription { statusChanged { nope } }');
      const negative = ws.subscribeText('subscription { statusChanged { entity { ... on PaymentRun { payables(first: -1) { totalCount } } } } }');
      const costly = ws.subscribeText(`subscription { statusChanged { entity { ... on PaymentRun { payables(first: 500) { edges { node {
        paymentRun { payables(first: 500) { edges { cursor } } } } } } } } } }`);
      for (const subscription of [nul, unknownField, negative, costly]) await subscription.ended();
      expect([nul, unknownField, negative, costly].map((s) => s.errors.map((e) => e.extensions?.code))).toEqual([
        ['BAD_USER_INPUT'], ['BAD_USER_INPUT'], ['BAD_USER_INPUT'], ['QUERY_TOO_COMPLEX'],
      ]);
    } finally {
      await ws.dispose();
    }
  });
});

describe('node(id:)', () => {
  const Node = 'query($id: ID!) { node(id: $id) { id __typename ... on Buyer { name } } }';

  it('answers NOT_FOUND for another buyer\'s object of every type, exactly like an unknown id', async () => {
    const foreignRun = await createRun(other.creator, [gbpPayable(0)]);
    const { paymentRun } = await other.creator.client.data(
      `query($id: ID!) { paymentRun(id: $id) { id createdBy { id buyer { id } } payables { edges { node { id } } } } }` as never,
      { id: foreignRun.id } as never,
    ) as { paymentRun: { createdBy: { id: string; buyer: { id: string } }; payables: { edges: { node: { id: string } }[] } } };
    const foreign = [foreignRun.id, paymentRun.createdBy.id, paymentRun.createdBy.buyer.id, paymentRun.payables.edges[0]!.node.id];
    const unknown = ['PaymentRun', 'User', 'Buyer', 'Payable', 'FundingGroup', 'Batch', 'Authorisation', 'LinkedAccount']
      .map((type) => encodeGlobalId(type, randomUUID()));
    const notNodes = ['Money', 'Supplier', 'Nope', 'Query'].map((type) => encodeGlobalId(type, randomUUID()));
    for (const id of [...foreign, ...unknown, ...notNodes, 'garbage']) {
      const result = await tenant.admin.client.request(Node, { id });
      expect({ id, codes: codes(result), data: result.data }).toEqual({ id, codes: ['NOT_FOUND'], data: { node: null } });
      expect(result.errors![0]!.message).toBe('Object not found');
    }
  });

  it('answers the viewer\'s own objects, its own buyer only for its own buyer id', async () => {
    const { viewer } = await tenant.admin.client.data('{ viewer { id buyer { id } } }' as never) as { viewer: { id: string; buyer: { id: string } } };
    const own = await tenant.admin.client.request(Node, { id: viewer.buyer.id });
    expect(own.data).toEqual({ node: { id: viewer.buyer.id, __typename: 'Buyer', name: 'Test Buyer Ltd' } });
    expect((await tenant.admin.client.request(Node, { id: runId })).data).toEqual({ node: { id: runId, __typename: 'PaymentRun' } });
  });
});

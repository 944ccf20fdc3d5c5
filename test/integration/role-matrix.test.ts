/**
 * The role × action matrix, generated from the domain's action tables (the `*.states.ts` files) and
 * run through GraphQL: for every mutation a table names, a user holding only ADMIN, only CREATOR or
 * only CONTROLLER (SCA enrolled) calls it on an entity in a state the row starts from. A role the
 * row lists succeeds and leads where the row says; any other answers INSUFFICIENT_PERMISSIONS and
 * changes nothing. The bank's actions (simulate*) are open to every signed-in user of the buyer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTHORISATION_ACTIONS, BATCH_ACTIONS, FUNDING_GROUP_ACTIONS } from '../../src/domain/funding/funding.states.ts';
import { PAYABLE_ACTIONS, PAYABLE_OUTCOMES } from '../../src/domain/payment-run/payable.states.ts';
import { PAYMENT_RUN_ACTIONS } from '../../src/domain/payment-run/payment-run.states.ts';
import { roleAllows, startsFrom, type ActionRule } from '../../src/domain/shared/state-machine.ts';
import type { Role } from '../../src/domain/shared/statuses.ts';
import { CreateUser, PASSWORD, createTenant, enrolSca, linkGbAccount, signIn, type SignedInUser, type Tenant } from '../helpers/factories.ts';
import {
  AuthoriseBatch, CancelAuthorisation, CancelFundingGroup, FundRun, SimulateAuthorisation, SimulateFunds, SimulatePayable,
  authoriseAll, fundedRun, pendingFundingRun, readFunding, startIsolatedApp,
} from '../helpers/funding.ts';
import {
  CancelPayables, CancelRun, ConfirmRun, CreateRun, GetRun, RestartRun, UpdatePayables, VerifyChallenge, createRun, gbpPayable,
} from '../helpers/payment-runs.ts';
import type { TestApp } from '../helpers/test-app.ts';
import { AuthoriseBatches } from '../helpers/bank-events.ts';
import type { GraphQLResponse } from '../helpers/graphql-client.ts';

/** Every row that names a mutation; the first row naming it is the one whose states it is checked against. */
const TABLES: Record<string, Record<string, ActionRule<string>>> = {
  PAYMENT_RUN_ACTIONS, PAYABLE_ACTIONS, FUNDING_GROUP_ACTIONS, BATCH_ACTIONS, AUTHORISATION_ACTIONS, PAYABLE_OUTCOMES,
};
const rows = Object.entries(TABLES).flatMap(([table, actions]) =>
  Object.entries(actions).filter(([, rule]) => rule.mutation).map(([name, rule]) => ({ name: `${table}.${name}`, rule })));
const mutations = [...new Set(rows.map((r) => r.rule.mutation!))];
const primary = (mutation: string) => rows.find((r) => r.rule.mutation === mutation)!;
const ROLES: Role[] = ['ADMIN', 'CREATOR', 'CONTROLLER'];

let app: TestApp;
let tenant: Tenant;
const only = {} as Record<Role, SignedInUser>;

beforeAll(async () => {
  app = await startIsolatedApp();
  tenant = await createTenant(app);
  const email = `admin-only-${Date.now()}@test.example`;
  await tenant.admin.client.data(CreateUser, { input: { email, name: 'Admin only', password: PASSWORD, roles: ['ADMIN'] } });
  only.ADMIN = await signIn(app, email);
  await enrolSca(only.ADMIN);
  only.CREATOR = tenant.creator;
  only.CONTROLLER = tenant.controller;
});
afterAll(() => app?.stop());

/** An entity in a state the mutation's row starts from; `call` performs it, `status` reads the entity now. */
interface Cell {
  status(): Promise<string | null>;
  call(user: SignedInUser): Promise<GraphQLResponse<unknown>>;
}

const drain = () => app.app.services.jobs.drain();
const runStatus = async (id: string) => (await tenant.creator.client.data(GetRun, { id, first: 0 })).paymentRun!.status;
const firstPayable = async (id: string) => (await tenant.creator.client.data(GetRun, { id, first: 1 })).paymentRun!.payables.edges[0]!.node.id;
const newSupplier = { name: 'Renamed Supplier', type: 'BUSINESS' as const, bankAccountDetails: { fasterPayments: { accountNumber: '11111111', sortCode: '400000' } } };

async function pendingConfirmation() {
  const run = await createRun(tenant.creator, [gbpPayable(0), gbpPayable(1)]);
  await drain();
  return run.id;
}
async function pendingChallenge() {
  const id = await pendingConfirmation();
  await tenant.controller.client.data(ConfirmRun, { id });
  return id;
}
const runCell = (id: string, call: Cell['call']): Cell => ({ status: () => runStatus(id), call });

async function groupView(runId: string) {
  return (await readFunding(tenant.controller, runId)).fundingGroups[0]!;
}
async function awaitingFunds() {
  const { runId, groups } = await fundedRun(app, tenant);
  await authoriseAll(tenant.controller, groups);
  return { runId, group: await groupView(runId) };
}
async function attemptUnderWay() {
  const { runId, groups } = await fundedRun(app, tenant);
  const { authoriseBatch } = await tenant.controller.client.data(AuthoriseBatch, { batchId: groups[0]!.batches[0]!.id });
  const status = async () => (await groupView(runId)).batches[0]!.authorisations.find((a) => a.id === authoriseBatch.id)!.status;
  return { id: authoriseBatch.id, status };
}

const FIXTURES: Record<string, () => Promise<Cell>> = {
  createPaymentRun: async () => {
    let created: string | null = null;
    return {
      status: async () => created,
      call: async (u) => {
        const result = await u.client.request(CreateRun, { input: { payables: [gbpPayable(0)] } });
        created = result.data?.createPaymentRun.status ?? null;
        return result;
      },
    };
  },
  updatePayables: async () => {
    const id = await pendingConfirmation();
    const payableId = await firstPayable(id);
    return runCell(id, (u) => u.client.request(UpdatePayables, { paymentRunId: id, payables: [{ payableId, supplier: newSupplier }] }));
  },
  cancelPayables: async () => {
    const id = await pendingConfirmation();
    const payableId = await firstPayable(id);
    return runCell(id, (u) => u.client.request(CancelPayables, { paymentRunId: id, payableIds: [payableId] }));
  },
  cancelPaymentRun: async () => {
    const id = await pendingConfirmation();
    return runCell(id, (u) => u.client.request(CancelRun, { id }));
  },
  confirmPaymentRun: async () => {
    const id = await pendingConfirmation();
    return runCell(id, (u) => u.client.request(ConfirmRun, { id }));
  },
  verifyPaymentRunChallenge: async () => {
    const id = await pendingChallenge();
    return runCell(id, (u) => u.client.request(VerifyChallenge, { id, code: '123456' }));
  },
  restartPaymentRun: async () => {
    const id = await pendingChallenge();
    for (let i = 0; i < 3; i++) await tenant.controller.client.request(VerifyChallenge, { id, code: '000000' });
    return runCell(id, (u) => u.client.request(RestartRun, { id }));
  },
  fundPaymentRun: async () => {
    const id = await pendingFundingRun(app, tenant);
    const account = await linkGbAccount(tenant.controller);
    return runCell(id, (u) => u.client.request(FundRun, { id, linkedAccountIds: [account.id] }));
  },
  cancelFundingGroup: async () => {
    const { runId, group } = await awaitingFunds();
    return {
      status: async () => (await groupView(runId)).status,
      call: (u) => u.client.request(CancelFundingGroup, { paymentRunId: runId, reference: group.reference }),
    };
  },
  simulateFundsReceived: async () => {
    const { runId, group } = await awaitingFunds();
    return { status: async () => (await groupView(runId)).status, call: (u) => u.client.request(SimulateFunds, { fundingGroupId: group.id }) };
  },
  authoriseBatch: async () => {
    const { runId, groups } = await fundedRun(app, tenant);
    const batchId = groups[0]!.batches[0]!.id;
    return { status: async () => (await groupView(runId)).batches[0]!.status, call: (u) => u.client.request(AuthoriseBatch, { batchId }) };
  },
  authoriseBatches: async () => {
    const { runId, groups } = await fundedRun(app, tenant);
    const batchId = groups[0]!.batches[0]!.id;
    return { status: async () => (await groupView(runId)).batches[0]!.status, call: (u) => u.client.request(AuthoriseBatches, { batchIds: [batchId] }) };
  },
  cancelAuthorisation: async () => {
    const attempt = await attemptUnderWay();
    return { status: attempt.status, call: (u) => u.client.request(CancelAuthorisation, { id: attempt.id }) };
  },
  simulateAuthorisationOutcome: async () => {
    const attempt = await attemptUnderWay();
    return { status: attempt.status, call: (u) => u.client.request(SimulateAuthorisation, { id: attempt.id, outcome: 'APPROVE' }) };
  },
  simulatePayableOutcome: async () => {
    const { runId, group } = await awaitingFunds();
    await tenant.controller.client.data(SimulateFunds, { fundingGroupId: group.id });
    const view = await readFunding(tenant.controller, runId);
    const payableId = view.payables.edges[0]!.node.id;
    const status = async () => (await readFunding(tenant.controller, runId)).payables.edges.find((e) => e.node.id === payableId)!.node.status;
    return { status, call: (u) => u.client.request(SimulatePayable, { id: payableId, outcome: 'COMPLETE' }) };
  },
};

describe('role × action matrix from the action tables', () => {
  it('covers every mutation the tables name, and each mutation has one set of roles', () => {
    expect(Object.keys(FIXTURES).sort()).toEqual([...mutations].sort());
    for (const mutation of mutations) {
      const roleSets = new Set(rows.filter((r) => r.rule.mutation === mutation).map((r) => JSON.stringify(r.rule.roles)));
      expect([...roleSets], mutation).toHaveLength(1);
    }
  });

  const cells = mutations.flatMap((mutation) => ROLES.map((role) => [mutation, role, roleAllows(primary(mutation).rule, new Set([role]))] as const));

  it.each(cells)('%s by %s only: allowed %s', async (mutation, role, allowed) => {
    const { rule } = primary(mutation);
    const cell = await FIXTURES[mutation]!();
    const before = await cell.status();
    if (rule.from.length > 0) expect(startsFrom(rule, before ?? ''), `${mutation} fixture starts ${before}`).toBe(true);
    const result = await cell.call(only[role]);
    const after = await cell.status();
    if (allowed) {
      expect(result.errors).toBeUndefined();
      if (rule.to !== null) expect(after).toBe(rule.to);
    } else {
      expect(result.errors?.[0]?.extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');
      expect(after).toBe(before);
    }
  });
});

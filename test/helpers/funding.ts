import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { expect, inject } from 'vitest';
import type { BuildAppOptions } from '../../src/app.ts';
import type { Config } from '../../src/config.ts';
import { graphql } from '../generated/index.ts';
import { linkGbAccount, type SignedInUser, type Tenant } from './factories.ts';
import { ConfirmRun, VerifyChallenge, createRun, gbpPayable } from './payment-runs.ts';
import { startTestApp, type TestApp } from './test-app.ts';

export const AttemptFields = graphql(`
  fragment AttemptFields on Authorisation {
    id status failureReason redirectUrl createdAt updatedAt initiatedBy { id } batch { id status }
  }
`);
export const GroupFields = graphql(`
  fragment GroupFields on FundingGroup {
    id reference status fundingDate totalAmount { currency amount } linkedAccount { id }
    batches { id status payableCount totalAmount { amount } authorisations { ...AttemptFields } }
  }
`);
export const FundRun = graphql(`
  mutation FundRun($id: ID!, $linkedAccountIds: [ID!]!) {
    fundPaymentRun(id: $id, linkedAccountIds: $linkedAccountIds) { ...GroupFields }
  }
`);
export const CancelFundingGroup = graphql(`
  mutation CancelFundingGroup($paymentRunId: ID!, $reference: String!) {
    cancelFundingGroup(paymentRunId: $paymentRunId, reference: $reference) { ...GroupFields }
  }
`);
export const AuthoriseBatch = graphql(`mutation AuthoriseBatch($batchId: ID!) { authoriseBatch(batchId: $batchId) { ...AttemptFields } }`);
export const CancelAuthorisation = graphql(`mutation CancelAuthorisation($id: ID!) { cancelAuthorisation(id: $id) { ...AttemptFields } }`);
export const SimulateAuthorisation = graphql(`
  mutation SimulateAuthorisation($id: ID!, $outcome: AuthorisationOutcome!) {
    simulateAuthorisationOutcome(id: $id, outcome: $outcome) { ...AttemptFields }
  }
`);
export const SimulateFunds = graphql(`
  mutation SimulateFunds($fundingGroupId: ID!) { simulateFundsReceived(fundingGroupId: $fundingGroupId) { ...GroupFields } }
`);
export const SimulatePayable = graphql(`
  mutation SimulatePayable($id: ID!, $outcome: PayableOutcome!) {
    simulatePayableOutcome(id: $id, outcome: $outcome) { id status statusReason }
  }
`);
export const Funding = graphql(`
  query Funding($id: ID!) {
    paymentRun(id: $id) {
      id status
      fundingGroups {
        ...GroupFields
        payables(first: 500) { totalCount edges { node { id status amount { amount } batch { id } fundingGroup { id } } } }
      }
      payables(first: 500) { edges { node { id status statusReason amount { amount } fundingGroup { id } batch { id } } } }
    }
  }
`);
/** The payable groups (transfers) of a run, batch by batch: empty unless it was created with bundleBySupplier. */
export const TransfersOfRun = graphql(`
  query TransfersOfRun($id: ID!) {
    paymentRun(id: $id) {
      fundingGroups { batches { id payableGroups { id status } } }
    }
  }
`);
export const RunLog = graphql(`
  query RunLog($paymentRunId: ID!, $after: String) {
    statusChanges(paymentRunId: $paymentRunId, first: 500, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { node { entityType entityId fromStatus toStatus actor { id } } }
    }
  }
`);

export type FundingView = NonNullable<Awaited<ReturnType<typeof readFunding>>>;

export async function readFunding(user: SignedInUser, runId: string) {
  const { paymentRun } = await user.client.data(Funding, { id: runId });
  return paymentRun!;
}

/**
 * A test app on a database of its own (created here, dropped on stop). The gateway's timers and
 * autopilot act across every buyer of their database, so a suite that moves a clock or turns the
 * autopilot on must not share one with suites running beside it — nor be disturbed by theirs.
 * Background polling is off (RUN_JOBS=false): jobs run only when the test drains them. A poll
 * running a task beside drain() would hold rows drain's pass then skips (SKIP LOCKED), and drain
 * could return before the work is done.
 */
export async function startIsolatedApp(
  env: Record<string, string> = {}, overrides: Partial<Config> = {}, options: Omit<BuildAppOptions, 'logger'> = {},
): Promise<TestApp> {
  const server = new URL(inject('databaseUrl'));
  server.pathname = '/postgres';
  const name = `gateway_test_funding_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server.href });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(server.href);
  url.pathname = `/${name}`;
  try {
    const app = await startTestApp({ RUN_JOBS: 'false', ...env }, { databaseUrl: url.href, ...overrides }, options);
    return {
      ...app,
      async stop() {
        await app.stop();
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      },
    };
  } catch (error) {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    throw error;
  }
}

/** Created by the creator, validated, confirmed and verified by the controller: PENDING_FUNDING. */
type Payables = Parameters<typeof createRun>[1];

type RunOptions = Parameters<typeof createRun>[2];

export async function pendingFundingRun(
  app: TestApp, tenant: Tenant, payables: Payables = [gbpPayable(0), gbpPayable(1)], options: RunOptions = {},
): Promise<string> {
  const run = await createRun(tenant.creator, payables, options);
  await app.app.services.jobs.drain();
  await tenant.controller.client.data(ConfirmRun, { id: run.id });
  const { verifyPaymentRunChallenge } = await tenant.controller.client.data(VerifyChallenge, { id: run.id, code: '123456' });
  expect(verifyPaymentRunChallenge.status).toBe('PENDING_FUNDING');
  return run.id;
}

/** GBP payables with the given amounts (minor units). */
export const payablesOf = (...amounts: number[]) => amounts.map((amount, i) => gbpPayable(i, { amount }));

export async function fundedRun(
  app: TestApp, tenant: Tenant, institution = 'SANDBOX_BANK_GB', payables: Payables = [gbpPayable(0), gbpPayable(1)], options: RunOptions = {},
) {
  const runId = await pendingFundingRun(app, tenant, payables, options);
  const account = await linkGbAccount(tenant.controller, institution);
  const { fundPaymentRun: groups } = await tenant.controller.client.data(FundRun, { id: runId, linkedAccountIds: [account.id] });
  return { runId, groups, accountId: account.id };
}

/** Starts and approves an attempt on every batch of the groups (second signatory too at a multi-auth bank). */
export async function authoriseAll(user: SignedInUser, groups: { batches: { id: string }[] }[]) {
  for (const batch of groups.flatMap((g) => g.batches)) {
    const { authoriseBatch } = await user.client.data(AuthoriseBatch, { batchId: batch.id });
    const { simulateAuthorisationOutcome } = await user.client.data(SimulateAuthorisation, { id: authoriseBatch.id, outcome: 'APPROVE' });
    if (simulateAuthorisationOutcome.status === 'AWAITING_MULTI_AUTH') {
      await user.client.data(SimulateAuthorisation, { id: authoriseBatch.id, outcome: 'SECOND_SIGNATORY_APPROVE' });
    }
  }
}

export interface LoggedChange { entityType: string; entityId: string; fromStatus: string | null; toStatus: string; actor: { id: string } | null }

export async function readRunLog(user: SignedInUser, runId: string): Promise<LoggedChange[]> {
  const changes: LoggedChange[] = [];
  let after: string | null = null;
  for (;;) {
    const { statusChanges }: { statusChanges: { pageInfo: { hasNextPage: boolean; endCursor?: string | null }; edges: { node: LoggedChange }[] } } =
      await user.client.data(RunLog, { paymentRunId: runId, after });
    changes.push(...statusChanges.edges.map((e) => e.node));
    if (!statusChanges.pageInfo.hasNextPage) return changes;
    after = statusChanges.pageInfo.endCursor ?? null;
  }
}

/** The moves logged for one entity, as "FROM->TO" (null for creation). */
export const movesOf = (log: readonly LoggedChange[], entityId: string) =>
  log.filter((c) => c.entityId === entityId).map((c) => `${c.fromStatus}->${c.toStatus}`);

/**
 * Replaying the run's log yields exactly the current status of the run, its groups, batches,
 * attempts, payables and payable groups: every change (derived ones included) was logged, once, in order.
 */
export async function expectLogReplaysToState(user: SignedInUser, runId: string) {
  const [log, view, transfers] = await Promise.all([readRunLog(user, runId), readFunding(user, runId), user.client.data(TransfersOfRun, { id: runId })]);
  const replayed = new Map<string, string>();
  for (const change of log) {
    expect(change.fromStatus ?? null, `${change.entityType} ${change.entityId}`).toBe(replayed.get(change.entityId) ?? null);
    replayed.set(change.entityId, change.toStatus);
  }
  const current = new Map<string, string>([[view.id, view.status]]);
  for (const payable of view.payables.edges) current.set(payable.node.id, payable.node.status);
  for (const group of view.fundingGroups) {
    current.set(group.id, group.status);
    for (const batch of group.batches) {
      current.set(batch.id, batch.status);
      for (const attempt of batch.authorisations) current.set(attempt.id, attempt.status);
    }
  }
  for (const group of transfers.paymentRun!.fundingGroups) {
    for (const batch of group.batches) for (const transfer of batch.payableGroups) current.set(transfer.id, transfer.status);
  }
  expect(Object.fromEntries(replayed)).toEqual(Object.fromEntries(current));
  return log;
}

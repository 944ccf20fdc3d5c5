import { authoriseBatch } from '../domain/funding/authorisation.commands.ts';
import { simulateAuthorisationOutcome, simulateFundsReceived, simulatePayableOutcome } from '../domain/bank/bank.commands.ts';
import { fundPaymentRun } from '../domain/funding/funding.commands.ts';
import { confirmPaymentRun, createPaymentRun, validateQueuedRuns, verifyPaymentRunChallenge } from '../domain/payment-run/payment-run.commands.ts';
import type { Actor, DomainDeps } from '../domain/ports.ts';
import { CopSandboxAccount } from './confirmation-of-payee.ts';
import { SANDBOX_ONE_TIME_PASSWORD } from './sca.ts';

/**
 * The demo's runs, so the first screen is not empty: one COMPLETED, one EXECUTING (funds received,
 * one payable settled) and one PENDING_CONFIRMATION with a close and a failed payee match to judge.
 * Everything goes through the same domain commands the API calls, so the log and the live stream
 * tell the same story as for any run. (With the autopilot on, the simulated bank goes on to settle
 * the executing run a few steps later, as it would any other.)
 */
export interface DemoActors {
  creator: Actor;
  controller: Actor;
}

const supplier = (name: string, accountNumber: string, type: 'BUSINESS' | 'PERSONAL' = 'BUSINESS') => ({
  name,
  type,
  bankAccountDetails: { fasterPayments: { accountNumber, sortCode: '400000' } },
});

const payable = (reference: string, amount: number, to: ReturnType<typeof supplier>) => ({
  reference,
  amount: { currency: 'GBP' as const, amount },
  supplier: to,
});

export async function seedDemoRuns(domain: DomainDeps, { creator, controller }: DemoActors, gbpAccountId: string): Promise<void> {
  const completed = await validatedRun(domain, creator, 'DEMO-OCT', 'October suppliers', [
    payable('INV-0931', 125_000, supplier('Northwind Traders Ltd', '12345678')),
    payable('INV-0932', 48_050, supplier('Blue Harbour Consulting Ltd', '23456789')),
    payable('INV-0933', 9_999, supplier('Jamie Fox', '34567890', 'PERSONAL')),
  ]);
  await executeRun(domain, controller, completed, gbpAccountId, 'all');

  const executing = await validatedRun(domain, creator, 'DEMO-NOV', 'November suppliers', [
    payable('INV-1041', 310_000, supplier('Contoso Facilities Ltd', '45678901')),
    payable('INV-1042', 72_500, supplier('Fabrikam Print Ltd', '56789012')),
    payable('INV-1043', 15_420, supplier('Litware Couriers Ltd', '67890123')),
  ]);
  await executeRun(domain, controller, executing, gbpAccountId, 'first');

  await validatedRun(domain, creator, 'DEMO-DEC', 'December suppliers', [
    payable('INV-1150', 86_000, supplier('Northwind Traders Ltd', '12345678')),
    // The sandbox payee check answers a close match and a name mismatch for these accounts.
    payable('INV-1151', 23_800, supplier('Blue Harbour Consulting Ltd', CopSandboxAccount.CLOSE_MATCH)),
    payable('INV-1152', 4_500, supplier('Adventure Works', CopSandboxAccount.NO_MATCH)),
  ]);
}

/** Creates a run and waits for its asynchronous validation (run here, or by a job runner beside it). */
async function validatedRun(domain: DomainDeps, creator: Actor, paymentRunRef: string, tag: string, payables: ReturnType<typeof payable>[]) {
  const { id } = await createPaymentRun(domain, creator, { paymentRunRef, tag, payables });
  const status = async () => (await domain.prisma.paymentRun.findUniqueOrThrow({ where: { id }, select: { status: true } })).status;
  // Validated once it has left the status it was created in.
  const created = await status();
  for (;;) {
    if ((await status()) !== created) return id;
    if ((await validateQueuedRuns(domain)) === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Confirm with SCA, fund, authorise every batch, receive funds, settle all or only the first payable. */
async function executeRun(domain: DomainDeps, controller: Actor, runId: string, accountId: string, settle: 'all' | 'first') {
  await confirmPaymentRun(domain, controller, runId);
  await verifyPaymentRunChallenge(domain, controller, runId, SANDBOX_ONE_TIME_PASSWORD);
  const groupIds = await fundPaymentRun(domain, controller, runId, [accountId]);
  const batches = await domain.prisma.batch.findMany({ where: { fundingGroupId: { in: groupIds } }, select: { id: true } });
  for (const batch of batches) {
    const attempt = await authoriseBatch(domain, controller, batch.id);
    await simulateAuthorisationOutcome(domain, controller, attempt.id, 'APPROVE');
  }
  for (const groupId of groupIds) await simulateFundsReceived(domain, controller, groupId);
  const payables = await domain.prisma.payable.findMany({ where: { paymentRunId: runId }, orderBy: { position: 'asc' }, select: { id: true } });
  for (const { id } of settle === 'all' ? payables : payables.slice(0, 1)) {
    await simulatePayableOutcome(domain, controller, id, 'COMPLETE');
  }
}

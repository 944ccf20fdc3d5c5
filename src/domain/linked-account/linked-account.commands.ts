import { validateBankAccountDetails, type BankAccountDetailsInput } from '../payment-run/payment-run.validation.ts';
import type { Actor } from '../shared/actor.ts';
import { badUserInput, FieldError, invalidState, notFound } from '../shared/errors.ts';
import { FieldRules } from '../shared/input.ts';
import { AuditAction } from '../audit/audit.ts';
import { inTransaction, type DomainDeps } from '../shared/unit-of-work.ts';

export interface LinkAccountInput {
  institutionCode: string;
  friendlyName?: string | null;
  accountIdentification: BankAccountDetailsInput;
}

/** CONTROLLER links one of the buyer's own bank accounts at a known institution, in its currency's scheme. */
export async function linkAccount(deps: DomainDeps, actor: Actor, input: LinkAccountInput) {
  const institution = await deps.prisma.institution.findUnique({ where: { code: input.institutionCode } });
  if (!institution) {
    throw badUserInput([{ fieldName: 'institutionCode', error: FieldError.IN, params: { reason: 'UNKNOWN_INSTITUTION' } }]);
  }
  const rules = new FieldRules();
  rules.text('friendlyName', input.friendlyName, 0, 100);
  const details = input.accountIdentification;
  const scheme = institution.currency === 'GBP' ? 'fasterPayments' : 'sepa';
  const other = scheme === 'sepa' ? 'fasterPayments' : 'sepa';
  if (details[other] != null) {
    rules.add({ fieldName: `accountIdentification.${other}`, error: FieldError.IN, params: { allowed: [scheme] } });
  }
  rules.add(...validateBankAccountDetails(details, institution.currency, 'accountIdentification'));
  rules.throwIfAny();

  return inTransaction(deps, actor.buyerId, actor, async (uow) => {
    const account = await uow.tx.linkedAccount.create({ data: {
      buyerId: actor.buyerId,
      institutionId: institution.id,
      friendlyName: input.friendlyName ?? null,
      currency: institution.currency,
      accountNumber: details.fasterPayments?.accountNumber ?? null,
      sortCode: details.fasterPayments?.sortCode ?? null,
      secondaryReference: details.fasterPayments?.secondaryReference ?? null,
      iban: details.sepa?.iban ?? null,
      bankIdentifierCode: details.sepa?.bankIdentifierCode ?? null,
    } });
    await uow.audit(AuditAction.LINKED_ACCOUNT_LINKED, accountTarget(account.id), {
      institutionCode: institution.code, currency: account.currency, ...bankDetailsOf(account),
    });
    return account;
  });
}

const accountTarget = (id: string) => ({ type: 'LinkedAccount', id });

/** What identifies the account, for the audit trail (which keeps only the last 4 characters). */
function bankDetailsOf(account: { accountNumber: string | null; sortCode: string | null; iban: string | null }) {
  return account.iban ? { iban: account.iban } : { accountNumber: account.accountNumber, sortCode: account.sortCode };
}

export async function unlinkAccount(deps: DomainDeps, actor: Actor, id: string) {
  return inTransaction(deps, actor.buyerId, actor, async (uow) => {
    const account = await uow.tx.linkedAccount.findUnique({ where: { id } });
    if (!account) throw notFound('Linked account');
    if (account.status !== 'LINKED') throw invalidState(account.status, 'unlink an account');
    const unlinked = await uow.tx.linkedAccount.update({ where: { id }, data: { status: 'UNLINKED' } });
    await uow.audit(AuditAction.LINKED_ACCOUNT_UNLINKED, accountTarget(id), bankDetailsOf(account));
    return unlinked;
  });
}

/**
 * The providers behind the domain's ports (src/domain/ports.ts), guarded. src/services.ts hands the
 * implementations it chose through `guardProviders`, so every call of a provider — from any
 * command or job — throws if it is made inside a unit of work: a slow payee check or bank never
 * holds a row lock. Commands therefore call providers first and apply the answers afterwards in a
 * transaction that re-checks the state (the run may have been cancelled meanwhile).
 */
import type { Bank, PayeeCheck } from '../ports.ts';
import { outsideUnitOfWork } from './unit-of-work.ts';

export interface Providers {
  readonly payeeCheck: PayeeCheck;
  readonly bank: Bank;
}

export function guardProviders(providers: Providers): Providers {
  const { payeeCheck, bank } = providers;
  return Object.freeze({
    payeeCheck: { check: (payees) => outsideUnitOfWork('Confirmation of Payee', () => payeeCheck.check(payees)) },
    bank: {
      startAuthorisations: (requests) => outsideUnitOfWork('The bank', async () => {
        const answers = await bank.startAuthorisations(requests);
        if (answers.length !== requests.length) throw new Error(`The bank answered ${answers.length} of ${requests.length} authorisations`);
        return answers;
      }),
    },
  } satisfies Providers);
}

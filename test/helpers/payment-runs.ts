import { graphql } from '../generated/index.ts';
import type { SignedInUser } from './factories.ts';

export const RunFields = graphql(`
  fragment RunFields on PaymentRun {
    id paymentRunRef tag status statusReason currency payableCount
    totalAmount { currency amount }
    challenge { expiresAt attemptsRemaining }
  }
`);
export const CreateRun = graphql(`
  mutation CreateRun($input: CreatePaymentRunInput!) { createPaymentRun(input: $input) { ...RunFields } }
`);
export const GetRun = graphql(`
  query GetRun($id: ID!, $first: Int, $after: String, $status: [PayableStatus!]) {
    paymentRun(id: $id) {
      ...RunFields
      payables(first: $first, after: $after, status: $status) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node { id status reference amount { amount currency }
          supplier { name type bankAccountDetails { ... on FasterPaymentsBankDetails { accountNumber sortCode } ... on SepaBankDetails { iban } } }
          validationOutcomes { category match reasonCode accountName } } }
      }
    }
  }
`);
export const ConfirmRun = graphql(`mutation ConfirmRun($id: ID!) { confirmPaymentRun(id: $id) { ...RunFields } }`);
export const VerifyChallenge = graphql(`
  mutation VerifyChallenge($id: ID!, $code: String!) { verifyPaymentRunChallenge(id: $id, code: $code) { ...RunFields } }
`);
export const RestartRun = graphql(`mutation RestartRun($id: ID!) { restartPaymentRun(id: $id) { ...RunFields } }`);
export const CancelRun = graphql(`mutation CancelRun($id: ID!) { cancelPaymentRun(id: $id) { ...RunFields } }`);
export const CancelPayables = graphql(`
  mutation CancelPayables($paymentRunId: ID!, $payableIds: [ID!]!) {
    cancelPayables(paymentRunId: $paymentRunId, payableIds: $payableIds) { ...RunFields }
  }
`);
export const UpdatePayables = graphql(`
  mutation UpdatePayables($paymentRunId: ID!, $payables: [UpdatePayableInput!]!) {
    updatePayables(paymentRunId: $paymentRunId, payables: $payables) { ...RunFields }
  }
`);

/** A valid GBP payable; `accountNumber` picks the sandbox CoP answer (CONTRACT.md §4). */
export function gbpPayable(i: number, options: { amount?: number; accountNumber?: string; type?: 'PERSONAL' | 'BUSINESS' } = {}) {
  return {
    externalRef: `ext-${i}`,
    amount: { currency: 'GBP' as const, amount: options.amount ?? 1000 + i },
    reference: `INV ${i}`.slice(0, 18),
    supplier: {
      name: `Supplier ${i} Ltd`,
      type: options.type ?? ('BUSINESS' as const),
      bankCountry: 'GB',
      bankAccountDetails: { fasterPayments: { accountNumber: options.accountNumber ?? '12345678', sortCode: '400000' } },
    },
  };
}

export function eurPayable(i: number, amount = 500 + i) {
  return {
    amount: { currency: 'EUR' as const, amount },
    reference: `Invoice ${i}`,
    supplier: { name: `Fournisseur ${i}`, bankAccountDetails: { sepa: { iban: 'DE89370400440532013000', bankIdentifierCode: 'COBADEFFXXX' } } },
  };
}

export async function createRun(creator: SignedInUser, payables: ReturnType<typeof gbpPayable>[] | ReturnType<typeof eurPayable>[], extra: { paymentRunRef?: string; tag?: string; bundleBySupplier?: boolean } = {}) {
  const { createPaymentRun } = await creator.client.data(CreateRun, { input: { ...extra, payables } });
  return createPaymentRun;
}

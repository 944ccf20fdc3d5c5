// The payable reads moved beside the other reads of the domain; re-exported for the GraphQL types.
export {
  createPayableLoaders, type PayableLoaders, type PayablePage, type PayablePageArgs, type PayableParent,
} from '../domain/payment-run/payable.queries.ts';

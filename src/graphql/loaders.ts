// The payable reads moved beside the other reads of the domain; re-exported for the GraphQL types.
export * from '../domain/payment-run/payable.queries.ts';
